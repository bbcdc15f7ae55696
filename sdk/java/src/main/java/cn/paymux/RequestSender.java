package cn.paymux;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Sends one API call: signs each attempt anew (a new timestamp and nonce: paymux refuses a
 * reused nonce), gives every POST an Idempotency-Key that stays the same across its retries,
 * and retries exactly what is safe ({@link RetryPolicy}): connection errors and timeouts, 502,
 * 503, 504 and answers marked {@code Paymux-Should-Retry: true}, up to {@code maxRetries} times.
 * A request whose connection was closed before any byte of an answer (the stale keep-alive
 * socket of a frozen Lambda container) is sent once more at once, even with retries off.
 * (java.net.http cannot tell a reused connection from a new one here, and itself re-sends a
 * GET in that case: see {@link #replayed}.)
 */
final class RequestSender {
  /** Waits between attempts; tests record instead of sleeping. */
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final String appId;
  private final String secret;
  private final URI baseUrl;
  private final int maxRetries;
  private final Duration timeout;
  private final HttpClient http;
  private final Clock clock;
  private final Sleeper sleeper;
  private final DoubleSupplier jitter;
  private final Supplier<String> nonces;

  RequestSender(PaymuxClient.Builder config, HttpClient http) {
    this.appId = config.appId;
    this.secret = config.secret;
    this.baseUrl = URI.create(config.baseUrl.replaceAll("/+$", ""));
    this.maxRetries = config.maxRetries;
    this.timeout = config.timeout;
    this.http = http;
    this.clock = config.clock;
    this.sleeper = config.sleeper;
    this.jitter = config.jitter;
    this.nonces = config.nonces;
  }

  /** The answer's JSON object, or the typed error. {@code body} is null for no body. */
  Map<String, Object> send(String method, String pathWithQuery, Map<String, ?> body, String idempotencyKey) {
    byte[] bytes = body == null ? new byte[0] : Json.write(body).getBytes(StandardCharsets.UTF_8);
    // an empty key is "none given": a POST gets a generated one, a GET none
    String key = idempotencyKey == null || idempotencyKey.isEmpty() ? null : idempotencyKey;
    if (key == null && method.equals("POST")) {
      key = UUID.randomUUID().toString();
    }
    String target = (baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath()) + pathWithQuery;
    Attempts attempts = new Attempts();
    while (true) {
      HttpResponse<byte[]> answer;
      try {
        answer = http.send(request(method, target, bytes, body != null, key), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException exc) {
        retryAfterConnectionError(exc, attempts);
        continue;
      } catch (InterruptedException exc) {
        Thread.currentThread().interrupt();
        throw new ConnectionException("interrupted while waiting for paymux", exc);
      }
      int status = answer.statusCode();
      if (status >= 200 && status < 300) {
        return success(status, answer.body());
      }
      if (!retryAfterErrorAnswer(method, answer, attempts)) {
        throw PaymuxException.fromResponse(
            status, errorBody(answer.body()), answer.headers().firstValue("apigw-requestid").orElse(""));
      }
    }
  }

  /** What one call has used up. */
  private static final class Attempts {
    int retries;
    boolean staleRetried;
  }

  /** Returns (after the wait) when the call may go again, else throws the ConnectionException. */
  private void retryAfterConnectionError(IOException exc, Attempts attempts) {
    if (!attempts.staleRetried && closedBeforeAnswer(exc)) {
      attempts.staleRetried = true; // at once, and even with retries off
      return;
    }
    if (attempts.retries >= maxRetries) {
      throw new ConnectionException("no answer from paymux (" + describe(exc) + ")", exc);
    }
    attempts.retries++;
    pause(RetryPolicy.delay(attempts.retries, Optional.empty(), jitter));
  }

  /** Whether (after the wait) an error answer is sent again. */
  private boolean retryAfterErrorAnswer(String method, HttpResponse<byte[]> answer, Attempts attempts) {
    int status = answer.statusCode();
    if (!attempts.staleRetried && status == 401 && method.equals("GET") && replayed(answer.body())) {
      attempts.staleRetried = true; // java.net.http re-sent our GET on a new connection, same nonce
      return true;
    }
    Optional<String> marker = answer.headers().firstValue(RetryPolicy.SHOULD_RETRY_HEADER);
    if (attempts.retries >= maxRetries || !RetryPolicy.retryable(status, marker)) {
      return false;
    }
    attempts.retries++;
    pause(RetryPolicy.delay(attempts.retries, answer.headers().firstValue("Retry-After"), jitter));
    return true;
  }

  private HttpRequest request(String method, String target, byte[] body, boolean hasBody, String key) {
    String timestamp = Long.toString(clock.millis() / 1000);
    String nonce = nonces.get();
    HttpRequest.Builder request = HttpRequest.newBuilder(baseUrl.resolve(target))
        .timeout(timeout)
        .header("Authorization", RequestSigner.authorization(appId, secret, method, target, timestamp, nonce, body))
        .header("Accept", "application/json")
        .header("User-Agent", PaymuxClient.USER_AGENT);
    if (hasBody) {
      request.header("Content-Type", "application/json");
    }
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    HttpRequest.BodyPublisher publisher = hasBody || method.equals("POST")
        ? HttpRequest.BodyPublishers.ofByteArray(body)
        : HttpRequest.BodyPublishers.noBody();
    return request.method(method, publisher).build();
  }

  private void pause(Duration duration) {
    try {
      sleeper.sleep(duration);
    } catch (InterruptedException exc) {
      Thread.currentThread().interrupt();
      throw new ConnectionException("interrupted while waiting to retry", exc);
    }
  }

  private static Map<String, Object> success(int status, byte[] body) {
    try {
      return Json.parseObject(new String(body, StandardCharsets.UTF_8));
    } catch (Json.ParseException exc) {
      throw new ApiException("paymux answered " + status + " with a body that is not a JSON object", status,
          "invalid_response", "", List.of());
    }
  }

  /**
   * java.net.http itself sends a GET once more, unchanged, when its pooled connection closes
   * before any byte of an answer; if paymux had seen the first one, the copy's nonce is
   * {@code replayed_request}. The SDK then signs it anew (a GET is safe to repeat), once.
   */
  private static boolean replayed(byte[] body) {
    Map<String, Object> error = errorBody(body);
    return error != null && error.get("error") instanceof Map<?, ?> fields
        && "replayed_request".equals(fields.get("code"));
  }

  private static Map<String, Object> errorBody(byte[] body) {
    try {
      return Json.parseObject(new String(body, StandardCharsets.UTF_8));
    } catch (Json.ParseException exc) {
      return null; // typed by its status alone
    }
  }

  /**
   * Whether the connection closed before any byte of the answer. java.net.http reports a pooled
   * connection that the server had already closed as "header parser received no bytes" (its
   * ConnectionExpiredException), or as an EOF while reading the status line.
   */
  static boolean closedBeforeAnswer(IOException exc) {
    for (Throwable t = exc; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      String message = t.getMessage() == null ? "" : t.getMessage();
      if (name.equals("ConnectionExpiredException") || message.contains("header parser received no bytes")
          || (t instanceof java.io.EOFException && message.contains("EOF reached while reading"))) {
        return true;
      }
    }
    return false;
  }

  private static String describe(IOException exc) {
    String message = exc.getMessage();
    return exc.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
