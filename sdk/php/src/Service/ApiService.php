<?php

declare(strict_types=1);

namespace Paymux\Service;

use Paymux\ApiRequestor;

/** The calls on one kind of resource, sharing the client's signed, retrying requestor. */
abstract class ApiService
{
    public function __construct(protected readonly ApiRequestor $requestor)
    {
    }

    /** One path segment: paymux's ids never need escaping, so anything that would is refused. */
    protected static function segment(string $id): string
    {
        if ($id === '' || rawurlencode($id) !== $id) {
            throw new \InvalidArgumentException(sprintf('not a paymux id: "%s"', $id));
        }

        return $id;
    }
}
