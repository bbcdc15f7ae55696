<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** A notification or a checkout return whose signature is missing, malformed, wrong or too old. */
class SignatureVerificationException extends \UnexpectedValueException implements PaymuxException
{
    public function __construct(string $message, private readonly string $sigHeader = '', ?\Throwable $previous = null)
    {
        parent::__construct($message, 0, $previous);
    }

    /** The `Paymux-Signature` header (or the return's signed string) that failed. */
    public function getSigHeader(): string
    {
        return $this->sigHeader;
    }
}
