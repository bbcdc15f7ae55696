<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** Implemented by every exception the SDK throws: `catch (PaymuxException $e)` catches them all. */
interface PaymuxException extends \Throwable
{
}
