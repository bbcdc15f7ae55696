package cn.paymux;

import java.util.List;

/** Too many requests (429). */
public class RateLimitException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  public RateLimitException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
