// Verifying the checkout's "back to the merchant" redirect (docs/checkout.md §3) before trusting it.
//
//   const values = verifyReturn(new URL(req.url, "http://x").search, secret);
//
// paymux adds paymux_session_id, paymux_merchant_order_no, paymux_payment_id, paymux_status and
// paymux_timestamp to return_url, and paymux_signature = hex(HMAC-SHA256(secret, the five
// `name=value` pairs in that order joined with "&")). Show "paid" only for a verified, fresh
// paymux_status=paid; fulfil the order from the checkout.session.completed notification (or
// GET /v1/checkout/sessions/{id}), never from the landing page alone.
import { createHmac } from "node:crypto";

import { SignatureVerificationError } from "./errors.js";
import { DEFAULT_TOLERANCE, checkSecret, checkTolerance, outside, secureEqual } from "./webhooks.js";

export const RETURN_FIELDS = Object.freeze([
  "paymux_session_id",
  "paymux_merchant_order_no",
  "paymux_payment_id",
  "paymux_status",
  "paymux_timestamp",
]);

/** name → value; form-decoded ("+" is a space); a leading "?" is stripped. A paymux_ name that
 * appears more than once is refused (which one was signed?); the merchant's own names are ignored. */
function valuesOf(query) {
  const values = {};
  const add = (name, value) => {
    if (name.startsWith("paymux_") && Object.hasOwn(values, name)) {
      throw new SignatureVerificationError(`the return carries ${name} more than once`);
    }
    values[name] = value;
  };
  if (typeof query === "string" || query instanceof URLSearchParams) {
    const params = typeof query === "string" ? new URLSearchParams(query.replace(/^\?/, "")) : query;
    for (const [name, value] of params) add(name, value);
  } else if (query && typeof query === "object") {
    for (const [name, value] of Object.entries(query)) {
      for (const one of Array.isArray(value) ? value : [value]) add(name, String(one));
    }
  }
  return values;
}

/** The five verified values, or SignatureVerificationError (tampered, unsigned or stale). `query` is
 * the query string, URLSearchParams or an object such as Express's req.query. */
export function verifyReturn(query, secret, { tolerance = DEFAULT_TOLERANCE, now } = {}) {
  checkTolerance(tolerance);
  checkSecret(secret);
  const values = valuesOf(query);
  const signed = RETURN_FIELDS.map((name) => `${name}=${values[name] ?? ""}`).join("&");
  const expected = createHmac("sha256", Buffer.from(secret, "utf8")).update(signed, "utf8").digest("hex");
  if (!secureEqual(expected, (values.paymux_signature ?? "").toLowerCase())) {
    throw new SignatureVerificationError("the return signature does not match", signed);
  }
  const stamp = values.paymux_timestamp ?? "";
  const current = now ?? Date.now() / 1000;
  if (!/^\d{1,15}$/.test(stamp) || outside(current, Number(stamp), tolerance)) {
    throw new SignatureVerificationError(`the return timestamp is outside the ${tolerance} s tolerance`, signed);
  }
  return Object.fromEntries(RETURN_FIELDS.map((name) => [name, values[name] ?? ""]));
}
