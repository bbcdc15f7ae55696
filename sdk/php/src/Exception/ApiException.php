<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 5xx (or an answer that is not paymux's JSON): paymux failed; the outcome of a POST may be unknown, so retry it with the same Idempotency-Key. */
class ApiException extends ApiErrorException
{
}
