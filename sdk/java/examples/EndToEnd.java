import cn.paymux.Json;
import cn.paymux.Payment;
import cn.paymux.PaymentCreateParams;
import cn.paymux.PaymuxClient;
import cn.paymux.Refund;
import cn.paymux.RefundCreateParams;
import cn.paymux.SignatureVerificationException;
import cn.paymux.Webhook;
import cn.paymux.WebhookEvent;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SDK against a running paymux (tests/sdk/test_java_sdk.py runs it against the local stack,
 * tests/sdk/world.py documents the environment): create a wechat.native payment → the payer
 * pays in the WeChat Pay sandbox → SUCCESS → verify the real notification → refund 500 → read
 * the refund → find the payment by merchant_order_no. Prints one JSON line of what it saw.
 *
 * <p>{@code java -cp <the SDK's classes or jar> examples/EndToEnd.java}
 */
public final class EndToEnd {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    String secret = env("PAYMUX_SECRET");
    String prefix = env("PAYMUX_ORDER_PREFIX");
    PaymuxClient paymux = new PaymuxClient(env("PAYMUX_APP_ID"), secret); // PAYMUX_BASE_URL from the environment

    Payment payment = paymux.payments().create(PaymentCreateParams.builder()
        .amount(1999).currency("CNY").method("wechat.native").subject("Coffee")
        .merchantOrderNo(prefix + "-1").notifyUrl(env("PAYMUX_NOTIFY_URL")).build());
    payInTheSandbox(payment.getCodeUrl());
    Payment paid = until("the payment succeeds", () -> {
      Payment now = paymux.payments().get(payment.getId());
      return now.isSucceeded() ? now : null;
    });

    Map<String, Object> note = until("the notification arrives", () -> notificationOf(payment.getId()));
    byte[] body = Base64.getDecoder().decode((String) note.get("body_base64"));
    String signature = (String) note.get("signature");
    WebhookEvent event = Webhook.constructEvent(body, signature, secret);
    boolean tamperedRefused = refused(() -> Webhook.constructEvent(tamper(body), signature, secret));
    boolean otherSecretRefused = refused(() -> Webhook.constructEvent(body, signature, secret + "x"));

    Refund refund = paymux.refunds().create(payment.getId(),
        RefundCreateParams.builder().amount(500).merchantRefundNo(prefix + "-R1").build());
    Refund again = paymux.refunds().get(refund.getId());
    Payment found = paymux.payments().find(prefix + "-1");

    Map<String, Object> seen = new LinkedHashMap<>();
    seen.put("payment_id", payment.getId());
    seen.put("merchant_order_no", payment.getMerchantOrderNo());
    seen.put("created_status", payment.getStatus());
    seen.put("paid_status", paid.getStatus());
    seen.put("event_id", event.getId());
    seen.put("event_type", event.getType());
    seen.put("event_payment_id", event.getPayment().getId());
    seen.put("event_payment_status", event.getPayment().getStatus());
    seen.put("notification_header_event_id", note.get("event_id"));
    seen.put("tampered_refused", tamperedRefused);
    seen.put("other_secret_refused", otherSecretRefused);
    seen.put("refund_id", refund.getId());
    seen.put("refund_status", refund.getStatus());
    seen.put("refund_amount", refund.getAmount());
    seen.put("refund_get_id", again.getId());
    seen.put("refund_get_status", again.getStatus());
    seen.put("found_id", found.getId());
    seen.put("found_amount_refundable", found.getAmountRefundable());
    System.out.println(Json.write(seen));
  }

  /** The payer scans weixin://wxpay/bizpayurl?pr=<pr> and pays: POST code=<pr>&action=pay. */
  private static void payInTheSandbox(String codeUrl) throws Exception {
    String query = URI.create(codeUrl).getRawQuery();
    String pr = null;
    for (String pair : query.split("&")) {
      if (pair.startsWith("pr=")) {
        pr = URLDecoder.decode(pair.substring(3), StandardCharsets.UTF_8);
      }
    }
    String form = "code=" + java.net.URLEncoder.encode(pr, StandardCharsets.UTF_8) + "&action=pay";
    HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(env("PAYMUX_SANDBOX_URL") + "/sandbox/pay"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() >= 400) {
      throw new IllegalStateException("the sandbox refused the payment: " + answer.statusCode());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> notificationOf(String paymentId) throws Exception {
    HttpResponse<String> answer = HTTP.send(
        HttpRequest.newBuilder(URI.create(env("PAYMUX_RECEIVER_URL") + "/received")).build(),
        HttpResponse.BodyHandlers.ofString());
    for (Object item : (List<Object>) Json.parse(answer.body())) {
      Map<String, Object> note = (Map<String, Object>) item;
      String raw = new String(Base64.getDecoder().decode((String) note.get("body_base64")), StandardCharsets.UTF_8);
      Map<String, Object> object = (Map<String, Object>) ((Map<String, Object>) Json.parseObject(raw).get("data")).get("object");
      if (paymentId.equals(object.get("id"))) {
        return note;
      }
    }
    return null;
  }

  private static byte[] tamper(byte[] body) {
    byte[] changed = java.util.Arrays.copyOf(body, body.length + 1);
    changed[body.length] = ' '; // still the same JSON, but not the signed bytes
    return changed;
  }

  private static boolean refused(Runnable verification) {
    try {
      verification.run();
      return false;
    } catch (SignatureVerificationException expected) {
      return true;
    }
  }

  interface Probe<T> {
    T get() throws Exception;
  }

  /** Polls a real server (this is a program, not a unit test): every 200 ms for up to 30 s. */
  private static <T> T until(String what, Probe<T> probe) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < deadline) {
      T value = probe.get();
      if (value != null) {
        return value;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("timed out waiting until " + what);
  }

  private static String env(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalStateException(name + " is not set (tests/sdk/world.py)");
    }
    return value;
  }
}
