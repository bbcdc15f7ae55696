package cn.paymux;

import java.util.List;

/** No such object for this app (404). */
public class NotFoundException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
