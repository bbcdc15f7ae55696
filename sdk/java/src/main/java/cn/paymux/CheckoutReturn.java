package cn.paymux;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The checkout's verified "back to the merchant" redirect (docs/checkout.md §3).
 *
 * <pre>{@code
 * CheckoutReturn landing = CheckoutReturn.verifyReturn(request.getQueryString(), secret);
 * }</pre>
 *
 * <p>paymux adds paymux_session_id, paymux_merchant_order_no, paymux_payment_id, paymux_status
 * and paymux_timestamp to your return_url, and paymux_signature = hex(HMAC-SHA256(secret, the
 * five {@code name=value} pairs in that order joined with "&amp;")). Show "paid" only for a
 * verified, fresh {@code paid}; fulfil the order from the checkout.session.completed
 * notification (or {@code checkoutSessions().get(id)}), never from the landing page alone.
 */
public record CheckoutReturn(
    String sessionId, String merchantOrderNo, String paymentId, String status, String timestamp) {
  public static final long DEFAULT_TOLERANCE = 300;
  static final String[] FIELDS = {
    "paymux_session_id", "paymux_merchant_order_no", "paymux_payment_id", "paymux_status", "paymux_timestamp",
  };

  /** Verifies a raw query string (form-encoded: '+' is a space) at the system clock. */
  public static CheckoutReturn verifyReturn(String query, String secret) {
    return verifyReturn(parseQuery(query), secret, DEFAULT_TOLERANCE, Clock.systemUTC());
  }

  /** Verifies already-decoded query parameters (e.g. a servlet's getParameter values). */
  public static CheckoutReturn verifyReturn(Map<String, String> query, String secret) {
    return verifyReturn(query, secret, DEFAULT_TOLERANCE, Clock.systemUTC());
  }

  public static CheckoutReturn verifyReturn(String query, String secret, long tolerance, Clock clock) {
    return verifyReturn(parseQuery(query), secret, tolerance, clock);
  }

  /**
   * The five verified values, or a {@link SignatureVerificationException} (tampered, unsigned,
   * stale, or an empty secret). The tolerance is as {@link Webhook#constructEvent(byte[], String,
   * String, long, Clock)}'s: 0 turns the time check off, a negative one is refused.
   */
  public static CheckoutReturn verifyReturn(Map<String, String> query, String secret, long tolerance, Clock clock) {
    Webhook.checkTolerance(tolerance);
    Webhook.checkSecret(secret, "");
    String[] values = new String[FIELDS.length];
    StringBuilder signed = new StringBuilder();
    for (int i = 0; i < FIELDS.length; i++) {
      values[i] = query.getOrDefault(FIELDS[i], "");
      signed.append(i == 0 ? "" : "&").append(FIELDS[i]).append('=').append(values[i]);
    }
    String expected = RequestSigner.hmacSha256Hex(secret, signed.toString());
    String given = query.getOrDefault("paymux_signature", "").toLowerCase(Locale.ROOT);
    if (!RequestSigner.constantTimeEquals(expected, given)) {
      throw new SignatureVerificationException("the return signature does not match", signed.toString());
    }
    String stamp = values[4];
    if (!Webhook.isDigits(stamp) || Webhook.outside(Long.parseLong(stamp), tolerance, clock)) {
      throw new SignatureVerificationException(
          "the return timestamp is outside the " + tolerance + " s tolerance", signed.toString());
    }
    return new CheckoutReturn(values[0], values[1], values[2], values[3], values[4]);
  }

  /** Whether the payer paid (only meaningful on a verified return). */
  public boolean isPaid() {
    return "paid".equals(status);
  }

  /**
   * The query's paymux_ parameters, form-decoded; a leading '?' is stripped. The merchant's own
   * parameters are ignored whatever their form (';', a bad '%'); a paymux_ parameter that
   * appears more than once is refused (which one was signed?).
   */
  static Map<String, String> parseQuery(String query) {
    Map<String, String> values = new HashMap<>();
    String text = query == null ? "" : query.startsWith("?") ? query.substring(1) : query;
    for (String pair : text.split("&")) {
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String name = decodeOrNull(rawName);
      if (name == null || !name.startsWith("paymux_")) {
        if (rawName.startsWith("paymux_")) {
          throw new SignatureVerificationException("the return's " + rawName + " is not form-encoded", "");
        }
        continue; // the merchant's own parameter
      }
      String value = eq < 0 ? "" : decodeOrNull(pair.substring(eq + 1));
      if (value == null) {
        throw new SignatureVerificationException("the return's " + name + " is not form-encoded", "");
      }
      if (values.putIfAbsent(name, value) != null) {
        throw new SignatureVerificationException("the return carries " + name + " more than once", "");
      }
    }
    return values;
  }

  private static String decodeOrNull(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException exc) {
      return null;
    }
  }
}
