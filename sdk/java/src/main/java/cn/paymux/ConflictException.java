package cn.paymux;

import java.util.List;

/** The request conflicts with the object's state (409), e.g. closing a paid payment or a duplicate merchant_order_no with other parameters. */
public class ConflictException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
