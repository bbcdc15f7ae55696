<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 429: too many requests; slow down. */
class RateLimitException extends ApiErrorException
{
}
