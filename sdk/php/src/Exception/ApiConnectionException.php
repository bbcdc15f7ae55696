<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** paymux could not be reached, or the connection broke before a whole answer arrived. */
class ApiConnectionException extends \RuntimeException implements PaymuxException
{
    /**
     * @param bool $staleConnection a reused keep-alive connection was found closed before any
     *                              byte of the answer: the request may be sent again at once
     */
    public function __construct(string $message, private readonly bool $staleConnection = false, ?\Throwable $previous = null)
    {
        parent::__construct($message, 0, $previous);
    }

    public function isStaleConnection(): bool
    {
        return $this->staleConnection;
    }
}
