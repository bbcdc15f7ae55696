package cn.paymux;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Verifying paymux's notifications before trusting them (docs/authentication.md §2).
 *
 * <pre>{@code
 * WebhookEvent event = Webhook.constructEvent(rawBody, request.getHeader("Paymux-Signature"), secret);
 * }</pre>
 *
 * <p>The header is {@code t=<unix seconds>,v1=<hex>[,v1=<hex>…]}; each {@code v1} is
 * HMAC-SHA256(secret, "<t>.<raw body>"). During a secret rotation paymux sends one {@code v1}
 * per valid secret, so any match is enough. Pass the raw body exactly as received: re-serialised
 * JSON does not verify. Process each event id once: a retried notification carries the same id.
 */
public final class Webhook {
  /** Seconds a notification's timestamp may be from the clock. */
  public static final long DEFAULT_TOLERANCE = 300;
  /** The header paymux signs notifications in. */
  public static final String SIGNATURE_HEADER = "Paymux-Signature";

  private Webhook() {}

  public static WebhookEvent constructEvent(byte[] payload, String header, String secret) {
    return constructEvent(payload, header, secret, DEFAULT_TOLERANCE, Clock.systemUTC());
  }

  public static WebhookEvent constructEvent(String payload, String header, String secret) {
    return constructEvent(payload.getBytes(StandardCharsets.UTF_8), header, secret);
  }

  public static WebhookEvent constructEvent(byte[] payload, String header, String secret, long tolerance) {
    return constructEvent(payload, header, secret, tolerance, Clock.systemUTC());
  }

  /**
   * The verified event, or a {@link SignatureVerificationException} (an empty secret never
   * verifies). The timestamp is compared with the clock to the millisecond (300.5 s is stale
   * for 300). A tolerance of 0 skips the timestamp check (as Stripe's SDKs do); a negative one
   * is an {@link IllegalArgumentException}.
   */
  public static WebhookEvent constructEvent(byte[] payload, String header, String secret, long tolerance, Clock clock) {
    checkTolerance(tolerance);
    String given = header == null ? "" : header;
    checkSecret(secret, given);
    Parsed parsed = parse(given);
    if (outside(parsed.timestamp, tolerance, clock)) {
      throw new SignatureVerificationException("the timestamp is outside the " + tolerance + " s tolerance", given);
    }
    String expected = sign(payload, secret, parsed.timestamp);
    boolean matched = false;
    for (String candidate : parsed.signatures) {
      matched |= RequestSigner.constantTimeEquals(expected, candidate); // no early exit
    }
    if (!matched) {
      throw new SignatureVerificationException("no signature matches the payload and secret", given);
    }
    Map<String, Object> object;
    try {
      object = Json.parseObject(new String(payload, StandardCharsets.UTF_8));
    } catch (Json.ParseException exc) {
      throw new SignatureVerificationException("the verified payload is not a JSON object", given, exc);
    }
    return new WebhookEvent(object);
  }

  /** A valid {@code Paymux-Signature} for {@code payload} at {@code timestamp}: for your tests. */
  public static String generateTestHeader(byte[] payload, String secret, long timestamp) {
    return "t=" + timestamp + ",v1=" + sign(payload, secret, timestamp);
  }

  public static String generateTestHeader(String payload, String secret, long timestamp) {
    return generateTestHeader(payload.getBytes(StandardCharsets.UTF_8), secret, timestamp);
  }

  private static String sign(byte[] payload, String secret, long timestamp) {
    byte[] prefix = (timestamp + ".").getBytes(StandardCharsets.US_ASCII);
    byte[] message = new byte[prefix.length + payload.length];
    System.arraycopy(prefix, 0, message, 0, prefix.length);
    System.arraycopy(payload, 0, message, prefix.length, payload.length);
    return java.util.HexFormat.of().formatHex(RequestSigner.hmacSha256(secret, message));
  }

  /** 0 disables the time check; a negative tolerance is a programming error, never "off". */
  static void checkTolerance(long tolerance) {
    if (tolerance < 0) {
      throw new IllegalArgumentException(
          "the tolerance must be ≥ 0 seconds (0 turns the time check off), not " + tolerance);
    }
  }

  /** An empty key would verify whatever was signed with an empty key: it never verifies. */
  static void checkSecret(String secret, String header) {
    if (secret == null || secret.isEmpty()) {
      throw new SignatureVerificationException("the secret is empty", header);
    }
  }

  /** Whether {@code timestamp} (unix seconds) is more than {@code tolerance} s from the clock, in milliseconds. */
  static boolean outside(long timestamp, long tolerance, Clock clock) {
    if (tolerance == 0) {
      return false;
    }
    try {
      long skew = Math.abs(Math.subtractExact(clock.millis(), Math.multiplyExact(timestamp, 1000L)));
      return skew > Math.multiplyExact(tolerance, 1000L);
    } catch (ArithmeticException exc) {
      return true; // a timestamp (or tolerance) beyond any clock
    }
  }

  private record Parsed(long timestamp, List<String> signatures) {}

  private static Parsed parse(String header) {
    Long timestamp = null;
    boolean seenT = false;
    List<String> signatures = new ArrayList<>();
    for (String part : header.split(",", -1)) {
      String item = part.strip();
      int eq = item.indexOf('=');
      String key = eq < 0 ? item : item.substring(0, eq);
      String value = eq < 0 ? "" : item.substring(eq + 1);
      if (key.equals("t")) {
        if (seenT) { // two t= would let a parser pick another one than was signed
          throw new SignatureVerificationException(SIGNATURE_HEADER + " carries t= twice", header);
        }
        seenT = true;
        timestamp = isDigits(value) ? Long.parseLong(value) : null;
      } else if (key.equals("v1") && !value.isEmpty()) {
        signatures.add(value);
      }
    }
    if (timestamp == null || signatures.isEmpty()) {
      throw new SignatureVerificationException(SIGNATURE_HEADER + " must carry t=… and at least one v1=…", header);
    }
    return new Parsed(timestamp, signatures);
  }

  /** 1–18 ASCII digits (so that the value fits a long). */
  static boolean isDigits(String value) {
    if (value.isEmpty() || value.length() > 18) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
