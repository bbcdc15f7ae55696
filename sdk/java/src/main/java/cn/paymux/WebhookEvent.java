package cn.paymux;

import java.util.Map;

/**
 * A notification's body: {@code {"id": "evt_…", "type": "payment.succeeded", "created": …,
 * "data": {"object": {…}}}} (docs/authentication.md §2), returned by
 * {@link Webhook#constructEvent}.
 */
public final class WebhookEvent extends PaymuxObject {
  public WebhookEvent(Map<String, Object> fields) {
    super(fields);
  }

  /** The event id: process each one once (a retried notification carries the same id). */
  public String getId() { return string("id"); }
  /** payment.succeeded, payment.failed, payment.closed, payment.refunded, refund.succeeded, … */
  public String getType() { return string("type"); }
  public long getCreated() { return integer("created"); }

  /** {@code data.object} as sent, or null. */
  public Map<String, Object> getDataObject() {
    Map<String, Object> data = object("data");
    if (data == null || data.get("object") == null) {
      return null;
    }
    if (data.get("object") instanceof Map<?, ?>) {
      @SuppressWarnings("unchecked")
      Map<String, Object> object = (Map<String, Object>) data.get("object");
      return object;
    }
    throw new ApiException("the event's data.object is not an object", 0, "invalid_response", "", java.util.List.of());
  }

  /** The payment of a payment.* event, else null. */
  public Payment getPayment() {
    return is("payment") ? new Payment(getDataObject()) : null;
  }

  /** The refund of a refund.* event, else null. */
  public Refund getRefund() {
    return is("refund") ? new Refund(getDataObject()) : null;
  }

  /** The session of a checkout.session.* event, else null. */
  public CheckoutSession getCheckoutSession() {
    return is("checkout_session") ? new CheckoutSession(getDataObject()) : null;
  }

  private boolean is(String objectType) {
    Map<String, Object> object = getDataObject();
    return object != null && objectType.equals(object.get("object"));
  }
}
