<?php

declare(strict_types=1);

namespace Paymux;

final class SystemClock implements Clock
{
    public function now(): int
    {
        return time();
    }

    public function sleep(float $seconds): void
    {
        if ($seconds > 0) {
            usleep((int) round($seconds * 1_000_000));
        }
    }
}
