package cn.paymux;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/** sdk/testvectors/webhooks.json: every verify case and every generate case. */
public final class WebhookVectorsSpec {
  static Clock at(long seconds) {
    return Clock.fixed(Instant.ofEpochSecond(seconds), ZoneOffset.UTC);
  }

  @Check
  public void everyVerifyCaseIsAcceptedOrRefusedAsTheServerSigns() {
    int ran = Vectors.every(Vectors.cases("webhooks", "verify"), v -> {
      byte[] payload = Vectors.bytes(v, "payload_base64");
      String header = (String) v.get("header");
      String secret = (String) v.get("secret");
      long tolerance = (Long) v.get("tolerance");
      Clock clock = at((Long) v.get("now"));
      if (Boolean.TRUE.equals(v.get("valid"))) {
        WebhookEvent event = Webhook.constructEvent(payload, header, secret, tolerance, clock);
        Expect.equal(v.get("event_id"), event.getId(), "event id");
        Expect.equal("payment.succeeded", event.getType(), "type");
        Expect.equal("SUCCESS", event.getPayment().getStatus(), "the payment's status");
      } else {
        SignatureVerificationException refused = Expect.raises(SignatureVerificationException.class,
            () -> Webhook.constructEvent(payload, header, secret, tolerance, clock), "refused");
        Expect.equal(header, refused.getHeader(), "the refused header");
      }
    });
    Expect.isTrue(ran >= 22, "verify cases run: " + ran); // a floor: the file may grow, never shrink unseen
  }

  @Check
  public void everyGenerateCaseMakesTheServersHeader() {
    int ran = Vectors.every(Vectors.cases("webhooks", "generate"), v -> {
      byte[] payload = Vectors.bytes(v, "payload_base64");
      long timestamp = (Long) v.get("timestamp");
      String header = Webhook.generateTestHeader(payload, (String) v.get("secret"), timestamp);
      Expect.equal(v.get("header"), header, "header");
      Webhook.constructEvent(payload, header, (String) v.get("secret"), 300, at(timestamp)); // and it verifies
    });
    Expect.equal(2, ran, "generate cases run");
  }

  @Check
  public void aStringPayloadIsItsUtf8Bytes() {
    String payload = "{\"id\":\"evt_1\",\"type\":\"payment.succeeded\",\"created\":1,\"data\":{\"object\":{\"object\":\"payment\",\"subject\":\"咖啡\"}}}";
    String header = Webhook.generateTestHeader(payload, "sk_x", 100);
    Expect.equal("咖啡", Webhook.constructEvent(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8), header, "sk_x", 300, at(100))
        .getPayment().getSubject(), "subject");
  }

  @Check
  public void aNullHeaderIsRefusedNotAnNpe() {
    Expect.raises(SignatureVerificationException.class,
        () -> Webhook.constructEvent(new byte[0], null, "sk_x", 300, at(0)), "null header");
  }

  @Check
  public void aSignedArrayIsNotAnEvent() {
    String header = Webhook.generateTestHeader("[1]", "sk_x", 100);
    Expect.raises(SignatureVerificationException.class,
        () -> Webhook.constructEvent("[1]".getBytes(java.nio.charset.StandardCharsets.UTF_8), header, "sk_x", 300, at(100)), "array");
  }

  @Check
  public void aSpaceAfterACommaIsAllowed() {
    String payload = "{\"id\":\"evt_2\",\"type\":\"payment.failed\",\"created\":1,\"data\":{\"object\":{\"object\":\"payment\"}}}";
    String header = Webhook.generateTestHeader(payload, "sk_x", 100).replace(",", ", ");
    Expect.equal("evt_2", Webhook.constructEvent(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8), header, "sk_x", 300, at(100)).getId(), "id");
  }
}
