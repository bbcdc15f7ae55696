package cn.paymux;

import java.util.Map;

/** sdk/testvectors/request_signing.json: every case. */
public final class SigningVectorsSpec {
  @Check
  public void everyCaseSignsAsTheServer() {
    int ran = Vectors.every(Vectors.cases("request_signing", "cases"), this::signs);
    Expect.equal(6, ran, "request_signing cases run");
  }

  private void signs(Map<String, Object> v) {
    byte[] body = Vectors.bytes(v, "body_base64");
    String method = (String) v.get("method");
    String path = (String) v.get("path");
    String timestamp = (String) v.get("timestamp");
    String nonce = (String) v.get("nonce");
    Expect.equal(v.get("body_sha256"), RequestSigner.sha256Hex(body), "body hash");
    Expect.equal(v.get("string_to_sign"), RequestSigner.stringToSign(method, path, timestamp, nonce, body), "string to sign");
    Expect.equal(v.get("signature"), RequestSigner.hmacSha256Hex((String) v.get("secret"), (String) v.get("string_to_sign")), "signature");
    Expect.equal(v.get("authorization"),
        RequestSigner.authorization((String) v.get("app_id"), (String) v.get("secret"), method, path, timestamp, nonce, body),
        "Authorization");
  }

  @Check
  public void aNonceIsNew128BitHex() {
    String a = RequestSigner.newNonce();
    Expect.isTrue(a.matches("[0-9a-f]{32}"), "nonce " + a);
    Expect.notEqual(a, RequestSigner.newNonce(), "a second nonce");
  }
}
