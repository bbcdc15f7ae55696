// What the golden vectors do not cover: odd inputs refused with SignatureVerificationError (never
// another exception), typed data objects, and the defaults.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
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

test("the tolerance: 0 disables the check; null, NaN, a negative number or a string are refused", () => {
  const header = generateTestHeader(body, SECRET, 1000);
  assert.equal(constructEvent(body, header, SECRET, { tolerance: 0, now: 999_999 }).id, "evt_1");
  for (const tolerance of [null, Number.NaN, -1, Infinity, "300"]) {
    assert.throws(() => constructEvent(body, header, SECRET, { tolerance, now: 999_999 }), RangeError, String(tolerance));
    assert.throws(() => verifyReturn("paymux_status=paid", SECRET, { tolerance, now: 1 }), RangeError, String(tolerance));
  }
});

test("sub-second precision: 300.5 s old or ahead is stale, 299.5 s is not", () => {
  const header = generateTestHeader(body, SECRET, 1000);
  assert.throws(() => constructEvent(body, header, SECRET, { now: 1300.5 }), SignatureVerificationError);
  assert.throws(() => constructEvent(body, header, SECRET, { now: 699.5 }), SignatureVerificationError);
  assert.equal(constructEvent(body, header, SECRET, { now: 1299.5 }).id, "evt_1");
});

test("an empty or missing secret is a signature error, for a notification and a return", () => {
  const header = generateTestHeader(body, "", 1000);
  for (const secret of ["", undefined, null]) {
    assert.throws(() => constructEvent(body, header, secret, { now: 1000 }), SignatureVerificationError);
    assert.throws(() => verifyReturn("paymux_status=paid", secret, { now: 1 }), SignatureVerificationError);
  }
});

test("two t= in the header are refused, even when both are the signed one", () => {
  const header = generateTestHeader(body, SECRET, 1000);
  assert.throws(() => constructEvent(body, `t=1000,${header}`, SECRET, { now: 1000 }), SignatureVerificationError);
});

const returnValues = {
  paymux_session_id: "cs_1",
  paymux_merchant_order_no: "ORDER-1",
  paymux_payment_id: "pay_1",
  paymux_status: "paid",
  paymux_timestamp: "1000",
};
const returnQuery = () => {
  const signed = Object.entries(returnValues).map(([k, v]) => `${k}=${v}`).join("&");
  const sig = createHmac("sha256", SECRET).update(signed).digest("hex");
  return `${signed}&paymux_signature=${sig}`;
};

test("a leading '?' on the return query is stripped", () => {
  assert.deepEqual(verifyReturn(`?${returnQuery()}`, SECRET, { now: 1000 }), returnValues);
  assert.deepEqual(verifyReturn(new URLSearchParams(`?${returnQuery()}`), SECRET, { now: 1000 }), returnValues);
});

test("a paymux_ parameter given twice is refused in a string, URLSearchParams or an object", () => {
  const query = `${returnQuery()}&paymux_status=paid`;
  assert.throws(() => verifyReturn(query, SECRET, { now: 1000 }), SignatureVerificationError);
  assert.throws(() => verifyReturn(new URLSearchParams(query), SECRET, { now: 1000 }), SignatureVerificationError);
  const parsed = Object.fromEntries(new URLSearchParams(returnQuery()));
  assert.throws(() => verifyReturn({ ...parsed, paymux_status: ["paid", "paid"] }, SECRET, { now: 1000 }), SignatureVerificationError);
  // the merchant's own repeated names are none of paymux's business
  assert.deepEqual(verifyReturn(`a=1&a=2&${returnQuery()}`, SECRET, { now: 1000 }), returnValues);
});
