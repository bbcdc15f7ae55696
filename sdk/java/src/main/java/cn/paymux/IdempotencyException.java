package cn.paymux;

import java.util.List;

/** The Idempotency-Key was reused with another body ({@code idempotency_key_reused}) or is still in use by a request in flight ({@code idempotency_key_in_use}). */
public class IdempotencyException extends ConflictException {
  private static final long serialVersionUID = 1L;

  public IdempotencyException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
