package cn.paymux;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Json's strict reader: one recursive-descent pass, depth-limited (see {@link Json}). */
final class JsonReader {
  private final String text;
  int pos;

  JsonReader(String text) {
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
    if (depth > Json.MAX_DEPTH) {
      throw new Json.ParseException("nesting deeper than " + Json.MAX_DEPTH, pos);
    }
    if (pos >= text.length()) {
      throw new Json.ParseException("unexpected end of input", pos);
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
        throw new Json.ParseException("unexpected character '" + c + "'", pos);
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, pos)) {
      throw new Json.ParseException("invalid literal", pos);
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
        throw new Json.ParseException("expected a string key", pos);
      }
      int keyAt = pos;
      String key = string();
      if (map.containsKey(key)) {
        throw new Json.ParseException("duplicate key \"" + key + "\"", keyAt);
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
        throw new Json.ParseException("expected ',' or '}'", pos - 1);
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
        throw new Json.ParseException("expected ',' or ']'", pos - 1);
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
        throw new Json.ParseException("unescaped control character in a string", pos - 1);
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
      default -> throw new Json.ParseException("invalid escape \\" + c, pos - 1);
    }
  }

  private char hex4() {
    if (pos + 4 > text.length()) {
      throw new Json.ParseException("truncated \\u escape", pos);
    }
    int code = 0;
    for (int i = 0; i < 4; i++) {
      int digit = Character.digit(text.charAt(pos + i), 16);
      if (digit < 0 || text.charAt(pos + i) > 0x7f) {
        throw new Json.ParseException("invalid \\u escape", pos);
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
      throw new Json.ParseException("invalid number", start);
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
      throw new Json.ParseException("invalid number", start);
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
      throw new Json.ParseException("unexpected end of input, expected " + expected, pos);
    }
    return text.charAt(pos++);
  }

  private void expect(char c) {
    if (peek() != c) {
      throw new Json.ParseException("expected '" + c + "'", pos);
    }
    pos++;
  }
}
