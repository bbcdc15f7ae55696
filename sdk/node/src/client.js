// The merchant's client: one per app (a multi-merchant platform holds one per app, no globals).
//
//   const paymux = new Paymux("app_…", "sk_…");
//   const payment = await paymux.payments.create({ amount: 1999, currency: "CNY", … });
import { CheckoutSession, Event, List, Notification, Payment, Refund } from "./models.js";
import { Transport } from "./transport.js";

const segment = (id) => {
  if (typeof id !== "string" || id === "") throw new TypeError("an id must be a non-empty string");
  return encodeURIComponent(id);
};

class Payments {
  constructor(transport) {
    this.transport = transport;
  }

  /** POST /v1/payments; an Idempotency-Key is generated unless given (reuse yours to retry later). */
  async create(params, { idempotencyKey } = {}) {
    return new Payment(await this.transport.request("POST", "/v1/payments", { params, idempotencyKey }));
  }

  async get(id) {
    return new Payment(await this.transport.request("GET", `/v1/payments/${segment(id)}`));
  }

  /** GET /v1/payments?merchant_order_no=…: your own order number instead of paymux's id. */
  async find(merchantOrderNo) {
    const query = new URLSearchParams({ merchant_order_no: merchantOrderNo }).toString();
    return new Payment(await this.transport.request("GET", "/v1/payments", { query }));
  }

  async close(id, { idempotencyKey } = {}) {
    return new Payment(await this.transport.request("POST", `/v1/payments/${segment(id)}/close`, { idempotencyKey }));
  }

  /** The payment's history, oldest first. */
  async events(id) {
    return new List(await this.transport.request("GET", `/v1/payments/${segment(id)}/events`), Event);
  }

  /** The notifications sent for the payment, with their delivery attempts. */
  async notifications(id) {
    return new List(await this.transport.request("GET", `/v1/payments/${segment(id)}/notifications`), Notification);
  }
}

class Refunds {
  constructor(transport) {
    this.transport = transport;
  }

  async create(paymentId, params, { idempotencyKey } = {}) {
    const path = `/v1/payments/${segment(paymentId)}/refunds`;
    return new Refund(await this.transport.request("POST", path, { params, idempotencyKey }));
  }

  async get(id) {
    return new Refund(await this.transport.request("GET", `/v1/refunds/${segment(id)}`));
  }
}

class Notifications {
  constructor(transport) {
    this.transport = transport;
  }

  /** Re-sends a failed notification (202: the delivery is queued). */
  async resend(id, { idempotencyKey } = {}) {
    const path = `/v1/notifications/${segment(id)}/resend`;
    return new Notification(await this.transport.request("POST", path, { idempotencyKey }));
  }
}

class CheckoutSessions {
  constructor(transport) {
    this.transport = transport;
  }

  async create(params, { idempotencyKey } = {}) {
    return new CheckoutSession(await this.transport.request("POST", "/v1/checkout/sessions", { params, idempotencyKey }));
  }

  async get(id) {
    return new CheckoutSession(await this.transport.request("GET", `/v1/checkout/sessions/${segment(id)}`));
  }
}

export class Paymux {
  /**
   * @param appId   the app's id (app_…)
   * @param secret  the app's secret (sk_…)
   * @param options baseUrl (default: $PAYMUX_BASE_URL, else https://api.paymux.cn), maxRetries
   *                (default 2), timeout (ms per attempt, default 30000)
   */
  constructor(appId, secret, options = {}) {
    if (typeof appId !== "string" || !appId) throw new TypeError("appId is required");
    if (typeof secret !== "string" || !secret) throw new TypeError("secret is required");
    const transport = new Transport({ appId, secret, ...options });
    Object.defineProperty(this, "transport", { value: transport, enumerable: false });
    this.payments = new Payments(transport);
    this.refunds = new Refunds(transport);
    this.notifications = new Notifications(transport);
    this.checkoutSessions = new CheckoutSessions(transport);
  }

  get baseUrl() {
    return this.transport.baseUrl.href;
  }

  /** Closes the idle keep-alive sockets (a process exits without it too). */
  close() {
    this.transport.close();
  }
}
