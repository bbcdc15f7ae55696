package cn.paymux;

import java.util.List;

/** The payment channel refused or could not be reached (502/503 with a {@code channel_…} code). */
public class ChannelException extends ApiException {
  private static final long serialVersionUID = 1L;

  public ChannelException(String message, int status, String code, String requestId, List<Object> details) {
    super(message, status, code, requestId, details);
  }
}
