package cn.paymux;

import java.util.List;

/** paymux failed to answer the request (5xx), or answered something the SDK cannot read. */
public class ApiException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  public ApiException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
