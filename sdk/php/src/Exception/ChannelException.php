<?php

declare(strict_types=1);

namespace Paymux\Exception;

/** 5xx `channel_*`: the payment channel refused the request or could not be reached. */
class ChannelException extends ApiException
{
}
