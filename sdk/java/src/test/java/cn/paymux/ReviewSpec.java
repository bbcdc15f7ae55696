package cn.paymux;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the golden vectors do not pin down (the review of the four SDKs): the tolerance's edges,
 * a leading '?', repeated and odd query parameters, every status's type with the gateway's
 * request id, and an empty Idempotency-Key.
 */
public final class ReviewSpec {
  static final String SECRET = "sk_review";
  static final byte[] BODY = "{\"id\":\"evt_1\",\"type\":\"payment.succeeded\",\"data\":{\"object\":{\"object\":\"payment\"}}}"
      .getBytes(java.nio.charset.StandardCharsets.UTF_8);

  static Clock atMillis(long millis) {
    return Clock.fixed(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
  }

  static String signedReturn(String stamp) {
    String signed = "paymux_session_id=cs_1&paymux_merchant_order_no=O-1&paymux_payment_id=pay_1&paymux_status=paid"
        + "&paymux_timestamp=" + stamp;
    return signed + "&paymux_signature=" + RequestSigner.hmacSha256Hex(SECRET, signed);
  }

  @Check
  public void theToleranceIsComparedToTheMillisecond() {
    String header = Webhook.generateTestHeader(BODY, SECRET, 1000);
    for (long now : new long[] {1_300_500, 699_500}) {
      Expect.raises(SignatureVerificationException.class,
          () -> Webhook.constructEvent(BODY, header, SECRET, 300, atMillis(now)), "300.5 s away: " + now);
    }
    Expect.equal("evt_1", Webhook.constructEvent(BODY, header, SECRET, 300, atMillis(1_299_500)).getId(), "299.5 s");
    Expect.raises(SignatureVerificationException.class,
        () -> CheckoutReturn.verifyReturn(signedReturn("1000"), SECRET, 300, atMillis(1_300_500)), "a return 300.5 s old");
    Expect.equal("cs_1", CheckoutReturn.verifyReturn(signedReturn("1000"), SECRET, 300, atMillis(1_299_500)).sessionId(),
        "a return 299.5 s old");
  }

  @Check
  public void aToleranceOfZeroDisablesTheCheckANegativeOneIsRefused() {
    String header = Webhook.generateTestHeader(BODY, SECRET, 1000);
    Expect.equal("evt_1", Webhook.constructEvent(BODY, header, SECRET, 0, atMillis(9_000_000_000L)).getId(), "0: off");
    IllegalArgumentException refused = Expect.raises(IllegalArgumentException.class,
        () -> Webhook.constructEvent(BODY, header, SECRET, -1, atMillis(1_000_000)), "a negative tolerance");
    Expect.isTrue(refused.getMessage().contains("tolerance"), refused.getMessage());
    Expect.raises(IllegalArgumentException.class,
        () -> CheckoutReturn.verifyReturn(signedReturn("1000"), SECRET, -1, atMillis(1_000_000)), "a negative return tolerance");
  }

  @Check
  public void anEmptyOrNullSecretIsASignatureError() {
    String header = Webhook.generateTestHeader(BODY, "x", 1000);
    for (String secret : new String[] {"", null}) {
      Expect.raises(SignatureVerificationException.class,
          () -> Webhook.constructEvent(BODY, header, secret, 300, atMillis(1_000_000)), "webhook " + secret);
      Expect.raises(SignatureVerificationException.class,
          () -> CheckoutReturn.verifyReturn(signedReturn("1000"), secret, 300, atMillis(1_000_000)), "return " + secret);
      Expect.raises(SignatureVerificationException.class,
          () -> CheckoutReturn.verifyReturn(Map.of("paymux_status", "paid"), secret, 300, atMillis(1_000_000)), "map " + secret);
    }
  }

  @Check
  public void aLeadingQuestionMarkIsStripped() {
    Expect.equal("paid", CheckoutReturn.verifyReturn("?" + signedReturn("1000"), SECRET, 300, atMillis(1_000_000)).status(),
        "a leading ?");
  }

  @Check
  public void theMerchantsOwnParametersAreIgnoredPaymuxsMayNotRepeat() {
    String own = "a=1&a=2&b=%zz;c&" + signedReturn("1000");
    Expect.equal("cs_1", CheckoutReturn.verifyReturn(own, SECRET, 300, atMillis(1_000_000)).sessionId(), "own params");
    Expect.raises(SignatureVerificationException.class,
        () -> CheckoutReturn.verifyReturn(signedReturn("1000") + "&paymux_session_id=cs_1", SECRET, 300,
            atMillis(1_000_000)), "a repeated paymux_ parameter, same value");
    Expect.raises(SignatureVerificationException.class,
        () -> CheckoutReturn.verifyReturn("paymux_status=%zz&" + signedReturn("1000"), SECRET, 300, atMillis(1_000_000)),
        "a paymux_ value that does not decode");
  }

  @Check
  public void everyStatusHasItsTypeAndAnAnswerWithoutTheEnvelopeIsHttpStatus() throws Exception {
    Object[][] table = {
      {400, InvalidRequestException.class}, {405, InvalidRequestException.class}, {406, InvalidRequestException.class},
      {410, InvalidRequestException.class}, {413, InvalidRequestException.class}, {415, InvalidRequestException.class},
      {422, InvalidRequestException.class}, {401, AuthenticationException.class}, {403, AuthenticationException.class},
      {404, NotFoundException.class}, {409, ConflictException.class}, {429, RateLimitException.class},
      {500, ApiException.class}, {502, ApiException.class}, {503, ApiException.class}, {504, ApiException.class},
    };
    for (Object[] row : table) {
      int status = (Integer) row[0];
      try (FakeServer server = new FakeServer(
          FakeServer.Reply.json(status, "<html>a proxy</html>", Map.of("apigw-requestid", "gw-" + status)))) {
        PaymuxClient paymux = PaymuxClient.builder(ClientSpec.APP, ClientSpec.SECRET).baseUrl(server.url())
            .maxRetries(0).build();
        PaymuxException exc = Expect.raises(PaymuxException.class, () -> paymux.payments().get("pay_1"), "" + status);
        Expect.equal(row[1], exc.getClass(), status + "'s type");
        Expect.equal("http_" + status, exc.getCode(), status + "'s code");
        Expect.equal("gw-" + status, exc.getRequestId(), status + "'s request id from apigw-requestid");
      }
    }
    String envelope = "{\"error\":{\"code\":\"idempotency_key_in_use\",\"message\":\"m\",\"request_id\":\"req-body\"}}";
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(409, envelope, Map.of("apigw-requestid", "gw")))) {
      PaymuxClient paymux = PaymuxClient.builder(ClientSpec.APP, ClientSpec.SECRET).baseUrl(server.url()).maxRetries(0).build();
      PaymuxException exc = Expect.raises(IdempotencyException.class, () -> paymux.payments().get("pay_1"), "409 idem");
      Expect.equal("req-body", exc.getRequestId(), "the body's request id comes first");
    }
  }

  @Check
  public void anEmptyIdempotencyKeyIsGenerated() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(201, ClientSpec.PAYMENT))) {
      List<java.time.Duration> sleeps = new ArrayList<>();
      ClientSpec.client(server, sleeps).payments().create(Map.of("amount", 1), "");
      Expect.isTrue(server.received().get(0).header("Idempotency-Key")
          .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
          "a UUID v4, not an empty key: " + server.received().get(0).header("Idempotency-Key"));
    }
  }
}
