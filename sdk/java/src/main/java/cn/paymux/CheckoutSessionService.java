package cn.paymux;

import java.util.Map;

/** Hosted checkout sessions (docs/checkout.md): {@code client.checkoutSessions()}. */
public final class CheckoutSessionService {
  private final RequestSender sender;

  CheckoutSessionService(RequestSender sender) {
    this.sender = sender;
  }

  /** POST /v1/checkout/sessions (docs/openapi.json, CreateCheckoutSessionRequest). */
  public CheckoutSession create(Map<String, ?> params) {
    return create(params, null);
  }

  public CheckoutSession create(Map<String, ?> params, String idempotencyKey) {
    return new CheckoutSession(sender.send("POST", "/v1/checkout/sessions", params, idempotencyKey));
  }

  /** GET /v1/checkout/sessions/{id}. */
  public CheckoutSession get(String sessionId) {
    return new CheckoutSession(
        sender.send("GET", "/v1/checkout/sessions/" + Ids.segment("sessionId", sessionId), null, null));
  }
}
