<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 409: the object's state forbids the call, or a merchant_order_no / merchant_refund_no was used with other parameters. */
class ConflictException extends ApiErrorException
{
}
