<?php

declare(strict_types=1);

namespace Paymux;

use Paymux\HttpClient\CurlTransport;
use Paymux\HttpClient\Transport;
use Paymux\Service\CheckoutSessionService;
use Paymux\Service\NotificationService;
use Paymux\Service\PaymentService;
use Paymux\Service\RefundService;

/**
 * One merchant app's client: every call is signed with its secret (docs/authentication.md) and
 * retried where that is safe (RetryPolicy). Keep one per app; it holds no global state.
 *
 *     $paymux = new \Paymux\Client('app_…', 'sk_…');
 *     $payment = $paymux->payments->create([...]);
 */
final class Client
{
    public const VERSION = '0.1.0';
    public const DEFAULT_BASE_URL = 'https://api.paymux.cn';

    public readonly PaymentService $payments;
    public readonly RefundService $refunds;
    public readonly NotificationService $notifications;
    public readonly CheckoutSessionService $checkoutSessions;
    public readonly string $baseUrl;

    /**
     * @param string|null $baseUrl    null: the PAYMUX_BASE_URL environment variable, else https://api.paymux.cn
     * @param int         $maxRetries retries after the first attempt (a stale keep-alive connection earns one more)
     * @param float       $timeout    seconds per attempt
     * @param Transport|null $transport your own HTTP stack (default: curl)
     * @param Clock|null  $clock      the signing time and the waits between retries (tests inject one)
     */
    public function __construct(
        string $appId,
        #[\SensitiveParameter] string $secret,
        ?string $baseUrl = null,
        int $maxRetries = RetryPolicy::DEFAULT_MAX_RETRIES,
        float $timeout = 30.0,
        ?Transport $transport = null,
        ?Clock $clock = null,
        ?\Random\Randomizer $random = null,
    ) {
        $this->baseUrl = rtrim($baseUrl ?? self::baseUrlFromEnvironment(), '/');
        $requestor = new ApiRequestor(
            new RequestSigner($appId, $secret),
            $this->baseUrl,
            new RetryPolicy($maxRetries, $random),
            $timeout,
            $transport ?? new CurlTransport(),
            $clock ?? new SystemClock(),
            self::userAgent(),
        );
        $this->payments = new PaymentService($requestor);
        $this->refunds = new RefundService($requestor);
        $this->notifications = new NotificationService($requestor);
        $this->checkoutSessions = new CheckoutSessionService($requestor);
    }

    /** `paymux-php/<SDK version> php/<PHP version>` */
    public static function userAgent(): string
    {
        return sprintf('paymux-php/%s php/%s', self::VERSION, PHP_VERSION);
    }

    private static function baseUrlFromEnvironment(): string
    {
        $fromEnvironment = getenv('PAYMUX_BASE_URL');

        return is_string($fromEnvironment) && $fromEnvironment !== '' ? $fromEnvironment : self::DEFAULT_BASE_URL;
    }

    public function __debugInfo(): array
    {
        return ['baseUrl' => $this->baseUrl]; // never the secret
    }
}
