package cn.paymux;

import java.util.List;
import java.util.Map;

/** Models read the documented fields, keep unknown ones, and errors are typed by status and code. */
public final class ModelSpec {
  @Check
  public void aPaymentKeepsFieldsThisSdkDoesNotKnow() {
    Payment payment = new Payment(Json.parseObject("{\"id\":\"pay_1\",\"status\":\"SUCCESS\",\"amount\":1999,"
        + "\"amount_refundable\":1499,\"paid_at\":null,\"action\":{\"type\":\"qr_code\",\"code_url\":\"weixin://x\"},"
        + "\"brand_new_field\":{\"nested\":[1]}}"));
    Expect.equal("pay_1", payment.getId(), "id");
    Expect.isTrue(payment.isSucceeded(), "succeeded");
    Expect.equal(1999L, payment.getAmount(), "amount");
    Expect.equal(1499L, payment.getAmountRefundable(), "amount refundable");
    Expect.equal(null, payment.getPaidAt(), "null stays null");
    Expect.equal("weixin://x", payment.getCodeUrl(), "code url");
    Expect.equal(Map.of("nested", List.of(1L)), payment.get("brand_new_field"), "unknown field kept");
    Expect.isTrue(payment.toJson().contains("\"brand_new_field\":{\"nested\":[1]}"), "and written back");
    Expect.raises(UnsupportedOperationException.class, () -> payment.toMap().put("id", "x"), "immutable");
  }

  @Check
  public void aDocumentedFieldOfTheWrongTypeIsAnApiError() {
    Payment payment = new Payment(Json.parseObject("{\"amount\":\"1999\"}"));
    Expect.equal("invalid_response",
        Expect.raises(ApiException.class, payment::getAmount, "a string amount").getCode(), "code");
  }

  @Check
  public void aWebhookEventTypesItsObject() {
    WebhookEvent refund = new WebhookEvent(Json.parseObject(
        "{\"id\":\"evt_1\",\"type\":\"refund.succeeded\",\"created\":5,\"data\":{\"object\":{\"object\":\"refund\",\"id\":\"re_1\",\"amount\":500}}}"));
    Expect.equal(5L, refund.getCreated(), "created");
    Expect.equal(null, refund.getPayment(), "not a payment");
    Expect.equal(500L, refund.getRefund().getAmount(), "the refund");
  }

  private static PaymuxException error(int status, String code) {
    return PaymuxException.fromResponse(status, Json.parseObject("{\"error\":{\"code\":\"" + code
        + "\",\"message\":\"m\",\"request_id\":\"req_1\",\"details\":[{\"field\":\"amount\",\"message\":\"x\"}]}}"), "gw");
  }

  @Check
  public void errorsAreTypedByStatusThenCode() {
    Object[][] table = {
      {400, "bad_request", InvalidRequestException.class}, {422, "validation_failed", InvalidRequestException.class},
      {406, "not_acceptable", InvalidRequestException.class}, {413, "payload_too_large", InvalidRequestException.class},
      {415, "unsupported_media_type", InvalidRequestException.class}, {401, "invalid_signature", AuthenticationException.class},
      {404, "not_found", NotFoundException.class}, {409, "conflict", ConflictException.class},
      {409, "idempotency_key_reused", IdempotencyException.class}, {409, "idempotency_key_in_use", IdempotencyException.class},
      {429, "rate_limited", RateLimitException.class}, {500, "internal_error", ApiException.class},
      {502, "channel_rejected", ChannelException.class}, {503, "channel_unavailable", ChannelException.class},
      {503, "busy", ApiException.class},
    };
    for (Object[] row : table) {
      PaymuxException exc = error((Integer) row[0], (String) row[1]);
      Expect.equal(row[2], exc.getClass(), row[0] + " " + row[1]);
      Expect.equal(row[0], exc.getStatus(), "status");
      Expect.equal(row[1], exc.getCode(), "code");
      Expect.equal("m", exc.getMessage(), "message");
      Expect.equal("req_1", exc.getRequestId(), "request id");
      Expect.equal(List.of(Map.of("field", "amount", "message", "x")), exc.getDetails(), "details");
    }
    Expect.isTrue(error(409, "idempotency_key_reused") instanceof ConflictException, "an idempotency error is a conflict");
    PaymuxException bare = PaymuxException.fromResponse(502, null, "");
    Expect.equal(ApiException.class, bare.getClass(), "a 502 without a body");
    Expect.equal("HTTP 502 from paymux", bare.getMessage(), "its message");
  }
}
