package cn.paymux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The shared golden vectors, sdk/testvectors/*.json (system property paymux.testvectors, else ../testvectors). */
final class Vectors {
  private Vectors() {}

  static Map<String, Object> load(String name) {
    Path dir = Path.of(System.getProperty("paymux.testvectors", "../testvectors"));
    try {
      return Json.parseObject(Files.readString(dir.resolve(name + ".json"), StandardCharsets.UTF_8));
    } catch (IOException exc) {
      throw new AssertionError("cannot read the golden vectors " + dir.resolve(name + ".json").toAbsolutePath(), exc);
    }
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> cases(String name, String key) {
    List<Map<String, Object>> cases = (List<Map<String, Object>>) load(name).get(key);
    Expect.isTrue(cases != null && !cases.isEmpty(), name + ".json has no " + key + " cases");
    return cases;
  }

  static byte[] bytes(Map<String, Object> vector, String key) {
    return Base64.getDecoder().decode((String) vector.get(key));
  }

  /** Runs {@code check} on every case and fails with every failing case's name. */
  static int every(List<Map<String, Object>> cases, java.util.function.Consumer<Map<String, Object>> check) {
    StringBuilder failures = new StringBuilder();
    for (Map<String, Object> vector : cases) {
      try {
        check.accept(vector);
      } catch (AssertionError | RuntimeException exc) {
        failures.append("\n  ").append(vector.get("name")).append(": ").append(exc.getMessage());
      }
    }
    if (failures.length() > 0) {
      throw new AssertionError("failing vectors:" + failures);
    }
    return cases.size();
  }
}
