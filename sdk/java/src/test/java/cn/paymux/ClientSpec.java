package cn.paymux;

import java.util.List;
import java.util.Map;

/** What goes on the wire: signed as docs/authentication.md says, over the bytes sent. */
public final class ClientSpec {
  static final String APP = "app_spec";
  static final String SECRET = "sk_spec_secret";
  static final String PAYMENT = "{\"id\":\"pay_1\",\"object\":\"payment\",\"status\":\"PROCESSING\",\"amount\":1999,"
      + "\"action\":{\"type\":\"qr_code\",\"code_url\":\"weixin://wxpay/bizpayurl?pr=abc\"}}";

  static PaymuxClient client(FakeServer server, List<java.time.Duration> sleeps) {
    return PaymuxClient.builder(APP, SECRET).baseUrl(server.url()).sleeper(sleeps::add).jitter(() -> 0.5).build();
  }

  /** Checks the request's signature as paymux does, from what arrived. */
  static void signedAsSent(FakeServer.Received request) {
    String timestamp = request.authorizationPair("timestamp");
    String nonce = request.authorizationPair("nonce");
    String expected = RequestSigner.authorization(APP, SECRET, request.method(), request.target(), timestamp, nonce, request.body());
    Expect.equal(expected, request.header("Authorization"), "the signature over what was sent");
    Expect.isTrue(nonce.matches("[0-9a-f]{32}"), "a 128-bit hex nonce");
    long now = System.currentTimeMillis() / 1000;
    Expect.isTrue(Math.abs(now - Long.parseLong(timestamp)) < 300, "a current timestamp");
  }

  @Check
  public void createSendsSignedJsonWithAnIdempotencyKeyAndUserAgent() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(201, PAYMENT))) {
      Payment payment = client(server, new java.util.ArrayList<>()).payments().create(PaymentCreateParams.builder()
          .amount(1999).currency("CNY").method("wechat.native").subject("咖啡豆").merchantOrderNo("ORDER-1")
          .notifyUrl("https://shop.example.com/n").metadata(Map.of("k", "v")).build());
      Expect.equal("weixin://wxpay/bizpayurl?pr=abc", payment.getCodeUrl(), "the answer's model");
      FakeServer.Received sent = server.received().get(0);
      Expect.equal("POST", sent.method(), "method");
      Expect.equal("/v1/payments", sent.target(), "path");
      signedAsSent(sent);
      Map<String, Object> body = Json.parseObject(sent.bodyText());
      Expect.equal(1999L, body.get("amount"), "amount");
      Expect.equal("咖啡豆", body.get("subject"), "UTF-8 subject");
      Expect.equal("ORDER-1", body.get("merchant_order_no"), "order no");
      Expect.equal(Map.of("k", "v"), body.get("metadata"), "metadata");
      Expect.equal("application/json", sent.header("Content-Type"), "content type");
      Expect.equal("application/json", sent.header("Accept"), "accept");
      Expect.isTrue(sent.header("Idempotency-Key")
          .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), "a UUID v4 key");
      Expect.isTrue(sent.header("User-Agent").matches("paymux-java/\\d+\\.\\d+\\.\\d+ java/17[0-9.+\\-a-zA-Z]*"),
          "User-Agent " + sent.header("User-Agent"));
    }
  }

  @Check
  public void aCallersIdempotencyKeyIsSentAsIs() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(201, PAYMENT))) {
      client(server, new java.util.ArrayList<>()).payments().create(Map.of("amount", 1), "order-1-attempt");
      Expect.equal("order-1-attempt", server.received().get(0).header("Idempotency-Key"), "the caller's key");
    }
  }

  @Check
  public void everyCallHitsItsDocumentedPath() throws Exception {
    String list = "{\"object\":\"list\",\"data\":[{\"type\":\"created\",\"to_status\":\"PROCESSING\"}]}";
    String notes = "{\"object\":\"list\",\"data\":[{\"id\":\"evt_1\",\"status\":\"delivered\",\"attempts\":[],"
        + "\"event\":{\"id\":\"evt_1\",\"type\":\"payment.succeeded\",\"created\":1,\"data\":{\"object\":{\"object\":\"payment\"}}}}]}";
    try (FakeServer server = new FakeServer(
        FakeServer.Reply.json(200, PAYMENT), FakeServer.Reply.json(200, PAYMENT), FakeServer.Reply.json(200, PAYMENT),
        FakeServer.Reply.json(200, list), FakeServer.Reply.json(200, notes),
        FakeServer.Reply.json(201, "{\"id\":\"re_1\",\"amount\":500}"), FakeServer.Reply.json(200, "{\"id\":\"re_1\"}"),
        FakeServer.Reply.json(202, "{\"id\":\"evt_1\",\"status\":\"pending\"}"),
        FakeServer.Reply.json(201, "{\"id\":\"cs_1\",\"url\":\"https://x/checkout/cs_1\"}"),
        FakeServer.Reply.json(200, "{\"id\":\"cs_1\",\"status\":\"open\"}"))) {
      PaymuxClient paymux = client(server, new java.util.ArrayList<>());
      paymux.payments().get("pay_1");
      paymux.payments().find("A B&C/订单");
      paymux.payments().close("pay_1");
      Expect.equal("PROCESSING", paymux.payments().events("pay_1").get(0).getToStatus(), "events");
      Expect.equal("payment.succeeded", paymux.payments().notifications("pay_1").get(0).getEvent().getType(), "notifications");
      Expect.equal(500L, paymux.refunds().create("pay_1", RefundCreateParams.builder().amount(500).merchantRefundNo("R1").build()).getAmount(), "refund");
      paymux.refunds().get("re_1");
      Expect.equal("pending", paymux.notifications().resend("evt_1").getStatus(), "resend");
      Expect.equal("https://x/checkout/cs_1", paymux.checkoutSessions().create(Map.of("amount", 1)).getUrl(), "session");
      Expect.equal("open", paymux.checkoutSessions().get("cs_1").getStatus(), "session get");
      List<String> calls = server.received().stream().map(r -> r.method() + " " + r.target()).toList();
      Expect.equal(List.of(
          "GET /v1/payments/pay_1",
          "GET /v1/payments?merchant_order_no=A%20B%26C%2F%E8%AE%A2%E5%8D%95",
          "POST /v1/payments/pay_1/close",
          "GET /v1/payments/pay_1/events",
          "GET /v1/payments/pay_1/notifications",
          "POST /v1/payments/pay_1/refunds",
          "GET /v1/refunds/re_1",
          "POST /v1/notifications/evt_1/resend",
          "POST /v1/checkout/sessions",
          "GET /v1/checkout/sessions/cs_1"), calls, "the calls");
      for (FakeServer.Received r : server.received()) {
        signedAsSent(r);
        Expect.equal(r.method().equals("POST"), r.header("Idempotency-Key") != null, "a key on POSTs only: " + r.target());
      }
      FakeServer.Received close = server.received().get(2);
      Expect.equal(0, close.body().length, "close has no body");
      Expect.equal(null, close.header("Content-Type"), "and no content type");
    }
  }

  @Check
  public void anIdThatWouldChangeThePathIsRefusedBeforeSending() throws Exception {
    try (FakeServer server = new FakeServer()) {
      PaymuxClient paymux = client(server, new java.util.ArrayList<>());
      for (String id : new String[] {"", "pay_1/close", "../v1", "pay 1", "pay?x=1"}) {
        Expect.raises(IllegalArgumentException.class, () -> paymux.payments().get(id), "id <" + id + ">");
      }
      Expect.equal(0, server.received().size(), "nothing sent");
    }
  }

  @Check
  public void aSuccessThatIsNotJsonIsAnApiError() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.Reply.json(200, "<html>"))) {
      ApiException exc = Expect.raises(ApiException.class, () -> client(server, new java.util.ArrayList<>()).payments().get("pay_1"), "html");
      Expect.equal("invalid_response", exc.getCode(), "code");
      Expect.equal(200, exc.getStatus(), "status");
    }
  }

  @Check
  public void theBaseUrlMustBeHttp() {
    Expect.raises(IllegalArgumentException.class, () -> PaymuxClient.builder(APP, SECRET).baseUrl("ftp://x").build(), "ftp");
  }
}
