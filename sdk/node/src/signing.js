// Request signing (docs/authentication.md §1): HMAC-SHA256 over six lines, each ending in "\n".
import { createHash, createHmac, randomBytes } from "node:crypto";

export const SCHEME = "PAYMUX-HMAC-SHA256";

/** Lower-case hex SHA-256 of the exact body bytes (of nothing for no body). */
export function bodyDigest(body) {
  return createHash("sha256").update(body ?? Buffer.alloc(0)).digest("hex");
}

/** The string to sign. `pathWithQuery` is the decoded path, plus "?" and the query as sent. */
export function stringToSign(method, pathWithQuery, timestamp, nonce, body) {
  return `${SCHEME}\n${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${bodyDigest(body)}\n`;
}

export function sign(secret, method, pathWithQuery, timestamp, nonce, body) {
  const message = stringToSign(method, pathWithQuery, timestamp, nonce, body);
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(message, "utf8").digest("hex");
}

/** The whole Authorization header; a new nonce and timestamp for every attempt (paymux refuses a
 * reused nonce), unless the caller fixes them (the golden vectors do). */
export function authorization(appId, secret, method, pathWithQuery, body, { timestamp, nonce } = {}) {
  const stamp = String(timestamp ?? Math.floor(Date.now() / 1000));
  const once = nonce ?? randomBytes(16).toString("hex");
  const signature = sign(secret, method, pathWithQuery, stamp, once, body);
  return `${SCHEME} app_id="${appId}",timestamp="${stamp}",nonce="${once}",signature="${signature}"`;
}
