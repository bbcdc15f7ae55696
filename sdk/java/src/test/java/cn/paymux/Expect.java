package cn.paymux;

import java.util.Objects;

/** Assertions for the specs (the SDK's tests run on the JDK alone, without JUnit). */
final class Expect {
  private Expect() {}

  interface Action {
    void run() throws Exception;
  }

  static void equal(Object expected, Object actual, String what) {
    if (!Objects.equals(expected, actual)) {
      throw new AssertionError(what + ": expected <" + expected + "> but was <" + actual + ">");
    }
  }

  static void notEqual(Object unexpected, Object actual, String what) {
    if (Objects.equals(unexpected, actual)) {
      throw new AssertionError(what + ": expected anything but <" + actual + ">");
    }
  }

  static void isTrue(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }

  static <T extends Throwable> T raises(Class<T> type, Action action, String what) {
    try {
      action.run();
    } catch (Throwable thrown) {
      if (type.isInstance(thrown)) {
        return type.cast(thrown);
      }
      throw new AssertionError(what + ": expected " + type.getSimpleName() + " but got " + thrown, thrown);
    }
    throw new AssertionError(what + ": expected " + type.getSimpleName() + " but nothing was thrown");
  }
}
