package cn.paymux;

import java.util.List;

/**
 * A notification or a checkout return whose signature is missing, malformed, does not match the
 * secret or is outside the tolerance. Never act on it.
 */
public class SignatureVerificationException extends PaymuxException {
  private static final long serialVersionUID = 1L;

  private final String header;

  public SignatureVerificationException(String message, String header) {
    this(message, header, null);
  }

  public SignatureVerificationException(String message, String header, Throwable cause) {
    super(message, 0, "", "", List.of(), cause);
    this.header = header == null ? "" : header;
  }

  /** The signature header (or the signed return string) that failed. */
  public String getHeader() {
    return header;
  }
}
