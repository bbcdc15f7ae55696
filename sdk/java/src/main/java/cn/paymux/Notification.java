package cn.paymux;

import java.util.List;
import java.util.Map;

/** A notification paymux sends or sent, with its delivery attempts (docs/openapi.json, NotificationResource). */
public final class Notification extends PaymuxObject {
  public Notification(Map<String, Object> fields) {
    super(fields);
  }

  /** The event id ({@code evt_…}); the same on every retry. */
  public String getId() { return string("id"); }
  public String getType() { return string("type"); }
  public String getPaymentId() { return string("payment_id"); }
  public String getNotifyUrl() { return string("notify_url"); }
  /** pending, delivered, failed, … */
  public String getStatus() { return string("status"); }
  public String getCreatedAt() { return string("created_at"); }
  /** Each: attempt, at, status_code, latency_ms, error, retry_in. */
  public List<Object> getAttempts() { return list("attempts"); }

  /** The event as delivered, or null. */
  public WebhookEvent getEvent() {
    Map<String, Object> event = object("event");
    return event == null ? null : new WebhookEvent(event);
  }
}
