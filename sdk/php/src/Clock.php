<?php

declare(strict_types=1);

namespace Paymux;

/** The time the SDK signs with and the waits between retries; tests inject a fake. */
interface Clock
{
    /** Unix seconds. */
    public function now(): int;

    public function sleep(float $seconds): void;
}
