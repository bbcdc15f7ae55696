// What the golden vectors do not cover: odd inputs refused with SignatureVerificationError (never
// another exception), typed data objects, and the defaults.
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_TOLERANCE, Payment, SignatureVerificationError, constructEvent, generateTestHeader, verifyReturn } from "paymux";

const SECRET = "sk_test_hooks";
const body = JSON.stringify({ id: "evt_1", type: "payment.succeeded", data: { object: { id: "pay_1", object: "payment", status: "SUCCESS" } } });

test("a generated header verifies now, and data.object is a Payment", () => {
  assert.equal(DEFAULT_TOLERANCE, 300);
  const event = constructEvent(Buffer.from(body), generateTestHeader(body, SECRET), SECRET);
  assert.ok(event.data.object instanceof Payment);
  assert.equal(event.data.object.status, "SUCCESS");
  assert.ok(constructEvent(new Uint8Array(Buffer.from(body)), generateTestHeader(body, SECRET), SECRET));
});

test("an old header fails by default, passes with tolerance 0 (off)", () => {
  const header = generateTestHeader(body, SECRET, Math.floor(Date.now() / 1000) - 301);
  assert.throws(() => constructEvent(body, header, SECRET), SignatureVerificationError);
  assert.equal(constructEvent(body, header, SECRET, { tolerance: 0 }).id, "evt_1");
});

test("odd headers, signatures and payloads are signature errors, nothing else", () => {
  const t = Math.floor(Date.now() / 1000);
  for (const header of [undefined, null, "t=,v1=", `t=${t},v1=${"é".repeat(64)}`, `t=${t},v1=zz`, `t=-1,v1=ab`, "t=1e3,v1=ab"]) {
    assert.throws(() => constructEvent(body, header, SECRET), SignatureVerificationError, String(header));
  }
  const header = generateTestHeader(body, SECRET, t);
  assert.throws(() => constructEvent({ id: "evt_1" }, header, SECRET), SignatureVerificationError, "a parsed object is not the raw body");
  for (const text of ["[1]", "null", "7"]) {
    assert.throws(() => constructEvent(text, generateTestHeader(text, SECRET, t), SECRET), SignatureVerificationError, text);
  }
});

test("a non-ASCII return signature is a signature error, not a crash", () => {
  for (const given of ["%C3%A9", encodeURIComponent("é".repeat(64))]) {
    const query = `paymux_session_id=cs_1&paymux_status=paid&paymux_timestamp=1&paymux_signature=${given}`;
    assert.throws(() => verifyReturn(query, SECRET, { now: 1 }), SignatureVerificationError);
  }
  assert.throws(() => verifyReturn(undefined, SECRET), SignatureVerificationError);
});
