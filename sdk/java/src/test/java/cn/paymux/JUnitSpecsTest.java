package cn.paymux;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Maven's way in: every {@link Check} of {@link SpecRunner#SPECS} as a JUnit 5 dynamic test. */
class JUnitSpecsTest {
  @TestFactory
  Stream<DynamicTest> specs() {
    return SpecRunner.checks().stream().map(check -> DynamicTest.dynamicTest(check.name(), check::run));
  }
}
