<?php

declare(strict_types=1);

namespace Paymux\Tests;

use Paymux\Exception\SignatureVerificationException;
use Paymux\Webhook;

/** What the golden vectors do not pin down: the tolerance's edges, a leading '?', repeats. */
final class VerificationTest extends TestCase
{
    private const SECRET = 'sk_test_verify';
    private const BODY = '{"id":"evt_1","type":"payment.succeeded","data":{"object":{"object":"payment"}}}';

    private static function signedReturn(string $stamp = '1000'): string
    {
        $signed = 'paymux_session_id=cs_1&paymux_merchant_order_no=O-1&paymux_payment_id=pay_1&paymux_status=paid&paymux_timestamp=' . $stamp;

        return $signed . '&paymux_signature=' . hash_hmac('sha256', $signed, self::SECRET);
    }

    public function testTheToleranceIsComparedToTheMicrosecond(): void
    {
        $header = Webhook::generateTestHeader(self::BODY, self::SECRET, 1000);
        foreach ([1300.5, 699.5] as $now) {
            $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::constructEvent(self::BODY, $header, self::SECRET, 300, $now), "300.5 s at {$now}");
        }
        $this->assertSame('evt_1', Webhook::constructEvent(self::BODY, $header, self::SECRET, 300, 1299.5)->id, '299.5 s');
        $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::verifyReturn(self::signedReturn(), self::SECRET, 300, 1300.5), 'a return 300.5 s old');
        $this->assertSame('cs_1', Webhook::verifyReturn(self::signedReturn(), self::SECRET, 300, 1299.5)['paymux_session_id']);
    }

    public function testAToleranceOfZeroDisablesTheCheckANegativeOneIsRefused(): void
    {
        $header = Webhook::generateTestHeader(self::BODY, self::SECRET, 1000);
        $this->assertSame('evt_1', Webhook::constructEvent(self::BODY, $header, self::SECRET, 0, 9e9)->id, '0: off');
        $exc = $this->expectThrows(\InvalidArgumentException::class, static fn () => Webhook::constructEvent(self::BODY, $header, self::SECRET, -1, 1000));
        $this->assertTrue(str_contains($exc->getMessage(), 'tolerance'), $exc->getMessage());
        $this->expectThrows(\InvalidArgumentException::class, static fn () => Webhook::verifyReturn(self::signedReturn(), self::SECRET, -1, 1000));
    }

    public function testAnEmptySecretIsASignatureError(): void
    {
        $header = Webhook::generateTestHeader(self::BODY, '', 1000);
        $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::constructEvent(self::BODY, $header, '', 300, 1000));
        $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::verifyReturn(['paymux_status' => 'paid'], '', 300, 1000));
    }

    public function testTwoTimestampsAndJsonThatIsNotAnObjectAreRefused(): void
    {
        $header = Webhook::generateTestHeader(self::BODY, self::SECRET, 1000);
        $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::constructEvent(self::BODY, "t=1000,{$header}", self::SECRET, 300, 1000));
        foreach (['[1]', ' [{"id":"evt_1"}]', 'null', '7', '"x"'] as $text) {
            $signed = Webhook::generateTestHeader($text, self::SECRET, 1000);
            $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::constructEvent($text, $signed, self::SECRET, 300, 1000), $text);
        }
    }

    public function testALeadingQuestionMarkIsStrippedOnce(): void
    {
        $this->assertSame('paid', Webhook::verifyReturn('?' . self::signedReturn(), self::SECRET, 300, 1000)['paymux_status']);
    }

    public function testTheMerchantsOwnParametersAreIgnoredPaymuxsMayNotRepeat(): void
    {
        $own = 'a=1&a=2&b=%zz;c&' . self::signedReturn();
        $this->assertSame('cs_1', Webhook::verifyReturn($own, self::SECRET, 300, 1000)['paymux_session_id']);
        $repeated = self::signedReturn() . '&paymux_session_id=cs_1';
        $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::verifyReturn($repeated, self::SECRET, 300, 1000), 'the same value twice');
    }
}
