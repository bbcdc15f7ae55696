package cn.paymux;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The SDK's JSON reader and writer: exact values, and every malformed document refused. */
public final class JsonSpec {
  @Check
  public void readsEveryKindOfValue() {
    Map<String, Object> doc = Json.parseObject(
        " {\"s\":\"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00咖啡\",\"i\":-12,\"big\":123456789012345678901234,"
            + "\"d\":1.5e2,\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}],\"o\":{\"k\":0}} ");
    Expect.equal("a\"b\\c/\né😀咖啡", doc.get("s"), "string");
    Expect.equal(-12L, doc.get("i"), "integer is a Long");
    Expect.equal(new BigInteger("123456789012345678901234"), doc.get("big"), "beyond 64 bits");
    Expect.equal(new BigDecimal("1.5e2"), doc.get("d"), "fraction/exponent");
    Expect.equal(Boolean.TRUE, doc.get("t"), "true");
    Expect.equal(Boolean.FALSE, doc.get("f"), "false");
    Expect.isTrue(doc.containsKey("n") && doc.get("n") == null, "null kept");
    Expect.equal(List.of(1L, List.of(), Map.of()), doc.get("a"), "array");
    Expect.equal(List.of("s", "i", "big", "d", "t", "f", "n", "a", "o"), new ArrayList<>(doc.keySet()), "key order kept");
    Expect.equal(Long.MIN_VALUE, Json.parse("-9223372036854775808"), "the smallest long");
  }

  @Check
  public void refusesEveryMalformedDocument() {
    String[] bad = {
      "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "-", "1.", ".5", "1e", "+1",
      "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\u0001b\"", "tru", "nul", "{} x", "[]]", "NaN",
      "{\"a\":1,\"a\":2}", "\"\\\"", "1 2",
    };
    for (String text : bad) {
      Expect.raises(Json.ParseException.class, () -> Json.parse(text), "refuses <" + text + ">");
    }
    Expect.raises(Json.ParseException.class, () -> Json.parseObject("[]"), "an array is not an object");
    Expect.raises(Json.ParseException.class, () -> Json.parse("[".repeat(Json.MAX_DEPTH + 2)), "too deep");
    Json.parse("[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH)); // deep but allowed
  }

  @Check
  public void writesCompactJsonThatReadsBackEqual() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("amount", 1999);
    value.put("subject", "咖啡 \"beans\"\n\t\u0001\u2028");
    value.put("ok", true);
    value.put("none", null);
    value.put("list", List.of(1L, "x", Map.of()));
    value.put("ratio", new BigDecimal("0.25"));
    String text = Json.write(value);
    Expect.equal("{\"amount\":1999,\"subject\":\"咖啡 \\\"beans\\\"\\n\\t\\u0001\\u2028\",\"ok\":true,\"none\":null,"
        + "\"list\":[1,\"x\",{}],\"ratio\":0.25}", text, "compact JSON");
    Map<String, Object> back = Json.parseObject(text);
    Expect.equal(value.get("subject"), back.get("subject"), "the string reads back");
    Expect.equal(1999L, back.get("amount"), "the number reads back");
  }

  @Check
  public void refusesWhatJsonCannotHold() {
    Expect.raises(IllegalArgumentException.class, () -> Json.write(Double.NaN), "NaN");
    Expect.raises(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)), "a non-string key");
    Expect.raises(IllegalArgumentException.class, () -> Json.write(new Object()), "an unknown type");
    Expect.equal("\"\\ud800x\"", Json.write("\ud800x"), "a lone surrogate is escaped");
    Expect.equal("\"😀\"", Json.write("😀"), "a pair is written as is");
  }
}
