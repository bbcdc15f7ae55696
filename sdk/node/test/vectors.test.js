// Every case of sdk/testvectors/*.json (computed by paymux's own code) against this SDK.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  SignatureVerificationError,
  WebhookEvent,
  authorization,
  constructEvent,
  generateTestHeader,
  sign,
  stringToSign,
  verifyReturn,
} from "paymux";

const load = (name) => JSON.parse(readFileSync(new URL(`../../testvectors/${name}.json`, import.meta.url), "utf8"));
const bytes = (b64) => Buffer.from(b64, "base64");

const signing = load("request_signing");
const webhooks = load("webhooks");
const returns = load("returns");

test("the vector files are not empty", () => {
  assert.ok(signing.cases.length >= 6 && webhooks.verify.length >= 18 && webhooks.generate.length >= 2);
  assert.ok(returns.cases.length >= 12);
});

for (const c of signing.cases) {
  test(`request signing: ${c.name}`, () => {
    const body = bytes(c.body_base64);
    assert.equal(stringToSign(c.method, c.path, c.timestamp, c.nonce, body), c.string_to_sign);
    assert.equal(sign(c.secret, c.method, c.path, c.timestamp, c.nonce, body), c.signature);
    const header = authorization(c.app_id, c.secret, c.method, c.path, body, { timestamp: c.timestamp, nonce: c.nonce });
    assert.equal(header, c.authorization);
  });
}

for (const c of webhooks.verify) {
  test(`webhook ${c.valid ? "accepted" : "refused"}: ${c.name}`, () => {
    const payload = bytes(c.payload_base64);
    const options = { tolerance: c.tolerance, now: c.now };
    if (c.valid) {
      const event = constructEvent(payload, c.header, c.secret, options);
      assert.ok(event instanceof WebhookEvent);
      assert.equal(event.id, c.event_id);
      // the same bytes given as a string verify too
      assert.equal(constructEvent(payload.toString("utf8"), c.header, c.secret, options).id, c.event_id);
    } else {
      assert.throws(() => constructEvent(payload, c.header, c.secret, options), SignatureVerificationError);
    }
  });
}

for (const c of webhooks.generate) {
  test(`webhook test header: ${c.name}`, () => {
    const payload = bytes(c.payload_base64);
    const header = generateTestHeader(payload, c.secret, c.timestamp);
    assert.equal(header, c.header);
    assert.ok(constructEvent(payload, header, c.secret, { now: c.timestamp }).id.startsWith("evt_"));
  });
}

for (const c of returns.cases) {
  test(`return ${c.valid ? "accepted" : "refused"}: ${c.name}`, () => {
    const options = { tolerance: c.tolerance, now: c.now };
    if (c.valid) {
      assert.deepEqual(verifyReturn(c.query, c.secret, options), c.values);
      assert.deepEqual(verifyReturn(`?${c.query}`, c.secret, options), c.values);
      assert.deepEqual(verifyReturn(new URLSearchParams(c.query), c.secret, options), c.values);
      assert.deepEqual(verifyReturn(Object.fromEntries(new URLSearchParams(c.query)), c.secret, options), c.values);
    } else {
      assert.throws(() => verifyReturn(c.query, c.secret, options), SignatureVerificationError);
    }
  });
}
