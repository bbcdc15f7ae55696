// The SDK's typed errors: one hierarchy mirroring paymux's `error.code` (docs/openapi.json ErrorBody).

export class PaymuxError extends Error {
  constructor(message, { status = 0, code = "", requestId = "", details = undefined, headers = {}, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
    this.headers = headers;
  }
}

/** 400, 405, 406, 410, 413, 415, 422: the request itself is wrong; retrying will not help. */
export class InvalidRequestError extends PaymuxError {}
/** 401/403: missing, malformed, stale, replayed or wrong signature (error.code says which). */
export class AuthenticationError extends PaymuxError {}
export class NotFoundError extends PaymuxError {}
/** 409: the payment's state refuses the operation (payment_not_refundable, …). */
export class ConflictError extends PaymuxError {}
/** 409 idempotency_key_reused / idempotency_key_in_use. */
export class IdempotencyError extends ConflictError {}
export class RateLimitError extends PaymuxError {}
/** 5xx from paymux itself. */
export class ApiError extends PaymuxError {}
/** 502/503 channel_rejected / channel_unavailable: the payment channel refused or is down. */
export class ChannelError extends ApiError {}
/** No HTTP answer: DNS, refused or reset connection, timeout. */
export class ConnectionError extends PaymuxError {}
/** A notification or a checkout return whose signature is missing, wrong or stale. */
export class SignatureVerificationError extends PaymuxError {
  constructor(message, header = "") {
    super(message, { code: "signature_verification_failed" });
    this.header = header;
  }
}

const IDEMPOTENCY_CODES = new Set(["idempotency_key_reused", "idempotency_key_in_use"]);

function errorClass(status, code) {
  if (status === 401 || status === 403) return AuthenticationError;
  if (status === 404) return NotFoundError;
  if (status === 409) return IDEMPOTENCY_CODES.has(code) ? IdempotencyError : ConflictError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return code.startsWith("channel_") ? ChannelError : ApiError;
  return InvalidRequestError;
}

/** The typed error for an HTTP error answer; a body that is not paymux's JSON still gets one. */
export function errorFromResponse(status, body, headers) {
  let error = {};
  try {
    const parsed = JSON.parse(body.toString("utf8"));
    if (parsed && typeof parsed.error === "object" && parsed.error !== null) error = parsed.error;
  } catch {
    // not JSON (a proxy's page): keep the status, give a generic code
  }
  const code = typeof error.code === "string" ? error.code : `http_${status}`;
  const message = typeof error.message === "string" ? error.message : `HTTP ${status}`;
  const requestId = error.request_id || headers["apigw-requestid"] || headers["x-request-id"] || "";
  const Class = errorClass(status, code);
  return new Class(message, { status, code, requestId, details: error.details, headers });
}
