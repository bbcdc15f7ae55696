package cn.paymux;

import java.util.List;

/** The request's signature was refused (401): a wrong app id or secret, a stale clock, a reused nonce. */
public class AuthenticationException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  public AuthenticationException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
