<?php

declare(strict_types=1);

namespace Paymux\Exception;

/**
 * paymux answered with an error: `{"error": {"code", "message", "details", "request_id"}}`.
 * The HTTP status is also the exception's integer code.
 */
class ApiErrorException extends \RuntimeException implements PaymuxException
{
    /**
     * @param list<mixed> $details
     * @param array<string, string> $headers response headers, names in lower case
     */
    public function __construct(
        string $message,
        private readonly int $httpStatus,
        private readonly string $errorCode,
        private readonly ?string $requestId = null,
        private readonly array $details = [],
        private readonly array $headers = [],
        private readonly string $body = '',
    ) {
        parent::__construct($message, $httpStatus);
    }

    public function getHttpStatus(): int
    {
        return $this->httpStatus;
    }

    /** paymux's `error.code`, e.g. `validation_failed` or `duplicate_merchant_order_no`. */
    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    /** Quote it when you contact paymux about this request. */
    public function getRequestId(): ?string
    {
        return $this->requestId;
    }

    /** @return list<mixed> */
    public function getDetails(): array
    {
        return $this->details;
    }

    /** @return array<string, string> */
    public function getHttpHeaders(): array
    {
        return $this->headers;
    }

    public function getHttpBody(): string
    {
        return $this->body;
    }
}
