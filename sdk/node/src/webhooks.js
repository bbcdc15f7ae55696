// Verifying paymux notifications (docs/authentication.md §2) before trusting them.
//
//   const event = constructEvent(rawBody, req.headers["paymux-signature"], secret);
//
// The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; each v1 is HMAC-SHA256(secret,
// "<t>.<raw body>"). During a secret rotation paymux sends one v1 per valid secret, so any match
// is enough. Process each event id once: a retried notification carries the same id.
import { createHmac, timingSafeEqual } from "node:crypto";

import { SignatureVerificationError } from "./errors.js";
import { WebhookEvent } from "./models.js";

export const DEFAULT_TOLERANCE = 300;

function bytesOf(payload) {
  if (typeof payload === "string") return Buffer.from(payload, "utf8");
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  throw new SignatureVerificationError("the payload must be the raw body: a Buffer, Uint8Array or string");
}

/** The tolerance in seconds: 0 turns the freshness check off (as Stripe's); anything that is not a
 * finite number ≥ 0 (null, NaN, a negative number, a string) is refused, never read as "off". */
export function checkTolerance(tolerance) {
  if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new RangeError(`tolerance must be a finite number of seconds ≥ 0 (0 disables the check), not ${String(tolerance)}`);
  }
  return tolerance;
}

/** An empty secret would verify anything signed with an empty key: it never verifies. */
export function checkSecret(secret, header = "") {
  if (typeof secret !== "string" || secret === "") {
    throw new SignatureVerificationError("the secret must be a non-empty string", header);
  }
  return secret;
}

/** True when `timestamp` (unix seconds) is more than `tolerance` seconds from `current`, compared
 * with sub-second precision (300.5 s is stale for a 300 s tolerance). */
export function outside(current, timestamp, tolerance) {
  return tolerance !== 0 && Math.abs(current - timestamp) > tolerance;
}

function signature(secret, timestamp, body) {
  return createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(`${timestamp}.`, "utf8")
    .update(body)
    .digest("hex");
}

/** Constant-time equality of two strings' UTF-8 bytes (false, not an exception, on a length mismatch). */
export function secureEqual(expected, given) {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

function parseHeader(header) {
  let timestamp;
  const signatures = [];
  for (const part of String(header ?? "").split(",")) {
    const item = part.trim();
    const at = item.indexOf("=");
    const key = at < 0 ? item : item.slice(0, at);
    const value = at < 0 ? "" : item.slice(at + 1);
    if (key === "t") {
      // two t= would let a proxy or a parser pick a different one than was signed
      if (timestamp !== undefined) throw new SignatureVerificationError("Paymux-Signature carries t= twice", header);
      timestamp = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
    }
    else if (key === "v1" && value) signatures.push(value);
  }
  if (timestamp === undefined || Number.isNaN(timestamp) || signatures.length === 0) {
    throw new SignatureVerificationError("Paymux-Signature must carry t=… and at least one v1=…", header);
  }
  return { timestamp, signatures };
}

/** The verified, parsed event, or SignatureVerificationError. Pass the raw body exactly as
 * received: re-serialised JSON will not verify. `now` (unix seconds) is for tests. */
export function constructEvent(payload, header, secret, { tolerance = DEFAULT_TOLERANCE, now } = {}) {
  checkTolerance(tolerance);
  const body = bytesOf(payload);
  checkSecret(secret, header);
  const { timestamp, signatures } = parseHeader(header);
  const current = now ?? Date.now() / 1000;
  if (outside(current, timestamp, tolerance)) {
    throw new SignatureVerificationError(`timestamp is outside the ${tolerance} s tolerance`, header);
  }
  const expected = signature(secret, timestamp, body);
  // every candidate is compared, so the time taken does not say which one matched
  const matched = signatures.map((given) => secureEqual(expected, given)).includes(true);
  if (!matched) throw new SignatureVerificationError("no signature matches the payload and secret", header);
  let event;
  try {
    event = JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw Object.assign(new SignatureVerificationError("the verified payload is not JSON", header), { cause: error });
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    throw new SignatureVerificationError("the verified payload is not a JSON object", header);
  }
  return new WebhookEvent(event);
}

/** A valid Paymux-Signature for `payload` at `timestamp` (unix seconds): for the merchant's own tests. */
export function generateTestHeader(payload, secret, timestamp = Math.floor(Date.now() / 1000)) {
  return `t=${timestamp},v1=${signature(secret, timestamp, bytesOf(payload))}`;
}
