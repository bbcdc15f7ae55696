package cn.paymux;

import java.util.Map;

/** One entry of a payment's history (docs/openapi.json, EventResource; {@code payments().events(id)}). */
public final class Event extends PaymuxObject {
  public Event(Map<String, Object> fields) {
    super(fields);
  }

  public String getType() { return string("type"); }
  public String getActor() { return string("actor"); }
  public String getFromStatus() { return string("from_status"); }
  public String getToStatus() { return string("to_status"); }
  public String getRefundId() { return string("refund_id"); }
  public String getAt() { return string("at"); }
  public Map<String, Object> getDetail() { return object("detail"); }
}
