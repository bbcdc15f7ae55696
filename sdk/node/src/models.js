// Typed models of paymux's resources. Every field the API sends is kept, known or not, so a newer
// API never breaks an older SDK; the known ones are typed in index.d.ts.

class Resource {
  constructor(data) {
    Object.assign(this, data);
  }
}

export class Payment extends Resource {}
export class Refund extends Resource {}
export class Event extends Resource {}
export class CheckoutSession extends Resource {}

export class Notification extends Resource {
  constructor(data) {
    super(data);
    if (data && typeof data.event === "object" && data.event !== null) this.event = new WebhookEvent(data.event);
  }
}

const OBJECTS = { payment: Payment, refund: Refund, checkout_session: CheckoutSession };

/** The body paymux POSTs to notify_url; data.object is a Payment, Refund or CheckoutSession. */
export class WebhookEvent extends Resource {
  constructor(data) {
    super(data);
    const object = data?.data?.object;
    if (object && typeof object === "object" && OBJECTS[object.object]) {
      this.data = { ...data.data, object: new OBJECTS[object.object](object) };
    }
  }
}

/** {object: "list", data: [...]} with each item typed. */
export class List extends Resource {
  constructor(data, Item) {
    super(data);
    this.data = Array.isArray(data?.data) ? data.data.map((item) => new Item(item)) : [];
  }
}
