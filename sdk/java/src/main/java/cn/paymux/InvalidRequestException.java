package cn.paymux;

import java.util.List;

/** paymux refused the request as it stands (400, 405, 406, 410, 413, 415, 422, and any other 4xx): fix it, do not retry it. */
public class InvalidRequestException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  public InvalidRequestException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
