<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 409 `idempotency_key_reused` (same key, another request) or `idempotency_key_in_use` (the first request is still running). */
class IdempotencyException extends ConflictException
{
}
