package cn.paymux;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Runs every {@link Check} of the SDK's specs with nothing but the JDK:
 * {@code java -cp <classes> cn.paymux.SpecRunner [name …]} prints one line per check (those whose
 * name contains one of the arguments, if any) and exits 1 when any fails. (Maven runs the same checks through JUnit: JUnitSpecsTest.)
 */
public final class SpecRunner {
  static final List<Class<?>> SPECS = List.of(
      JsonSpec.class, SigningVectorsSpec.class, WebhookVectorsSpec.class, ReturnVectorsSpec.class,
      ModelSpec.class, ClientSpec.class, RetrySpec.class, ReviewSpec.class);

  private SpecRunner() {}

  /** One named check. */
  record Named(String name, Class<?> spec, Method method) {
    void run() throws Throwable {
      Object instance = spec.getDeclaredConstructor().newInstance();
      try {
        method.invoke(instance);
      } catch (InvocationTargetException exc) {
        throw exc.getCause();
      }
    }
  }

  static List<Named> checks() {
    List<Named> all = new ArrayList<>();
    for (Class<?> spec : SPECS) {
      Arrays.stream(spec.getDeclaredMethods())
          .filter(m -> m.isAnnotationPresent(Check.class))
          .sorted(Comparator.comparing(Method::getName))
          .forEach(m -> all.add(new Named(spec.getSimpleName() + "." + m.getName(), spec, m)));
    }
    return all;
  }

  public static void main(String[] args) {
    int failed = 0;
    List<Named> checks = checks().stream()
        .filter(c -> args.length == 0 || Arrays.stream(args).anyMatch(c.name()::contains))
        .toList();
    for (Named check : checks) {
      try {
        check.run();
        System.out.println("ok   " + check.name());
      } catch (Throwable exc) {
        failed++;
        System.out.println("FAIL " + check.name() + ": " + exc);
        exc.printStackTrace(System.out);
      }
    }
    System.out.println(checks.size() - failed + " passed, " + failed + " failed");
    System.exit(failed == 0 && !checks.isEmpty() ? 0 : 1);
  }
}
