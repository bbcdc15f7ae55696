<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 404: no such object, or another merchant's. */
class NotFoundException extends ApiErrorException
{
}
