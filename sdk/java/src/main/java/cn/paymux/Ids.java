package cn.paymux;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** Path segments and query values as sent (and signed). */
final class Ids {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");

  private Ids() {}

  /** An id for a path: paymux's ids never need escaping, so anything else is refused before sending. */
  static String segment(String what, String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(what + " must be 1-128 characters of [A-Za-z0-9_-]");
    }
    return id;
  }

  /** A query value, percent-encoded (a space as %20). */
  static String query(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
