package cn.paymux;

import java.util.List;
import java.util.Map;

/**
 * The base of every error the SDK throws. An error paymux answered carries its HTTP status and
 * paymux's {@code error.code}, {@code error.message}, {@code error.request_id} and
 * {@code error.details} (docs/openapi.json, ErrorBody); an error without an answer (a
 * connection failure, a bad signature) has status 0.
 */
public class PaymuxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final String requestId;
  private final transient List<Object> details;

  public PaymuxException(String message, int status, String code, String requestId, List<Object> details) {
    this(message, status, code, requestId, details, null);
  }

  public PaymuxException(
      String message, int status, String code, String requestId, List<Object> details, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = code == null ? "" : code;
    this.requestId = requestId == null ? "" : requestId;
    this.details = details == null ? List.of() : List.copyOf(details);
  }

  /** The HTTP status paymux answered, or 0 when there was no answer. */
  public int getStatus() {
    return status;
  }

  /** paymux's {@code error.code}, e.g. {@code validation_failed}; empty when there was no answer. */
  public String getCode() {
    return code;
  }

  /** paymux's request id (quote it to support); empty when unknown. */
  public String getRequestId() {
    return requestId;
  }

  /** paymux's {@code error.details}: usually {@code {"field": …, "message": …}} objects. */
  public List<Object> getDetails() {
    return details;
  }

  /**
   * The typed error for an error answer: by status, then by code (docs/openapi.json). An answer
   * without paymux's error envelope (a proxy's page) gets the code {@code http_<status>}; the
   * request id is the body's, else {@code gatewayRequestId} (the apigw-requestid header).
   */
  static PaymuxException fromResponse(int status, Map<String, Object> body, String gatewayRequestId) {
    Object error = body == null ? null : body.get("error");
    Map<?, ?> fields = error instanceof Map<?, ?> m ? m : Map.of();
    String code = fields.get("code") instanceof String s && !s.isEmpty() ? s : "http_" + status;
    String message = fields.get("message") instanceof String s ? s : "HTTP " + status + " from paymux";
    String requestId = fields.get("request_id") instanceof String s && !s.isEmpty()
        ? s
        : gatewayRequestId == null ? "" : gatewayRequestId;
    @SuppressWarnings("unchecked")
    List<Object> details = fields.get("details") instanceof List<?> l ? (List<Object>) l : List.of();
    if (status == 401 || status == 403) {
      return new AuthenticationException(message, status, code, requestId, details);
    }
    if (status == 404) {
      return new NotFoundException(message, status, code, requestId, details);
    }
    if (status == 409) {
      return code.startsWith("idempotency_")
          ? new IdempotencyException(message, status, code, requestId, details)
          : new ConflictException(message, status, code, requestId, details);
    }
    if (status == 429) {
      return new RateLimitException(message, status, code, requestId, details);
    }
    if (status >= 500) {
      return code.startsWith("channel_")
          ? new ChannelException(message, status, code, requestId, details)
          : new ApiException(message, status, code, requestId, details);
    }
    if (status >= 400) {
      return new InvalidRequestException(message, status, code, requestId, details);
    }
    return new ApiException(message, status, code, requestId, details);
  }
}
