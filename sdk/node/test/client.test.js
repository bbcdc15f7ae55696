// The client's requests on the wire (paths, query, bodies as signed, headers) and what it makes
// of the answers (typed models that keep unknown fields, typed errors).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";

import {
  ApiError,
  AuthenticationError,
  ChannelError,
  ConflictError,
  CheckoutSession,
  ConnectionError,
  Event,
  IdempotencyError,
  InvalidRequestError,
  NotFoundError,
  Notification,
  Payment,
  Paymux,
  PaymuxError,
  RateLimitError,
  Refund,
  USER_AGENT,
  VERSION,
  sign,
} from "paymux";
import { FakePaymux, HANG, authPairs, failure } from "./fake_paymux.js";

const answers = [];
const fake = new FakePaymux((request) => answers.shift() ?? { status: 200, body: { echo: request.url } });
const paymux = () => new Paymux("app_wire", "sk_wire", { baseUrl: fake.url, maxRetries: 0 });
const last = () => fake.requests.at(-1);

before(() => fake.start());
after(() => fake.stop());
beforeEach(() => {
  answers.length = 0;
  fake.requests.length = 0;
});

describe("requests", () => {
  test("every operation hits its path, signed over the path and the exact body bytes", async () => {
    const client = paymux();
    const calls = [
      ["POST", "/v1/payments", () => client.payments.create({ amount: 1999, subject: "咖啡" })],
      ["GET", "/v1/payments/pay_1", () => client.payments.get("pay_1")],
      ["GET", "/v1/payments?merchant_order_no=ORDER-1001%2B1", () => client.payments.find("ORDER-1001+1")],
      ["POST", "/v1/payments/pay_1/close", () => client.payments.close("pay_1")],
      ["GET", "/v1/payments/pay_1/events", () => client.payments.events("pay_1")],
      ["GET", "/v1/payments/pay_1/notifications", () => client.payments.notifications("pay_1")],
      ["POST", "/v1/payments/pay_1/refunds", () => client.refunds.create("pay_1", { amount: 500, merchant_refund_no: "R1" })],
      ["GET", "/v1/refunds/re_1", () => client.refunds.get("re_1")],
      ["POST", "/v1/notifications/evt_1/resend", () => client.notifications.resend("evt_1")],
      ["POST", "/v1/checkout/sessions", () => client.checkoutSessions.create({ amount: 1 })],
      ["GET", "/v1/checkout/sessions/cs_1", () => client.checkoutSessions.get("cs_1")],
    ];
    for (const [method, url, call] of calls) {
      await call();
      const r = last();
      assert.equal(`${r.method} ${r.url}`, `${method} ${url}`);
      const pairs = authPairs(r.headers.authorization);
      assert.equal(pairs.app_id, "app_wire");
      assert.match(pairs.nonce, /^[0-9a-f]{32}$/);
      assert.ok(Math.abs(Number(pairs.timestamp) - Date.now() / 1000) < 600);
      assert.equal(pairs.signature, sign("sk_wire", method, url, pairs.timestamp, pairs.nonce, r.body));
      assert.equal(r.headers["user-agent"], USER_AGENT);
      assert.equal(r.headers["idempotency-key"] !== undefined, method === "POST", url);
    }
    assert.equal(fake.requests[0].body.toString("utf8"), '{"amount":1999,"subject":"咖啡"}');
    assert.equal(fake.requests[0].headers["content-type"], "application/json");
    assert.equal(fake.requests[3].body.length, 0, "close sends no body");
    assert.equal(fake.requests[3].headers["content-type"], undefined, "and so no Content-Type");
  });

  test("the User-Agent names the SDK and Node versions; VERSION is package.json's", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    assert.equal(VERSION, pkg.version);
    assert.equal(USER_AGENT, `paymux-node/${pkg.version} node/${process.versions.node}`);
  });

  test("the base URL comes from PAYMUX_BASE_URL when none is given, else api.paymux.cn", () => {
    const saved = process.env.PAYMUX_BASE_URL;
    try {
      process.env.PAYMUX_BASE_URL = "http://127.0.0.1:9/prefix";
      assert.equal(new Paymux("app_a", "sk_a").baseUrl, "http://127.0.0.1:9/prefix");
      delete process.env.PAYMUX_BASE_URL;
      assert.equal(new Paymux("app_a", "sk_a").baseUrl, "https://api.paymux.cn/");
      assert.equal(new Paymux("app_a", "sk_a", { baseUrl: "http://x.example" }).baseUrl, "http://x.example/");
    } finally {
      if (saved === undefined) delete process.env.PAYMUX_BASE_URL;
      else process.env.PAYMUX_BASE_URL = saved;
    }
  });

  test("a base URL with a path (a stage) is kept in the URL and in what is signed", async () => {
    const client = new Paymux("app_wire", "sk_wire", { baseUrl: `${fake.url}/prod/`, maxRetries: 0 });
    await client.payments.get("pay_1");
    const r = last();
    assert.equal(r.url, "/prod/v1/payments/pay_1");
    const pairs = authPairs(r.headers.authorization);
    assert.equal(pairs.signature, sign("sk_wire", "GET", "/prod/v1/payments/pay_1", pairs.timestamp, pairs.nonce, Buffer.alloc(0)));
  });

  test("an id is one path segment: a slash cannot reach another route", async () => {
    await paymux().payments.get("pay_1/close");
    assert.equal(last().url, "/v1/payments/pay_1%2Fclose");
    await assert.rejects(paymux().payments.get(""), TypeError);
  });

  test("a caller's Idempotency-Key is sent as given", async () => {
    await paymux().refunds.create("pay_1", { amount: 1, merchant_refund_no: "R" }, { idempotencyKey: "refund-R" });
    assert.equal(last().headers["idempotency-key"], "refund-R");
  });

  test("an empty Idempotency-Key is none: a POST gets a generated UUID, a GET none", async () => {
    await paymux().payments.create({ amount: 1 }, { idempotencyKey: "" });
    assert.match(last().headers["idempotency-key"], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await paymux().transport.request("GET", "/v1/payments/pay_1", { idempotencyKey: "" });
    assert.equal(last().headers["idempotency-key"], undefined);
  });

  test("no answer within the timeout is a ConnectionError", async () => {
    answers.push(HANG);
    const client = new Paymux("app_wire", "sk_wire", { baseUrl: fake.url, maxRetries: 0, timeout: 50 });
    await assert.rejects(client.payments.get("pay_1"), (e) => e instanceof ConnectionError && e.cause.code === "ETIMEDOUT");
  });
});

describe("answers", () => {
  test("models are typed and keep fields this SDK does not know", async () => {
    answers.push({ body: { id: "pay_1", object: "payment", status: "SUCCESS", amount_refundable: 1499, brand_new: { x: 1 } } });
    const payment = await paymux().payments.get("pay_1");
    assert.ok(payment instanceof Payment);
    assert.equal(payment.amount_refundable, 1499);
    assert.deepEqual(payment.brand_new, { x: 1 });
    answers.push({ body: { id: "re_1", object: "refund", status: "PROCESSING" } });
    assert.ok((await paymux().refunds.get("re_1")) instanceof Refund);
    answers.push({ body: { id: "cs_1", object: "checkout_session", status: "open" } });
    assert.ok((await paymux().checkoutSessions.get("cs_1")) instanceof CheckoutSession);
  });

  test("lists hold typed items; a notification's event holds a typed object", async () => {
    answers.push({ body: { object: "list", data: [{ type: "payment.created", to_status: "PENDING" }] } });
    const events = await paymux().payments.events("pay_1");
    assert.equal(events.object, "list");
    assert.ok(events.data[0] instanceof Event);
    assert.equal(events.data[0].to_status, "PENDING");
    const event = { id: "evt_1", type: "refund.succeeded", data: { object: { id: "re_1", object: "refund" } } };
    answers.push({ body: { object: "list", data: [{ id: "evt_1", object: "notification", attempts: [], event }] } });
    const notifications = await paymux().payments.notifications("pay_1");
    assert.ok(notifications.data[0] instanceof Notification);
    assert.ok(notifications.data[0].event.data.object instanceof Refund);
  });

  test("errors are typed by status and code, with the request id and details", async () => {
    const cases = [
      [failure(422, "validation_failed"), InvalidRequestError],
      [failure(415, "unsupported_media_type"), InvalidRequestError],
      [failure(401, "replayed_request"), AuthenticationError],
      [failure(404, "not_found"), NotFoundError],
      [failure(429, "rate_limited"), RateLimitError],
      [failure(502, "channel_rejected"), ChannelError],
    ];
    for (const [answer, type] of cases) {
      answers.push(answer);
      await assert.rejects(paymux().payments.get("pay_1"), (e) => {
        assert.ok(e instanceof type && e instanceof PaymuxError, `${answer.status} → ${e.constructor.name}`);
        assert.deepEqual([e.status, e.code, e.requestId], [answer.status, answer.body.error.code, "req-1"]);
        return true;
      });
    }
    const details = [{ field: "amount", message: "must be > 0" }];
    answers.push({ status: 422, body: { error: { code: "validation_failed", message: "bad", details } } });
    await assert.rejects(paymux().payments.create({ amount: 0 }), (e) => {
      assert.deepEqual([e.message, e.details], ["bad", details]);
      return true;
    });
  });

  test("every status maps to its type; request_id falls back to the apigw-requestid header", async () => {
    const table = [
      [400, InvalidRequestError], [405, InvalidRequestError], [406, InvalidRequestError], [410, InvalidRequestError],
      [413, InvalidRequestError], [415, InvalidRequestError], [422, InvalidRequestError],
      [401, AuthenticationError], [403, AuthenticationError], [404, NotFoundError], [409, ConflictError],
      [429, RateLimitError], [500, ApiError], [502, ApiError], [503, ApiError], [504, ApiError],
    ];
    for (const [status, type] of table) {
      answers.push({ status, headers: { "apigw-requestid": `gw-${status}` }, body: "<html>no envelope</html>" });
      await assert.rejects(paymux().payments.get("pay_1"), (e) => {
        assert.equal(e.constructor, type, `${status} → ${e.constructor.name}`);
        assert.deepEqual([e.status, e.code, e.requestId], [status, `http_${status}`, `gw-${status}`]);
        return true;
      });
    }
    for (const [status, code, type] of [[409, "idempotency_key_reused", IdempotencyError], [409, "idempotency_key_in_use", IdempotencyError], [409, "payment_not_refundable", ConflictError], [503, "channel_unavailable", ChannelError]]) {
      answers.push({ status, headers: { "apigw-requestid": "gw" }, body: { error: { code, message: "m", request_id: "req-body" } } });
      await assert.rejects(paymux().payments.get("pay_1"), (e) => e.constructor === type && e.requestId === "req-body");
    }
  });

  test("a 2xx that is not JSON is an ApiError, not a crash", async () => {
    answers.push({ status: 200, body: "<html>captive portal</html>" });
    await assert.rejects(paymux().payments.get("pay_1"), (e) => e instanceof PaymuxError && e.code === "invalid_response");
  });

  test("options are checked", () => {
    assert.throws(() => new Paymux("", "sk"), TypeError);
    assert.throws(() => new Paymux("app", "sk", { maxRetries: -1 }), TypeError);
    assert.throws(() => new Paymux("app", "sk", { timeout: 0 }), TypeError);
    assert.throws(() => new Paymux("app", "sk", { baseUrl: "ftp://x" }), TypeError);
  });

  test("an error answer that is not paymux's JSON still gets a typed error", async () => {
    answers.push({ status: 504, body: "<html>gateway timeout</html>" });
    await assert.rejects(paymux().payments.get("pay_1"), (e) => e instanceof PaymuxError && e.status === 504 && e.code === "http_504");
  });
});
