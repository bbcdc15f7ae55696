package cn.paymux;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An object paymux answered. The typed getters read the documented fields; every field,
 * including ones this SDK version does not know yet, stays readable with {@link #get(String)}
 * and {@link #toMap()}. A documented field of the wrong type is an {@link ApiException}.
 */
public abstract class PaymuxObject {
  private final Map<String, Object> fields;

  protected PaymuxObject(Map<String, Object> fields) {
    this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** A field as paymux sent it (after JSON decoding), or null. */
  public Object get(String name) {
    return fields.get(name);
  }

  /** Every field as paymux sent it. */
  public Map<String, Object> toMap() {
    return fields;
  }

  /** The object as compact JSON. */
  public String toJson() {
    return Json.write(fields);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + toJson();
  }

  protected String string(String name) {
    Object value = fields.get(name);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw wrongType(name, "a string");
  }

  protected long integer(String name) {
    Long value = optionalInteger(name);
    return value == null ? 0L : value;
  }

  protected Long optionalInteger(String name) {
    Object value = fields.get(name);
    if (value == null || value instanceof Long) {
      return (Long) value;
    }
    throw wrongType(name, "an integer");
  }

  @SuppressWarnings("unchecked")
  protected Map<String, Object> object(String name) {
    Object value = fields.get(name);
    if (value == null) {
      return null;
    }
    if (value instanceof Map) {
      return Collections.unmodifiableMap((Map<String, Object>) value);
    }
    throw wrongType(name, "an object");
  }

  @SuppressWarnings("unchecked")
  protected List<Object> list(String name) {
    Object value = fields.get(name);
    if (value == null) {
      return List.of();
    }
    if (value instanceof List) {
      return Collections.unmodifiableList((List<Object>) value);
    }
    throw wrongType(name, "an array");
  }

  /** The elements of a list of objects, each made into a model. */
  @SuppressWarnings("unchecked")
  static <T> List<T> objects(Object data, java.util.function.Function<Map<String, Object>, T> make) {
    if (!(data instanceof List<?> items)) {
      throw new ApiException("paymux answered a list without its data array", 0, "invalid_response", "", List.of());
    }
    List<T> out = new ArrayList<>();
    for (Object item : items) {
      if (!(item instanceof Map)) {
        throw new ApiException("paymux answered a list item that is not an object", 0, "invalid_response", "", List.of());
      }
      out.add(make.apply((Map<String, Object>) item));
    }
    return Collections.unmodifiableList(out);
  }

  private ApiException wrongType(String name, String expected) {
    return new ApiException(
        getClass().getSimpleName() + "." + name + " is not " + expected, 0, "invalid_response", "", List.of());
  }
}
