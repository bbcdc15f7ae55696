<?php

declare(strict_types=1);

namespace Paymux\Tests;

final class AssertionFailed extends \RuntimeException
{
}
