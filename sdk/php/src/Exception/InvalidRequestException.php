<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 400, 406, 413, 415, 422 (and any other 4xx): the request is wrong; do not retry it unchanged. */
class InvalidRequestException extends ApiErrorException
{
}
