package cn.paymux;

import java.util.Map;

/** sdk/testvectors/returns.json: every case. */
public final class ReturnVectorsSpec {
  @Check
  public void everyCaseIsAcceptedOrRefusedAsTheServerSigns() {
    int ran = Vectors.every(Vectors.cases("returns", "cases"), v -> {
      String query = (String) v.get("query");
      String secret = (String) v.get("secret");
      long tolerance = (Long) v.get("tolerance");
      java.time.Clock clock = WebhookVectorsSpec.at((Long) v.get("now"));
      if (Boolean.TRUE.equals(v.get("valid"))) {
        CheckoutReturn landing = CheckoutReturn.verifyReturn(query, secret, tolerance, clock);
        @SuppressWarnings("unchecked")
        Map<String, Object> values = (Map<String, Object>) v.get("values");
        Expect.equal(values.get("paymux_session_id"), landing.sessionId(), "session id");
        Expect.equal(values.get("paymux_merchant_order_no"), landing.merchantOrderNo(), "merchant order no");
        Expect.equal(values.get("paymux_payment_id"), landing.paymentId(), "payment id");
        Expect.equal(values.get("paymux_status"), landing.status(), "status");
        Expect.equal(values.get("paymux_timestamp"), landing.timestamp(), "timestamp");
      } else {
        Expect.raises(SignatureVerificationException.class,
            () -> CheckoutReturn.verifyReturn(query, secret, tolerance, clock), "refused");
      }
    });
    Expect.isTrue(ran >= 16, "returns cases run: " + ran); // a floor: the file may grow, never shrink unseen
  }

  @Check
  public void decodedParametersVerifyToo() {
    Map<String, Object> genuine = Vectors.cases("returns", "cases").get(0);
    Map<String, String> params = CheckoutReturn.parseQuery((String) genuine.get("query"));
    CheckoutReturn landing = CheckoutReturn.verifyReturn(params, (String) genuine.get("secret"), 300,
        WebhookVectorsSpec.at((Long) genuine.get("now")));
    Expect.isTrue(landing.isPaid(), "paid");
  }

  @Check
  public void aBrokenPercentEscapeIsASignatureError() {
    Expect.raises(SignatureVerificationException.class,
        () -> CheckoutReturn.verifyReturn("paymux_status=%zz", "sk_x"), "bad escape");
  }
}
