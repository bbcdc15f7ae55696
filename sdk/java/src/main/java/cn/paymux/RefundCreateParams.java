package cn.paymux;

import java.util.LinkedHashMap;
import java.util.Map;

/** The body of {@code refunds().create} (docs/openapi.json, CreateRefundRequest). */
public final class RefundCreateParams {
  private final Map<String, Object> fields;

  private RefundCreateParams(Map<String, Object> fields) {
    this.fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  public static Builder builder() {
    return new Builder();
  }

  public Map<String, Object> toMap() {
    return new LinkedHashMap<>(fields);
  }

  public static final class Builder {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    /** In the currency's minor unit; at most the payment's amount_refundable. */
    public Builder amount(long amount) { return put("amount", amount); }
    /** Unique per refund: the same refund number again answers the same refund. */
    public Builder merchantRefundNo(String merchantRefundNo) { return put("merchant_refund_no", merchantRefundNo); }
    public Builder reason(String reason) { return put("reason", reason); }

    public Builder put(String name, Object value) {
      fields.put(name, value);
      return this;
    }

    public RefundCreateParams build() {
      return new RefundCreateParams(fields);
    }
  }
}
