<?php

declare(strict_types=1);

namespace Paymux\Tests;

use Paymux\Clock;

/** Time that moves only when the SDK sleeps, and a record of every sleep. */
final class FakeClock implements Clock
{
    /** @var list<float> */
    public array $sleeps = [];
    private float $now;

    public function __construct(float $start = 1764316800.75)
    {
        $this->now = $start;
    }

    public function now(): int
    {
        return (int) floor($this->now);
    }

    public function sleep(float $seconds): void
    {
        $this->sleeps[] = $seconds;
        $this->now += $seconds;
    }
}
