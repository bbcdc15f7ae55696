package cn.paymux;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    Reader reader = new Reader(text);
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
    writeValue(out, value, 0);
    return out.toString();
  }

  private static final class Reader {
    private final String text;
    private int pos;

    Reader(String text) {
      this.text = text;
    }

    void skipSpace() {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) {
        throw new ParseException("nesting deeper than " + MAX_DEPTH, pos);
      }
      if (pos >= text.length()) {
        throw new ParseException("unexpected end of input", pos);
      }
      char c = text.charAt(pos);
      switch (c) {
        case '{':
          return object(depth);
        case '[':
          return array(depth);
        case '"':
          return string();
        case 't':
          return literal("true", Boolean.TRUE);
        case 'f':
          return literal("false", Boolean.FALSE);
        case 'n':
          return literal("null", null);
        default:
          if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
          }
          throw new ParseException("unexpected character '" + c + "'", pos);
      }
    }

    private Object literal(String word, Object value) {
      if (!text.startsWith(word, pos)) {
        throw new ParseException("invalid literal", pos);
      }
      pos += word.length();
      return value;
    }

    private Map<String, Object> object(int depth) {
      Map<String, Object> map = new LinkedHashMap<>();
      pos++; // '{'
      skipSpace();
      if (peek() == '}') {
        pos++;
        return map;
      }
      while (true) {
        skipSpace();
        if (peek() != '"') {
          throw new ParseException("expected a string key", pos);
        }
        int keyAt = pos;
        String key = string();
        if (map.containsKey(key)) {
          throw new ParseException("duplicate key \"" + key + "\"", keyAt);
        }
        skipSpace();
        expect(':');
        skipSpace();
        map.put(key, value(depth + 1));
        skipSpace();
        char c = next("',' or '}'");
        if (c == '}') {
          return map;
        }
        if (c != ',') {
          throw new ParseException("expected ',' or '}'", pos - 1);
        }
      }
    }

    private List<Object> array(int depth) {
      List<Object> list = new ArrayList<>();
      pos++; // '['
      skipSpace();
      if (peek() == ']') {
        pos++;
        return list;
      }
      while (true) {
        skipSpace();
        list.add(value(depth + 1));
        skipSpace();
        char c = next("',' or ']'");
        if (c == ']') {
          return list;
        }
        if (c != ',') {
          throw new ParseException("expected ',' or ']'", pos - 1);
        }
      }
    }

    private String string() {
      pos++; // opening quote
      StringBuilder out = new StringBuilder();
      while (true) {
        char c = next("a closing quote");
        if (c == '"') {
          return out.toString();
        }
        if (c == '\\') {
          escape(out);
        } else if (c < 0x20) {
          throw new ParseException("unescaped control character in a string", pos - 1);
        } else {
          out.append(c);
        }
      }
    }

    private void escape(StringBuilder out) {
      char c = next("an escape");
      switch (c) {
        case '"', '\\', '/' -> out.append(c);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> out.append(hex4());
        default -> throw new ParseException("invalid escape \\" + c, pos - 1);
      }
    }

    private char hex4() {
      if (pos + 4 > text.length()) {
        throw new ParseException("truncated \\u escape", pos);
      }
      int code = 0;
      for (int i = 0; i < 4; i++) {
        int digit = Character.digit(text.charAt(pos + i), 16);
        if (digit < 0 || text.charAt(pos + i) > 0x7f) {
          throw new ParseException("invalid \\u escape", pos);
        }
        code = code * 16 + digit;
      }
      pos += 4;
      return (char) code;
    }

    private Number number() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      if (peek() == '0') {
        pos++;
      } else if (isDigit(peek())) {
        digits();
      } else {
        throw new ParseException("invalid number", start);
      }
      boolean integral = true;
      if (peek() == '.') {
        integral = false;
        pos++;
        requireDigits(start);
      }
      if (peek() == 'e' || peek() == 'E') {
        integral = false;
        pos++;
        if (peek() == '+' || peek() == '-') {
          pos++;
        }
        requireDigits(start);
      }
      String literal = text.substring(start, pos);
      if (!integral) {
        return new BigDecimal(literal);
      }
      BigInteger big = new BigInteger(literal);
      return big.bitLength() < 64 ? (Number) big.longValue() : big;
    }

    private void requireDigits(int start) {
      if (!isDigit(peek())) {
        throw new ParseException("invalid number", start);
      }
      digits();
    }

    private void digits() {
      while (isDigit(peek())) {
        pos++;
      }
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }

    private char peek() {
      return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next(String expected) {
      if (pos >= text.length()) {
        throw new ParseException("unexpected end of input, expected " + expected, pos);
      }
      return text.charAt(pos++);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw new ParseException("expected '" + c + "'", pos);
      }
      pos++;
    }
  }

  private static void writeValue(StringBuilder out, Object value, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("nesting deeper than " + MAX_DEPTH + " (a cycle?)");
    }
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      writeString(out, s);
    } else if (value instanceof Boolean b) {
      out.append(b.booleanValue());
    } else if (value instanceof Number n) {
      writeNumber(out, n);
    } else if (value instanceof Map<?, ?> map) {
      writeObject(out, map, depth);
    } else if (value instanceof Iterable<?> items) {
      writeArray(out, items, depth);
    } else if (value instanceof PaymuxObject object) {
      writeObject(out, object.toMap(), depth);
    } else if (value instanceof Enum<?> e) {
      writeString(out, e.name());
    } else {
      throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
    }
  }

  private static void writeObject(StringBuilder out, Map<?, ?> map, int depth) {
    out.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      if (!(entry.getKey() instanceof String key)) {
        throw new IllegalArgumentException("a JSON object key must be a String");
      }
      if (!first) {
        out.append(',');
      }
      first = false;
      writeString(out, key);
      out.append(':');
      writeValue(out, entry.getValue(), depth + 1);
    }
    out.append('}');
  }

  private static void writeArray(StringBuilder out, Iterable<?> items, int depth) {
    out.append('[');
    boolean first = true;
    for (Object item : items) {
      if (!first) {
        out.append(',');
      }
      first = false;
      writeValue(out, item, depth + 1);
    }
    out.append(']');
  }

  private static void writeNumber(StringBuilder out, Number n) {
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("JSON has no NaN or infinity");
      }
      out.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d));
    } else if (n instanceof BigDecimal big) {
      out.append(big.toString());
    } else if (n instanceof Long || n instanceof Integer || n instanceof Short
        || n instanceof Byte || n instanceof BigInteger) {
      out.append(n.toString());
    } else {
      throw new IllegalArgumentException("cannot write " + n.getClass().getName() + " as JSON");
    }
  }

  private static void writeString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c) && !pairedAt(s, i)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Whether the surrogate at {@code i} is half of a valid pair (lone halves are escaped, so the
   * UTF-8 encoding of the document never fails). */
  private static boolean pairedAt(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
