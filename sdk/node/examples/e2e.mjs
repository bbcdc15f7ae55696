// The SDK end to end against a running paymux (tests/sdk/test_node_sdk.py runs it on the local
// stack; tests/sdk/world.py documents the environment): create a WeChat Native payment, pay it in
// the sandbox, wait for SUCCESS, verify the real notification, refund part of it, and print one
// JSON line of what was seen.
import { ConflictError, NotFoundError, Paymux, constructEvent } from "paymux";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, probe, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(200);
  }
}

async function payInSandbox(payment) {
  const pr = new URL(payment.action.code_url).searchParams.get("pr");
  const answer = await fetch(`${env("PAYMUX_SANDBOX_URL")}/sandbox/pay`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ code: pr, action: "pay" }),
  });
  if (!answer.ok) throw new Error(`the sandbox answered ${answer.status}`);
}

async function delivered(paymentId) {
  const answer = await fetch(`${env("PAYMUX_RECEIVER_URL")}/received`);
  const received = await answer.json();
  return received.find((note) => JSON.parse(Buffer.from(note.body_base64, "base64")).data.object.id === paymentId);
}

async function typedError(call, Type) {
  try {
    await call();
  } catch (error) {
    if (error instanceof Type) return error.code;
    throw error;
  }
  throw new Error(`expected ${Type.name}`);
}

const paymux = new Paymux(env("PAYMUX_APP_ID"), env("PAYMUX_SECRET")); // PAYMUX_BASE_URL from the environment
const prefix = env("PAYMUX_ORDER_PREFIX");
const created = await paymux.payments.create({
  amount: 1999,
  currency: "CNY",
  method: "wechat.native",
  subject: "Coffee",
  merchant_order_no: `${prefix}-1`,
  notify_url: env("PAYMUX_NOTIFY_URL"),
});
await payInSandbox(created);
const paid = await until("SUCCESS", async () => {
  const payment = await paymux.payments.get(created.id);
  return payment.status === "SUCCESS" && payment;
});
const note = await until("the notification", () => delivered(created.id));
const event = constructEvent(Buffer.from(note.body_base64, "base64"), note.signature, env("PAYMUX_SECRET"));
const refund = await paymux.refunds.create(created.id, { amount: 500, merchant_refund_no: `${prefix}-R1` });
const refundAgain = await paymux.refunds.get(refund.id);
const found = await paymux.payments.find(`${prefix}-1`);
const events = await paymux.payments.events(created.id);
const notifications = await paymux.payments.notifications(created.id);
const resendRefused = await typedError(() => paymux.notifications.resend(event.id), ConflictError);
const missing = await typedError(() => paymux.payments.get("pay_00000000000000000000000000"), NotFoundError);

console.log(
  JSON.stringify({
    payment_id: created.id,
    created_status: created.status,
    paid_status: paid.status,
    event_id: event.id,
    event_type: event.type,
    event_header_event_id: note.event_id,
    event_object_id: event.data.object.id,
    event_object_status: event.data.object.status,
    refund_id: refund.id,
    refund_status: refund.status,
    refund_get_id: refundAgain.id,
    refund_get_amount: refundAgain.amount,
    found_id: found.id,
    found_amount_refundable: found.amount_refundable,
    event_types: events.data.map((e) => e.type),
    notification_ids: notifications.data.map((n) => n.id),
    resend_refused: resendRefused,
    missing: missing,
  }),
);
paymux.close();
