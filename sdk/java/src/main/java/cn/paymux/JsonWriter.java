package cn.paymux;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/** Json's writer: compact, UTF-8 as is, lone surrogates and control characters escaped (see {@link Json}). */
final class JsonWriter {
  private JsonWriter() {}

  static void writeValue(StringBuilder out, Object value, int depth) {
    if (depth > Json.MAX_DEPTH) {
      throw new IllegalArgumentException("nesting deeper than " + Json.MAX_DEPTH + " (a cycle?)");
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
