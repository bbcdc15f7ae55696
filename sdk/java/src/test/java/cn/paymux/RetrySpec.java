package cn.paymux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The retry contract, against a fake paymux that counts attempts. */
public final class RetrySpec {
  static final String OK = "{\"id\":\"pay_1\",\"status\":\"SUCCESS\"}";
  static final String BUSY = "{\"error\":{\"code\":\"channel_unavailable\",\"message\":\"down\"}}";

  private final List<Duration> sleeps = new ArrayList<>();

  private PaymuxClient client(FakeServer server, int maxRetries) {
    return PaymuxClient.builder(ClientSpec.APP, ClientSpec.SECRET).baseUrl(server.url()).maxRetries(maxRetries)
        .sleeper(sleeps::add).jitter(() -> 0.5).build();
  }

  private static Payment create(PaymuxClient paymux) {
    return paymux.payments().create(Map.of("amount", 1999, "merchant_order_no", "ORDER-1"));
  }

  /** Every attempt re-signed (its own nonce), with the first attempt's body and Idempotency-Key. */
  private static void sameCallResigned(List<FakeServer.Received> attempts) {
    FakeServer.Received first = attempts.get(0);
    List<String> nonces = new ArrayList<>();
    for (FakeServer.Received attempt : attempts) {
      ClientSpec.signedAsSent(attempt);
      Expect.equal(first.header("Idempotency-Key"), attempt.header("Idempotency-Key"), "the same Idempotency-Key");
      Expect.equal(first.bodyText(), attempt.bodyText(), "the same body");
      Expect.isTrue(!nonces.contains(attempt.authorizationPair("nonce")), "a new nonce on every attempt");
      nonces.add(attempt.authorizationPair("nonce"));
    }
  }

  @Check
  public void a503IsRetriedWithTheSameKeyAndANewNonce() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(503, BUSY), FakeServer.Reply.json(201, OK))) {
      Expect.equal("SUCCESS", create(client(server, 2)).getStatus(), "the retry's answer");
      Expect.equal(2, server.received().size(), "attempts");
      sameCallResigned(server.received());
      Expect.equal(List.of(Duration.ofMillis(375)), sleeps, "0.5 s × jitter 0.75");
    }
  }

  @Check
  public void twoRetriesByDefaultThenTheTypedError() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(502, "{}"), FakeServer.Reply.json(504, "{}"),
        FakeServer.Reply.json(503, BUSY), FakeServer.Reply.json(201, OK))) {
      PaymuxClient paymux = PaymuxClient.builder(ClientSpec.APP, ClientSpec.SECRET).baseUrl(server.url())
          .sleeper(sleeps::add).jitter(() -> 0.5).build();
      ChannelException exc = Expect.raises(ChannelException.class, () -> create(paymux), "after 2 retries");
      Expect.equal(503, exc.getStatus(), "the last answer's status");
      Expect.equal("channel_unavailable", exc.getCode(), "its code");
      Expect.equal(3, server.received().size(), "1 + 2 attempts");
      sameCallResigned(server.received());
      Expect.equal(List.of(Duration.ofMillis(375), Duration.ofMillis(750)), sleeps, "0.5 s then 1 s, × 0.75");
    }
  }

  @Check
  public void clientErrorsWithoutTheMarkerAreNotRetried() throws Exception {
    Object[][] answers = {
      {400, "bad_request", InvalidRequestException.class}, {409, "conflict", ConflictException.class},
      {409, "idempotency_key_in_use", IdempotencyException.class}, {422, "validation_failed", InvalidRequestException.class},
      {401, "invalid_signature", AuthenticationException.class}, {500, "internal_error", ApiException.class},
      {429, "rate_limited", RateLimitException.class},
    };
    for (Object[] answer : answers) {
      String body = "{\"error\":{\"code\":\"" + answer[1] + "\",\"message\":\"no\",\"request_id\":\"req_9\"}}";
      try (FakeServer server = new FakeServer(FakeServer.Reply.json((Integer) answer[0], body), FakeServer.Reply.json(201, OK))) {
        PaymuxException exc = Expect.raises(PaymuxException.class, () -> create(client(server, 2)), answer[1].toString());
        Expect.equal(answer[2], exc.getClass(), "typed " + answer[1]);
        Expect.equal("req_9", exc.getRequestId(), "request id");
        Expect.equal(1, server.received().size(), "one attempt for " + answer[0] + " " + answer[1]);
      }
    }
    Expect.equal(List.of(), sleeps, "no waits");
  }

  @Check
  public void theMarkerTrueRetriesEvenA409() throws Exception {
    String inUse = "{\"error\":{\"code\":\"idempotency_key_in_use\",\"message\":\"in flight\"}}";
    try (FakeServer server = new FakeServer(
        FakeServer.Reply.json(409, inUse, Map.of("Paymux-Should-Retry", "true")), FakeServer.Reply.json(201, OK))) {
      Expect.equal("SUCCESS", create(client(server, 2)).getStatus(), "retried");
      Expect.equal(2, server.received().size(), "attempts");
      sameCallResigned(server.received());
    }
  }

  @Check
  public void theMarkerFalseIsNeverRetriedEvenA503() throws Exception {
    try (FakeServer server = new FakeServer(
        FakeServer.Reply.json(503, BUSY, Map.of("Paymux-Should-Retry", "false")), FakeServer.Reply.json(201, OK))) {
      Expect.raises(ChannelException.class, () -> create(client(server, 2)), "not retried");
      Expect.equal(1, server.received().size(), "one attempt");
    }
  }

  @Check
  public void retryAfterIsAFloorCappedAt5Seconds() throws Exception {
    try (FakeServer server = new FakeServer(
        FakeServer.Reply.json(503, BUSY, Map.of("Retry-After", "3")),
        FakeServer.Reply.json(503, BUSY, Map.of("Retry-After", "120")), FakeServer.Reply.json(201, OK))) {
      create(client(server, 2));
      Expect.equal(List.of(Duration.ofSeconds(3), Duration.ofSeconds(5)), sleeps, "Retry-After 3, then 120 capped");
    }
  }

  @Check
  public void retriesOffMeansOneAttempt() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(503, BUSY), FakeServer.Reply.json(201, OK))) {
      Expect.raises(ChannelException.class, () -> create(client(server, 0)), "no retry");
      Expect.equal(1, server.received().size(), "one attempt");
    }
  }

  @Check
  public void aKeptAliveConnectionClosedWithoutAnAnswerIsRetriedOnceWithRetriesOff() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(201, OK),
        FakeServer.Reply.closeWithoutAnswer(), FakeServer.Reply.json(201, "{\"id\":\"pay_2\"}"))) {
      PaymuxClient paymux = client(server, 0);
      create(paymux); // opens the connection that stays alive
      Expect.equal("pay_2", create(paymux).getId(), "the second call's answer, on a new connection");
      List<FakeServer.Received> got = server.received();
      Expect.equal(3, got.size(), "attempts");
      Expect.equal(List.of(1, 1, 2), got.stream().map(FakeServer.Received::connection).toList(),
          "the second call met the kept-alive connection, then a new one");
      sameCallResigned(got.subList(1, 3));
      Expect.notEqual(got.get(0).header("Idempotency-Key"), got.get(1).header("Idempotency-Key"), "another call, another key");
      Expect.equal(List.of(), sleeps, "at once");
    }
  }

  @Check
  public void theStaleConnectionRetryHappensOnlyOnce() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.closeWithoutAnswer(), FakeServer.Reply.closeWithoutAnswer(),
        FakeServer.Reply.json(201, OK))) {
      ConnectionException exc = Expect.raises(ConnectionException.class, () -> create(client(server, 0)), "twice closed");
      Expect.equal(0, exc.getStatus(), "no status");
      Expect.equal(2, server.received().size(), "one retry only");
    }
  }

  @Check
  public void aStaleGetIsSignedAnewWhenTheJdksOwnResendMeetsItsUsedNonce() throws Exception {
    String replayed = "{\"error\":{\"code\":\"replayed_request\",\"message\":\"nonce used\"}}";
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(200, OK), FakeServer.Reply.closeWithoutAnswer(),
        FakeServer.Reply.json(401, replayed), FakeServer.Reply.json(200, "{\"id\":\"pay_3\"}"))) {
      PaymuxClient paymux = client(server, 0);
      paymux.payments().get("pay_1");
      Expect.equal("pay_3", paymux.payments().get("pay_1").getId(), "answered");
      List<FakeServer.Received> got = server.received();
      Expect.equal(4, got.size(), "attempts");
      Expect.equal(got.get(1).header("Authorization"), got.get(2).header("Authorization"), "java.net.http's own resend");
      Expect.notEqual(got.get(2).authorizationPair("nonce"), got.get(3).authorizationPair("nonce"), "signed anew");
      ClientSpec.signedAsSent(got.get(3));
    }
  }

  @Check
  public void connectionErrorsAreRetriedThenAConnectionException() throws Exception {
    String url;
    try (FakeServer server = new FakeServer()) {
      url = server.url();
    } // closed: nothing listens there now
    PaymuxClient paymux = PaymuxClient.builder(ClientSpec.APP, ClientSpec.SECRET).baseUrl(url)
        .sleeper(sleeps::add).jitter(() -> 0.0).build();
    ConnectionException exc = Expect.raises(ConnectionException.class, () -> paymux.payments().get("pay_1"), "refused");
    Expect.isTrue(exc.getMessage().startsWith("no answer from paymux"), exc.getMessage());
    Expect.equal(List.of(Duration.ofMillis(250), Duration.ofMillis(500)), sleeps, "two retries, jitter 0.5");
  }

  @Check
  public void theBackoffDoublesFromHalfASecondUpTo5WithJitter() {
    for (int retry = 1; retry <= 8; retry++) {
      double base = Math.min(0.5 * Math.pow(2, retry - 1), 5);
      Duration low = RetryPolicy.delay(retry, Optional.empty(), () -> 0.0);
      Duration high = RetryPolicy.delay(retry, Optional.empty(), () -> Math.nextDown(1.0));
      Expect.equal((long) (base * 0.5e9), low.toNanos(), "the lowest wait of retry " + retry);
      Expect.isTrue(high.toNanos() <= (long) (base * 1e9) && high.toNanos() > (long) (base * 0.99e9), "the highest of retry " + retry);
    }
    Expect.equal(Duration.ofMillis(250), RetryPolicy.delay(1, Optional.of("soon"), () -> 0.0), "a junk Retry-After is ignored");
  }
}
