package cn.paymux;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The body of {@code payments().create} (docs/openapi.json, CreatePaymentRequest). */
public final class PaymentCreateParams {
  private final Map<String, Object> fields;

  private PaymentCreateParams(Map<String, Object> fields) {
    this.fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The fields as sent. */
  public Map<String, Object> toMap() {
    return new LinkedHashMap<>(fields);
  }

  public static final class Builder {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    /** In the currency's minor unit (fen for CNY). */
    public Builder amount(long amount) { return put("amount", amount); }
    public Builder currency(String currency) { return put("currency", currency); }
    /** e.g. wechat.native, alipay.qr, unionpay.qr (docs/channels.md). */
    public Builder method(String method) { return put("method", method); }
    public Builder fallbackMethods(List<String> methods) { return put("fallback_methods", List.copyOf(methods)); }
    public Builder subject(String subject) { return put("subject", subject); }
    public Builder description(String description) { return put("description", description); }
    /** Unique per order: paymux answers the same payment for the same order again. */
    public Builder merchantOrderNo(String merchantOrderNo) { return put("merchant_order_no", merchantOrderNo); }
    public Builder notifyUrl(String notifyUrl) { return put("notify_url", notifyUrl); }
    public Builder returnUrl(String returnUrl) { return put("return_url", returnUrl); }
    public Builder expiresIn(long seconds) { return put("expires_in", seconds); }
    /** openid, client_ip, buyer_id, auth_code, … as the method needs. */
    public Builder payer(Map<String, ?> payer) { return put("payer", new LinkedHashMap<>(payer)); }
    public Builder metadata(Map<String, String> metadata) { return put("metadata", new LinkedHashMap<>(metadata)); }

    /** Any other field (one this SDK version does not name yet). */
    public Builder put(String name, Object value) {
      fields.put(name, value);
      return this;
    }

    public PaymentCreateParams build() {
      return new PaymentCreateParams(fields);
    }
  }
}
