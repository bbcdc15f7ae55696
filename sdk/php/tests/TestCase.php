<?php

declare(strict_types=1);

namespace Paymux\Tests;

/** The assertions of sdk/php/tests/run.php (PHPUnit is not installed here). */
abstract class TestCase
{
    public int $assertions = 0;

    protected function setUp(): void
    {
    }

    protected function tearDown(): void
    {
    }

    public function run(string $method): void
    {
        $this->setUp();
        try {
            $this->{$method}();
        } finally {
            $this->tearDown();
        }
    }

    protected function assertTrue(bool $condition, string $message = ''): void
    {
        ++$this->assertions;
        if (!$condition) {
            throw new AssertionFailed($message !== '' ? $message : 'expected true');
        }
    }

    protected function assertSame(mixed $expected, mixed $actual, string $message = ''): void
    {
        ++$this->assertions;
        if ($expected !== $actual) {
            throw new AssertionFailed(sprintf("%s\nexpected: %s\nactual:   %s", $message, var_export($expected, true), var_export($actual, true)));
        }
    }

    protected function assertNotSame(mixed $unexpected, mixed $actual, string $message = ''): void
    {
        ++$this->assertions;
        if ($unexpected === $actual) {
            throw new AssertionFailed(sprintf('%s: both are %s', $message, var_export($actual, true)));
        }
    }

    protected function assertBetween(float $low, float $high, float $actual, string $message = ''): void
    {
        ++$this->assertions;
        if ($actual < $low || $actual > $high) {
            throw new AssertionFailed(sprintf('%s: %F is not within [%F, %F]', $message, $actual, $low, $high));
        }
    }

    /**
     * @template T of \Throwable
     *
     * @param class-string<T> $class
     *
     * @return T the exception, to assert on
     */
    protected function expectThrows(string $class, callable $call, string $message = ''): \Throwable
    {
        ++$this->assertions;
        try {
            $call();
        } catch (\Throwable $exc) {
            if (get_class($exc) !== $class) {
                throw new AssertionFailed(sprintf('%s: expected %s, got %s: %s', $message, $class, get_class($exc), $exc->getMessage()), 0, $exc);
            }

            return $exc;
        }
        throw new AssertionFailed(sprintf('%s: expected %s, nothing was thrown', $message, $class));
    }

    /** @return array<string, mixed> */
    protected static function vectors(string $name): array
    {
        $file = dirname(__DIR__, 2) . '/testvectors/' . $name . '.json';

        return json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
    }
}
