package cn.paymux;

import java.util.List;
import java.util.Map;

/** {@code /v1/payments}: {@code client.payments()}. */
public final class PaymentService {
  private final RequestSender sender;

  PaymentService(RequestSender sender) {
    this.sender = sender;
  }

  /** POST /v1/payments with an automatic Idempotency-Key. */
  public Payment create(PaymentCreateParams params) {
    return create(params.toMap(), null);
  }

  public Payment create(PaymentCreateParams params, String idempotencyKey) {
    return create(params.toMap(), idempotencyKey);
  }

  /** POST /v1/payments with any documented field (docs/openapi.json, CreatePaymentRequest). */
  public Payment create(Map<String, ?> params) {
    return create(params, null);
  }

  /** With your own Idempotency-Key (null: a new random one). */
  public Payment create(Map<String, ?> params, String idempotencyKey) {
    return new Payment(sender.send("POST", "/v1/payments", params, idempotencyKey));
  }

  /** GET /v1/payments/{id}. */
  public Payment get(String paymentId) {
    return new Payment(sender.send("GET", "/v1/payments/" + Ids.segment("paymentId", paymentId), null, null));
  }

  /** GET /v1/payments?merchant_order_no=…: your order's payment ({@link NotFoundException} when none). */
  public Payment find(String merchantOrderNo) {
    if (merchantOrderNo == null || merchantOrderNo.isEmpty()) {
      throw new IllegalArgumentException("merchantOrderNo must not be empty");
    }
    return new Payment(
        sender.send("GET", "/v1/payments?merchant_order_no=" + Ids.query(merchantOrderNo), null, null));
  }

  /** POST /v1/payments/{id}/close. */
  public Payment close(String paymentId) {
    return close(paymentId, null);
  }

  public Payment close(String paymentId, String idempotencyKey) {
    String path = "/v1/payments/" + Ids.segment("paymentId", paymentId) + "/close";
    return new Payment(sender.send("POST", path, null, idempotencyKey));
  }

  /** GET /v1/payments/{id}/events: the payment's history. */
  public List<Event> events(String paymentId) {
    String path = "/v1/payments/" + Ids.segment("paymentId", paymentId) + "/events";
    return PaymuxObject.objects(sender.send("GET", path, null, null).get("data"), Event::new);
  }

  /** GET /v1/payments/{id}/notifications: what paymux sent you about it, with every attempt. */
  public List<Notification> notifications(String paymentId) {
    String path = "/v1/payments/" + Ids.segment("paymentId", paymentId) + "/notifications";
    return PaymuxObject.objects(sender.send("GET", path, null, null).get("data"), Notification::new);
  }
}
