// paymux for Node.js: a signed client with safe retries, webhook and return verification.
export { Paymux } from "./client.js";
export {
  ApiError,
  AuthenticationError,
  ChannelError,
  ConflictError,
  ConnectionError,
  IdempotencyError,
  InvalidRequestError,
  NotFoundError,
  PaymuxError,
  RateLimitError,
  SignatureVerificationError,
} from "./errors.js";
export { CheckoutSession, Event, List, Notification, Payment, Refund, WebhookEvent } from "./models.js";
export { RETURN_FIELDS, verifyReturn } from "./returns.js";
export { authorization, sign, stringToSign } from "./signing.js";
export { DEFAULT_BASE_URL, USER_AGENT } from "./transport.js";
export { VERSION } from "./version.js";
export { DEFAULT_TOLERANCE, constructEvent, generateTestHeader } from "./webhooks.js";
export { Paymux as default } from "./client.js";
