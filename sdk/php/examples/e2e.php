<?php

declare(strict_types=1);

/*
 * The end-to-end flow against a running paymux (tests/sdk/test_php_sdk.py runs it on the local
 * stack; tests/sdk/world.py documents the environment): create a wechat.native payment, pay it
 * in the WeChat Pay sandbox, wait for SUCCESS, verify the notification paymux really sent,
 * refund 500 fen, read the refund back, find the payment by merchant_order_no. Prints one JSON
 * line of what it saw.
 */

require dirname(__DIR__) . '/init.php';

use Paymux\Client;
use Paymux\Exception\ApiErrorException;
use Paymux\Model\Payment;
use Paymux\Webhook;

function env(string $name): string
{
    $value = getenv($name);
    if (!is_string($value) || $value === '') {
        fwrite(STDERR, "{$name} is not set\n");
        exit(2);
    }

    return $value;
}

/** GET or form-POST outside paymux (the sandbox's payer, the notification receiver). */
function plainHttp(string $url, ?array $form = null): string
{
    $handle = curl_init($url);
    curl_setopt_array($handle, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 30]);
    if ($form !== null) {
        curl_setopt($handle, CURLOPT_POSTFIELDS, http_build_query($form));
    }
    $body = curl_exec($handle);
    if (!is_string($body) || curl_getinfo($handle, CURLINFO_RESPONSE_CODE) >= 400) {
        throw new RuntimeException("{$url}: " . curl_error($handle));
    }

    return $body;
}

/** @template T @param callable(): (T|null) $probe @return T */
function waitFor(string $what, callable $probe): mixed
{
    $deadline = microtime(true) + 20;
    while (($value = $probe()) === null) {
        if (microtime(true) > $deadline) {
            throw new RuntimeException("timed out waiting for {$what}");
        }
        usleep(200_000);
    }

    return $value;
}

$secret = env('PAYMUX_SECRET');
$prefix = env('PAYMUX_ORDER_PREFIX');
$paymux = new Client(env('PAYMUX_APP_ID'), $secret); // the base URL: PAYMUX_BASE_URL

$created = $paymux->payments->create([
    'amount' => 1999,
    'currency' => 'CNY',
    'method' => 'wechat.native',
    'subject' => 'Coffee',
    'merchant_order_no' => $prefix . '-1',
    'notify_url' => env('PAYMUX_NOTIFY_URL'),
]);
parse_str((string) parse_url($created->action['code_url'], PHP_URL_QUERY), $code);
plainHttp(env('PAYMUX_SANDBOX_URL') . '/sandbox/pay', ['code' => $code['pr'], 'action' => 'pay']);

$paid = waitFor('SUCCESS', static function () use ($paymux, $created): ?Payment {
    $payment = $paymux->payments->get($created->id);

    return $payment->status === Payment::STATUS_SUCCESS ? $payment : null;
});

$note = waitFor('the notification', static function () use ($created): ?array {
    foreach (json_decode(plainHttp(env('PAYMUX_RECEIVER_URL') . '/received'), true) as $received) {
        $body = base64_decode($received['body_base64'], true);
        if ((json_decode($body, true)['data']['object']['id'] ?? null) === $created->id) {
            return $received + ['body' => $body];
        }
    }

    return null;
});
$event = Webhook::constructEvent($note['body'], $note['signature'], $secret);

$refund = $paymux->refunds->create($created->id, ['amount' => 500, 'merchant_refund_no' => $prefix . '-R1']);
$refundAgain = $paymux->refunds->get($refund->id);
$found = $paymux->payments->find($prefix . '-1');

// a second order, closed unpaid (a POST without a body), and a hosted checkout session
$second = $paymux->payments->create([
    'amount' => 100, 'currency' => 'CNY', 'method' => 'wechat.native', 'subject' => 'Tea',
    'merchant_order_no' => $prefix . '-2', 'notify_url' => env('PAYMUX_NOTIFY_URL'),
]);
$closed = $paymux->payments->close($second->id);
$session = $paymux->checkoutSessions->create([
    'amount' => 1288, 'currency' => 'CNY', 'subject' => 'Beans', 'merchant_order_no' => $prefix . '-CS',
    'notify_url' => env('PAYMUX_NOTIFY_URL'), 'return_url' => 'https://shop.example.com/orders/' . $prefix,
    'methods' => ['wechat.native'],
]);
$sessionAgain = $paymux->checkoutSessions->get($session->id);

// typed errors from the real server: resending a delivered notification, an unknown payment
function errorOf(callable $call): array
{
    try {
        $call();
    } catch (ApiErrorException $e) {
        return ['class' => get_class($e), 'status' => $e->getHttpStatus(), 'code' => $e->getErrorCode(), 'request_id' => $e->getRequestId()];
    }

    return [];
}
$resendError = errorOf(static fn () => $paymux->notifications->resend($event->id));
$notFoundError = errorOf(static fn () => $paymux->payments->get('pay_01KB0000000000000000000000'));

echo json_encode([
    'payment_id' => $created->id,
    'merchant_order_no' => $created->merchant_order_no,
    'created_status' => $created->status,
    'paid_status' => $paid->status,
    'event_id' => $event->id,
    'event_type' => $event->type,
    'event_header_event_id' => $note['event_id'],
    'event_payment_status' => $event->dataObject()?->status,
    'refund_id' => $refund->id,
    'refund_status' => $refund->status,
    'refund_get_id' => $refundAgain->id,
    'refund_get_amount' => $refundAgain->amount,
    'found_id' => $found->id,
    'found_amount_refundable' => $found->amount_refundable,
    'closed_id' => $closed->id,
    'closed_status' => $closed->status,
    'session_id' => $sessionAgain->id,
    'session_status' => $sessionAgain->status,
    'session_url' => $sessionAgain->url,
    'resend_error' => $resendError,
    'not_found_error' => $notFoundError,
    'events' => array_map(static fn ($e) => $e->type, $paymux->payments->events($created->id)),
    'notifications' => count($paymux->payments->notifications($created->id)),
]), "\n";
