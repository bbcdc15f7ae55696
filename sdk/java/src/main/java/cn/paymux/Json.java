package cn.paymux;

import java.util.Map;

/**
 * A small, strict JSON reader and writer (RFC 8259), so that the SDK needs nothing but the JDK.
 *
 * <p>Reading maps an object to a {@code LinkedHashMap<String, Object>} (order kept), an array to
 * a {@code List<Object>}, a string to {@code String}, {@code true/false} to {@code Boolean},
 * {@code null} to {@code null}, an integer to {@code Long} (or {@code BigInteger} beyond 64 bits)
 * and a number with a fraction or exponent to {@code BigDecimal}. Anything that is not exactly
 * one JSON value (trailing bytes, leading zeros, unescaped control characters, bad escapes,
 * duplicate keys, nesting deeper than {@value #MAX_DEPTH}) is a {@link Json.ParseException}.
 *
 * <p>Writing accepts the same types (any {@code Map} with string keys, any {@code Iterable},
 * any {@code Number} that is finite, {@link PaymuxObject}) and writes compact JSON with non-ASCII
 * characters as UTF-8, as paymux itself does.
 */
public final class Json {
  /** Deeper documents are refused rather than risk the stack. */
  public static final int MAX_DEPTH = 256;

  private Json() {}

  /** A document that is not valid JSON; the message says where. */
  public static final class ParseException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ParseException(String message, int offset) {
      super(message + " at offset " + offset);
    }
  }

  /** The value of a JSON document. */
  public static Object parse(String text) {
    JsonReader reader = new JsonReader(text);
    reader.skipSpace();
    Object value = reader.value(0);
    reader.skipSpace();
    if (reader.pos != text.length()) {
      throw new ParseException("unexpected data after the value", reader.pos);
    }
    return value;
  }

  /** A JSON document that must be an object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object value = parse(text);
    if (!(value instanceof Map)) {
      throw new ParseException("the document is not a JSON object", 0);
    }
    return (Map<String, Object>) value;
  }

  /** Compact JSON for {@code value}. */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    JsonWriter.writeValue(out, value, 0);
    return out.toString();
  }
}
