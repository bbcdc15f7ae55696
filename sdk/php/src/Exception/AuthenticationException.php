<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 401: the signature, app id, secret or clock is wrong (`missing_signature`, `invalid_signature`, `stale_request`, …). */
class AuthenticationException extends ApiErrorException
{
}
