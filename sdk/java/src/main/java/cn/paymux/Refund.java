package cn.paymux;

import java.util.Map;

/** A refund (docs/openapi.json, RefundResource). */
public final class Refund extends PaymuxObject {
  public Refund(Map<String, Object> fields) {
    super(fields);
  }

  public String getId() { return string("id"); }
  public String getPaymentId() { return string("payment_id"); }
  public String getMerchantRefundNo() { return string("merchant_refund_no"); }
  public long getAmount() { return integer("amount"); }
  public String getCurrency() { return string("currency"); }
  public String getReason() { return string("reason"); }
  /** PROCESSING, SUCCESS, FAILED, ABNORMAL, … */
  public String getStatus() { return string("status"); }
  public String getChannelRefundNo() { return string("channel_refund_no"); }
  public String getCreatedAt() { return string("created_at"); }
  public String getSucceededAt() { return string("succeeded_at"); }
  public String getReissuedTo() { return string("reissued_to"); }
  public Map<String, Object> getFailure() { return object("failure"); }
}
