package cn.paymux;

import java.util.Map;

/** Refunds: {@code client.refunds()}. */
public final class RefundService {
  private final RequestSender sender;

  RefundService(RequestSender sender) {
    this.sender = sender;
  }

  /** POST /v1/payments/{id}/refunds with an automatic Idempotency-Key. */
  public Refund create(String paymentId, RefundCreateParams params) {
    return create(paymentId, params.toMap(), null);
  }

  public Refund create(String paymentId, RefundCreateParams params, String idempotencyKey) {
    return create(paymentId, params.toMap(), idempotencyKey);
  }

  /** With any documented field (docs/openapi.json, CreateRefundRequest). */
  public Refund create(String paymentId, Map<String, ?> params) {
    return create(paymentId, params, null);
  }

  public Refund create(String paymentId, Map<String, ?> params, String idempotencyKey) {
    String path = "/v1/payments/" + Ids.segment("paymentId", paymentId) + "/refunds";
    return new Refund(sender.send("POST", path, params, idempotencyKey));
  }

  /** GET /v1/refunds/{id}. */
  public Refund get(String refundId) {
    return new Refund(sender.send("GET", "/v1/refunds/" + Ids.segment("refundId", refundId), null, null));
  }
}
