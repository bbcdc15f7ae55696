package cn.paymux;

import java.util.List;
import java.util.Map;

/** A hosted checkout session (docs/checkout.md; docs/openapi.json, CheckoutSessionResource). */
public final class CheckoutSession extends PaymuxObject {
  public CheckoutSession(Map<String, Object> fields) {
    super(fields);
  }

  public String getId() { return string("id"); }
  /** Where to send the payer. */
  public String getUrl() { return string("url"); }
  /** open, completed or expired. */
  public String getStatus() { return string("status"); }
  public long getAmount() { return integer("amount"); }
  public String getCurrency() { return string("currency"); }
  public String getSubject() { return string("subject"); }
  public String getMerchantOrderNo() { return string("merchant_order_no"); }
  public List<Object> getMethods() { return list("methods"); }
  public String getReturnUrl() { return string("return_url"); }
  public String getPaymentId() { return string("payment_id"); }
  public String getCreatedAt() { return string("created_at"); }
  public String getExpiresAt() { return string("expires_at"); }
  public String getCompletedAt() { return string("completed_at"); }
}
