package cn.paymux;

import java.util.List;

/** No answer from paymux: the connection failed, was closed or timed out (after the retries). */
public class ConnectionException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  public ConnectionException(String message, Throwable cause) {
    super(message, 0, "", "", List.of(), cause);
  }
}
