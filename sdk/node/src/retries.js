// What is safe to retry (COMMON contract; RESEARCH.md §4, stripe's rules).

export const DEFAULT_MAX_RETRIES = 2;
const RETRYABLE_STATUSES = new Set([502, 503, 504]);
const INITIAL_DELAY = 0.5; // seconds
const MAX_DELAY = 5;

/** An HTTP error answer: `Paymux-Should-Retry` decides when present; otherwise 502/503/504 only. */
export function shouldRetryResponse(status, headers) {
  const marker = String(headers["paymux-should-retry"] ?? "").trim().toLowerCase();
  if (marker === "true") return true;
  if (marker === "false") return false;
  return RETRYABLE_STATUSES.has(status);
}

/** Seconds to wait before retry number `retry` (1, 2, …): min(0.5·2^(n−1), 5) × U[0.5, 1], and at
 * least Retry-After (seconds, capped at 5 s) when the server sent one. */
export function retryDelay(retry, retryAfter, random = Math.random) {
  const backoff = Math.min(INITIAL_DELAY * 2 ** (retry - 1), MAX_DELAY) * (0.5 + random() / 2);
  const asked = Number.parseFloat(String(retryAfter ?? ""));
  return Number.isFinite(asked) && asked > 0 ? Math.max(backoff, Math.min(asked, MAX_DELAY)) : backoff;
}
