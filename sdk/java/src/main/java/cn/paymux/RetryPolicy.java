package cn.paymux;

import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * What is safe to retry, and how long to wait (the SDKs' shared contract, docs/integration.md).
 *
 * <ul>
 *   <li>{@code Paymux-Should-Retry: true} on an error answer: retry; {@code false}: never;
 *   <li>no marker: retry only 502, 503 and 504 (and connection errors, see {@link RequestSender});
 *   <li>wait min(0.5·2^(n−1), 5) s × a jitter in [0.5, 1], and at least {@code Retry-After}
 *       seconds (capped at 5 s) when the answer carries one.
 * </ul>
 */
final class RetryPolicy {
  static final String SHOULD_RETRY_HEADER = "Paymux-Should-Retry";
  static final double INITIAL_DELAY_SECONDS = 0.5;
  static final double MAX_DELAY_SECONDS = 5.0;

  private RetryPolicy() {}

  /** Whether an error answer may be retried (retries left aside). */
  static boolean retryable(int status, Optional<String> marker) {
    if (marker.isPresent()) {
      String value = marker.get().strip();
      if (value.equalsIgnoreCase("true")) {
        return true;
      }
      if (value.equalsIgnoreCase("false")) {
        return false;
      }
    }
    return status == 502 || status == 503 || status == 504;
  }

  /** The wait before retry number {@code retry} (1, 2, …); {@code jitter} yields values in [0, 1). */
  static Duration delay(int retry, Optional<String> retryAfter, DoubleSupplier jitter) {
    double base = Math.min(INITIAL_DELAY_SECONDS * Math.pow(2, retry - 1), MAX_DELAY_SECONDS);
    double seconds = base * (0.5 + 0.5 * jitter.getAsDouble());
    double floor = retryAfter.map(RetryPolicy::retryAfterSeconds).orElse(0.0);
    return Duration.ofNanos((long) (Math.max(seconds, floor) * 1e9));
  }

  /** A Retry-After of delta seconds, capped at the longest wait; an HTTP date or junk is ignored. */
  static double retryAfterSeconds(String value) {
    String text = value.strip();
    if (!Webhook.isDigits(text)) {
      return 0.0;
    }
    return Math.min(Long.parseLong(text), MAX_DELAY_SECONDS);
  }
}
