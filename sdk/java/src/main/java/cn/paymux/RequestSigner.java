package cn.paymux;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a request as docs/authentication.md §1 says: HMAC-SHA256 over six lines (the scheme, the
 * method, the path with its query exactly as sent, the timestamp, the nonce and the SHA-256 of
 * the body bytes exactly as sent), in the {@code Authorization} header.
 */
public final class RequestSigner {
  public static final String SCHEME = "PAYMUX-HMAC-SHA256";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private RequestSigner() {}

  /** The six lines, each ending in a line feed. */
  public static String stringToSign(String method, String pathWithQuery, String timestamp, String nonce, byte[] body) {
    return SCHEME + "\n" + method.toUpperCase(java.util.Locale.ROOT) + "\n" + pathWithQuery + "\n"
        + timestamp + "\n" + nonce + "\n" + sha256Hex(body) + "\n";
  }

  /** The {@code Authorization} header value for one request. */
  public static String authorization(
      String appId, String secret, String method, String pathWithQuery, String timestamp, String nonce, byte[] body) {
    String signature = hmacSha256Hex(secret, stringToSign(method, pathWithQuery, timestamp, nonce, body));
    return SCHEME + " app_id=\"" + appId + "\",timestamp=\"" + timestamp + "\",nonce=\"" + nonce
        + "\",signature=\"" + signature + "\"";
  }

  /** A new nonce: 128 random bits in lower-case hex. */
  public static String newNonce() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HEX.formatHex(bytes);
  }

  static String sha256Hex(byte[] body) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
    } catch (GeneralSecurityException exc) {
      throw new IllegalStateException("the JDK has no SHA-256", exc);
    }
  }

  static String hmacSha256Hex(String secret, String message) {
    return HEX.formatHex(hmacSha256(secret, message.getBytes(StandardCharsets.UTF_8)));
  }

  static byte[] hmacSha256(String secret, byte[] message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(message);
    } catch (GeneralSecurityException exc) {
      throw new IllegalStateException("the JDK has no HmacSHA256", exc);
    }
  }

  /** Constant-time equality of two strings' UTF-8 bytes. */
  static boolean constantTimeEquals(String expected, String given) {
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }
}
