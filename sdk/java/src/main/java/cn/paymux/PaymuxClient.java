package cn.paymux;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * The paymux API for one app. Thread-safe; make one per app and share it.
 *
 * <pre>{@code
 * PaymuxClient paymux = new PaymuxClient("app_…", "sk_…");
 * Payment payment = paymux.payments().create(PaymentCreateParams.builder()…build());
 * }</pre>
 *
 * <p>The base URL is the builder's, else the environment variable {@code PAYMUX_BASE_URL}, else
 * {@value #DEFAULT_BASE_URL}. Requests are signed (docs/authentication.md) and retried when that
 * is safe ({@link RetryPolicy}); errors are {@link PaymuxException}s.
 */
public final class PaymuxClient {
  public static final String VERSION = "0.1.0";
  public static final String DEFAULT_BASE_URL = "https://api.paymux.cn";
  public static final int DEFAULT_MAX_RETRIES = 2;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** {@code paymux-java/<sdk version> java/<runtime version>}. */
  public static final String USER_AGENT = "paymux-java/" + VERSION + " java/" + System.getProperty("java.version");

  private final PaymentService payments;
  private final RefundService refunds;
  private final NotificationService notifications;
  private final CheckoutSessionService checkoutSessions;

  /** A client with the default base URL (or PAYMUX_BASE_URL), retries and timeout. */
  public PaymuxClient(String appId, String secret) {
    this(builder(appId, secret));
  }

  public PaymuxClient(String appId, String secret, String baseUrl) {
    this(builder(appId, secret).baseUrl(baseUrl));
  }

  private PaymuxClient(Builder config) {
    HttpClient http = config.httpClient != null
        ? config.httpClient
        : HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    RequestSender sender = new RequestSender(config, http);
    this.payments = new PaymentService(sender);
    this.refunds = new RefundService(sender);
    this.notifications = new NotificationService(sender);
    this.checkoutSessions = new CheckoutSessionService(sender);
  }

  public static Builder builder(String appId, String secret) {
    return new Builder(appId, secret);
  }

  public PaymentService payments() {
    return payments;
  }

  public RefundService refunds() {
    return refunds;
  }

  public NotificationService notifications() {
    return notifications;
  }

  public CheckoutSessionService checkoutSessions() {
    return checkoutSessions;
  }

  /** Options of a client; {@link #build()} makes it. */
  public static final class Builder {
    final String appId;
    final String secret;
    String baseUrl;
    int maxRetries = DEFAULT_MAX_RETRIES;
    Duration timeout = DEFAULT_TIMEOUT;
    HttpClient httpClient;
    Clock clock = Clock.systemUTC();
    RequestSender.Sleeper sleeper = duration -> Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
    DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
    Supplier<String> nonces = RequestSigner::newNonce;

    private Builder(String appId, String secret) {
      this.appId = Objects.requireNonNull(appId, "appId");
      this.secret = Objects.requireNonNull(secret, "secret");
      String fromEnvironment = System.getenv("PAYMUX_BASE_URL");
      this.baseUrl = fromEnvironment == null || fromEnvironment.isBlank() ? DEFAULT_BASE_URL : fromEnvironment;
    }

    /** e.g. {@code https://api.paymux.cn} or a local stack's URL. */
    public Builder baseUrl(String baseUrl) {
      if (baseUrl != null) {
        this.baseUrl = baseUrl;
      }
      return this;
    }

    /** Retries of a failed request that is safe to retry (default 2; 0 turns them off). */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries must be 0 or more");
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /** The connect timeout and each attempt's answer timeout (default 30 s). */
    public Builder timeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive");
      }
      this.timeout = timeout;
      return this;
    }

    /** Your own java.net.http client (a proxy, an executor); HTTP/1.1 is what paymux speaks. */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    Builder sleeper(RequestSender.Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    Builder jitter(DoubleSupplier jitter) {
      this.jitter = jitter;
      return this;
    }

    public PaymuxClient build() {
      java.net.URI uri = java.net.URI.create(baseUrl);
      if (uri.getScheme() == null || uri.getHost() == null
          || !(uri.getScheme().equals("https") || uri.getScheme().equals("http"))) {
        throw new IllegalArgumentException("the base URL must be an http(s) URL: " + baseUrl);
      }
      return new PaymuxClient(this);
    }
  }
}
