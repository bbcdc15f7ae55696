package cn.paymux;

import java.util.List;
import java.util.Map;

/** A payment (docs/openapi.json, PaymentResource). Amounts are in the currency's minor unit (fen). */
public final class Payment extends PaymuxObject {
  public Payment(Map<String, Object> fields) {
    super(fields);
  }

  public String getId() { return string("id"); }
  public String getMerchantOrderNo() { return string("merchant_order_no"); }
  public long getAmount() { return integer("amount"); }
  public String getCurrency() { return string("currency"); }
  public String getMethod() { return string("method"); }
  /** PROCESSING, SUCCESS, FAILED, CLOSED, … */
  public String getStatus() { return string("status"); }
  public String getSubject() { return string("subject"); }
  public String getDescription() { return string("description"); }
  public long getAmountRefunded() { return integer("amount_refunded"); }
  public long getAmountRefundable() { return integer("amount_refundable"); }
  public String getCreatedAt() { return string("created_at"); }
  public String getExpiresAt() { return string("expires_at"); }
  /** Null until paid. */
  public String getPaidAt() { return string("paid_at"); }
  public String getClosedAt() { return string("closed_at"); }
  /** {@code provider} and {@code trade_no}. */
  public Map<String, Object> getChannel() { return object("channel"); }
  /** What the payer does next: {@code type} (qr_code, redirect, …) and its fields; null when none. */
  public Map<String, Object> getAction() { return object("action"); }
  /** {@code code} and {@code message}, or null. */
  public Map<String, Object> getFailure() { return object("failure"); }
  public Map<String, Object> getMetadata() { return object("metadata"); }
  public List<Object> getAutomaticRefunds() { return list("automatic_refunds"); }
  public long getVersion() { return integer("version"); }

  /** The QR code's content for a qr_code action, else null. */
  public String getCodeUrl() {
    Map<String, Object> action = getAction();
    return action != null && action.get("code_url") instanceof String url ? url : null;
  }

  public boolean isSucceeded() { return "SUCCESS".equals(getStatus()); }
}
