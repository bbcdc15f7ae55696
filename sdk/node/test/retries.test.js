// The retry rules against a local fake paymux: attempts counted on the wire, the same
// Idempotency-Key across them, a new nonce (and signature) on each, and exactly the retryable answers.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { ApiError, ConflictError, ConnectionError, IdempotencyError, InvalidRequestError, Paymux, sign } from "paymux";
import { retryDelay } from "../src/retries.js";
import { CLOSE, CUT, FakePaymux, authPairs, failure } from "./fake_paymux.js";

const PAYMENT = { id: "pay_01KB0000000000000000000000", object: "payment", status: "PROCESSING", amount: 1999 };
let plan = [];
const fake = new FakePaymux((_request, index) => plan[index] ?? { status: 200, body: PAYMENT });
let slept = [];

function client(options = {}) {
  return new Paymux("app_retry", "sk_retry", {
    baseUrl: fake.url,
    sleep: async (seconds) => slept.push(seconds),
    random: () => 1,
    ...options,
  });
}

const create = (paymux, options) =>
  paymux.payments.create({ amount: 1999, currency: "CNY", method: "wechat.native", subject: "Coffee" }, options);

before(() => fake.start());
after(() => fake.stop());
beforeEach(() => {
  plan = [];
  fake.requests.length = 0;
  slept = [];
});

function assertResigned(requests) {
  const nonces = requests.map((r) => authPairs(r.headers.authorization).nonce);
  assert.equal(new Set(nonces).size, requests.length, "every attempt has its own nonce");
  for (const r of requests) {
    const pairs = authPairs(r.headers.authorization);
    assert.equal(pairs.signature, sign("sk_retry", r.method, r.url, pairs.timestamp, pairs.nonce, r.body));
  }
}

describe("retries", () => {
  test("a 503 is retried with the same Idempotency-Key, a new nonce and backoff", async () => {
    plan = [failure(503, "busy"), failure(503, "busy")];
    const payment = await create(client());
    assert.equal(payment.id, PAYMENT.id);
    assert.equal(fake.requests.length, 3);
    const keys = fake.requests.map((r) => r.headers["idempotency-key"]);
    assert.match(keys[0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(keys, [keys[0], keys[0], keys[0]]);
    assert.deepEqual(fake.requests.map((r) => r.body.toString()), Array(3).fill(fake.requests[0].body.toString()));
    assertResigned(fake.requests);
    assert.deepEqual(slept, [0.5, 1]);
  });

  test("502 and 504 are retried; after max_retries the last error is raised", async () => {
    plan = [failure(502, "channel_rejected"), failure(504, "gateway_timeout"), failure(503, "channel_unavailable")];
    await assert.rejects(create(client()), (e) => e instanceof ApiError && e.status === 503 && e.code === "channel_unavailable");
    assert.equal(fake.requests.length, 3);
  });

  test("max_retries is configurable: 0 means one attempt", async () => {
    plan = [failure(503, "busy")];
    await assert.rejects(create(client({ maxRetries: 0 })), ApiError);
    assert.equal(fake.requests.length, 1);
    plan = [failure(503, "busy"), failure(503, "busy"), failure(503, "busy"), failure(503, "busy")];
    fake.requests.length = 0;
    const payment = await create(client({ maxRetries: 4 }));
    assert.equal(payment.id, PAYMENT.id);
    assert.equal(fake.requests.length, 5);
  });

  test("400, 409 and 500 without the marker are not retried", async () => {
    for (const [status, code, type] of [
      [400, "bad_request", InvalidRequestError],
      [409, "payment_not_refundable", ConflictError],
      [409, "idempotency_key_reused", IdempotencyError],
      [500, "internal_error", ApiError],
    ]) {
      plan = [failure(status, code)];
      fake.requests.length = 0;
      await assert.rejects(create(client()), (e) => e instanceof type && e.code === code && e.status === status);
      assert.equal(fake.requests.length, 1, `${status} ${code}`);
    }
  });

  test("Paymux-Should-Retry: true retries a 409 (same key)", async () => {
    plan = [failure(409, "idempotency_key_in_use", { "Paymux-Should-Retry": "true" })];
    const payment = await create(client(), { idempotencyKey: "order-1001-try" });
    assert.equal(payment.id, PAYMENT.id);
    assert.deepEqual(fake.requests.map((r) => r.headers["idempotency-key"]), ["order-1001-try", "order-1001-try"]);
    assertResigned(fake.requests);
  });

  test("Paymux-Should-Retry: false is never retried, not even a 503", async () => {
    plan = [failure(503, "channel_unavailable", { "Paymux-Should-Retry": "false" })];
    await assert.rejects(create(client()), (e) => e.status === 503);
    assert.equal(fake.requests.length, 1);
  });

  test("Retry-After is waited for, capped at 5 s", async () => {
    plan = [failure(503, "busy", { "Retry-After": "3" }), failure(503, "busy", { "Retry-After": "60" })];
    await create(client());
    assert.deepEqual(slept, [3, 5]);
  });

  test("a GET is retried too, and carries no Idempotency-Key", async () => {
    plan = [failure(503, "busy")];
    await client().payments.get(PAYMENT.id);
    assert.equal(fake.requests.length, 2);
    assert.ok(fake.requests.every((r) => r.headers["idempotency-key"] === undefined));
  });

  test("a closed connection is a ConnectionError, retried within max_retries", async () => {
    plan = [CLOSE, CLOSE, CLOSE];
    await assert.rejects(create(client()), ConnectionError);
    assert.equal(fake.requests.length, 3);
    plan = [CLOSE];
    fake.requests.length = 0;
    assert.equal((await create(client())).id, PAYMENT.id);
    assert.equal(new Set(fake.requests.map((r) => r.headers["idempotency-key"])).size, 1);
  });

  test("an answer cut off half-way is a ConnectionError: retried within max_retries, never as stale", async () => {
    plan = [CUT];
    assert.equal((await create(client())).id, PAYMENT.id);
    assert.equal(fake.requests.length, 2);
    const paymux = client({ maxRetries: 0 });
    await paymux.payments.get(PAYMENT.id);
    plan[3] = CUT; // on the reused socket, but an answer had begun: not the stale case
    await assert.rejects(paymux.payments.get(PAYMENT.id), (e) => e instanceof ConnectionError && e.stale === false);
    assert.equal(fake.requests.length, 4);
    assert.equal(fake.requests[3].connection, fake.requests[2].connection, "the cut answer came on a reused socket");
    paymux.close();
  });
});

describe("the stale keep-alive socket", () => {
  test("is retried once on a fresh connection even with max_retries 0", async () => {
    const paymux = client({ maxRetries: 0 });
    await paymux.payments.get(PAYMENT.id); // leaves a kept-alive socket in the pool
    plan[1] = CLOSE; // the server dropped it: the next request on it gets no answer
    const payment = await create(paymux, { idempotencyKey: "k-stale" });
    assert.equal(payment.id, PAYMENT.id);
    const [first, stale, retried] = fake.requests;
    assert.equal(fake.requests.length, 3);
    assert.equal(stale.connection, first.connection, "the second request reused the first's socket");
    assert.notEqual(retried.connection, stale.connection, "the retry opened a new one");
    assert.deepEqual([stale.headers["idempotency-key"], retried.headers["idempotency-key"]], ["k-stale", "k-stale"]);
    assertResigned(fake.requests);
    assert.deepEqual(slept, [], "at once: the socket was stale, paymux was not busy");
    paymux.close();
  });

  test("only once: a fresh connection closed too is a ConnectionError", async () => {
    const paymux = client({ maxRetries: 0 });
    await paymux.payments.get(PAYMENT.id);
    plan[1] = CLOSE;
    plan[2] = CLOSE;
    await assert.rejects(create(paymux), ConnectionError);
    assert.equal(fake.requests.length, 3);
    paymux.close();
  });

  test("a fresh connection closed without an answer is not retried with max_retries 0", async () => {
    plan = [CLOSE];
    await assert.rejects(create(client({ maxRetries: 0 })), (e) => e instanceof ConnectionError && e.stale === false);
    assert.equal(fake.requests.length, 1);
  });
});

describe("backoff", () => {
  test("min(0.5·2^(n−1), 5) s times a jitter in [0.5, 1]", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 8].map((n) => retryDelay(n, undefined, () => 1)), [0.5, 1, 2, 4, 5, 5]);
    assert.deepEqual([1, 2, 5].map((n) => retryDelay(n, undefined, () => 0)), [0.25, 0.5, 2.5]);
    assert.equal(retryDelay(1, "2", () => 0), 2);
    assert.equal(retryDelay(4, "1", () => 1), 4, "Retry-After is a floor, not a ceiling");
    assert.equal(retryDelay(1, "soon", () => 1), 0.5);
  });
});
