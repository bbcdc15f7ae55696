// Types of the paymux Node.js SDK (src/ is plain ESM JavaScript; these describe it).
/// <reference types="node" />

export declare const VERSION: string;
export declare const USER_AGENT: string;
export declare const DEFAULT_BASE_URL: string;
export declare const DEFAULT_TOLERANCE: number;
export declare const RETURN_FIELDS: readonly ReturnField[];

export interface ClientOptions {
  /** Default: the PAYMUX_BASE_URL environment variable, else https://api.paymux.cn. */
  baseUrl?: string;
  /** Retries of connection errors, 502/503/504 and answers marked Paymux-Should-Retry: true. Default 2. */
  maxRetries?: number;
  /** Milliseconds per attempt. Default 30000. */
  timeout?: number;
  /** For tests: waits `seconds` between attempts. */
  sleep?: (seconds: number) => Promise<void>;
  /** For tests: the jitter source, in [0, 1). */
  random?: () => number;
  /** For tests: the signing clock, unix seconds. */
  now?: () => number;
}

export interface RequestOptions {
  /** Reused across this call's retries; generated (a UUID v4) for every POST when absent or "". */
  idempotencyKey?: string;
}

type Timestamp = string; // ISO 8601 UTC, e.g. 2026-12-01T08:00:00Z

export type PaymentStatus = "PENDING" | "PROCESSING" | "SUCCESS" | "FAILED" | "CLOSED" | "REFUNDED";
export type RefundStatus = "PROCESSING" | "SUCCESS" | "FAILED" | "ABNORMAL";

export interface Failure {
  code: string;
  message: string;
}

export interface PaymentAction {
  type: "qr_code" | "redirect" | "form_post" | "wechat_jsapi" | "wechat_app" | "alipay_app" | "payer_code" | string;
  code_url?: string;
  url?: string;
  [key: string]: unknown;
}

export interface CreatePaymentParams {
  amount: number;
  currency: "CNY";
  method: string;
  subject: string;
  merchant_order_no: string;
  notify_url: string;
  fallback_methods?: string[];
  return_url?: string;
  description?: string;
  expires_in?: number | null;
  payer?: Record<string, unknown>;
  metadata?: Record<string, string>;
  [key: string]: unknown;
}

export interface CreateRefundParams {
  amount: number;
  merchant_refund_no: string;
  reason?: string;
  [key: string]: unknown;
}

export interface CreateCheckoutSessionParams {
  amount: number;
  currency: "CNY";
  subject: string;
  merchant_order_no: string;
  notify_url: string;
  return_url: string;
  methods: string[];
  expires_in?: number;
  [key: string]: unknown;
}

/** Every model keeps the fields the API sends, known or not. */
export declare class Payment {
  id: string;
  object: "payment";
  merchant_order_no: string;
  amount: number;
  currency: string;
  method: string;
  status: PaymentStatus;
  subject: string;
  description: string;
  amount_refunded: number;
  amount_refundable: number;
  created_at: Timestamp;
  expires_at: Timestamp;
  paid_at: Timestamp | null;
  closed_at: Timestamp | null;
  channel: { provider: string; trade_no: string | null; [key: string]: unknown };
  action: PaymentAction | null;
  failure: Failure | null;
  metadata: Record<string, string>;
  automatic_refunds: Array<Record<string, unknown>>;
  version: number;
  [key: string]: unknown;
}

export declare class Refund {
  id: string;
  object: "refund";
  payment_id: string;
  merchant_refund_no: string;
  amount: number;
  currency: string;
  reason: string;
  status: RefundStatus;
  channel_refund_no: string | null;
  created_at: Timestamp;
  succeeded_at: Timestamp | null;
  reissued_to: "merchant_bank_card" | "user_bank_card" | null;
  failure: Failure | null;
  [key: string]: unknown;
}

/** One change in a payment's history (GET /v1/payments/{id}/events). */
export declare class Event {
  type: string;
  actor: string;
  from_status: string | null;
  to_status: string;
  refund_id: string | null;
  at: Timestamp;
  detail: Record<string, unknown>;
  [key: string]: unknown;
}

export declare class CheckoutSession {
  id: string;
  object: "checkout_session";
  url: string;
  status: "open" | "completed" | "expired";
  amount: number;
  currency: string;
  subject: string;
  merchant_order_no: string;
  methods: string[];
  return_url: string;
  payment_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  completed_at: Timestamp | null;
  [key: string]: unknown;
}

/** The body paymux POSTs to notify_url, as constructEvent returns it. */
export declare class WebhookEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Payment | Refund | CheckoutSession; [key: string]: unknown };
  [key: string]: unknown;
}

export interface NotificationAttempt {
  attempt: number;
  at: Timestamp;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
  retry_in: number | null;
}

export declare class Notification {
  id: string;
  object: "notification";
  type: string;
  payment_id: string;
  notify_url: string;
  status: "pending" | "delivered" | "failed";
  created_at: Timestamp;
  attempts: NotificationAttempt[];
  event: WebhookEvent;
  [key: string]: unknown;
}

export declare class List<T> {
  object: "list";
  data: T[];
  [key: string]: unknown;
}

export interface Payments {
  create(params: CreatePaymentParams, options?: RequestOptions): Promise<Payment>;
  get(id: string): Promise<Payment>;
  /** GET /v1/payments?merchant_order_no=… */
  find(merchantOrderNo: string): Promise<Payment>;
  close(id: string, options?: RequestOptions): Promise<Payment>;
  events(id: string): Promise<List<Event>>;
  notifications(id: string): Promise<List<Notification>>;
}

export interface Refunds {
  create(paymentId: string, params: CreateRefundParams, options?: RequestOptions): Promise<Refund>;
  get(id: string): Promise<Refund>;
}

export interface Notifications {
  resend(id: string, options?: RequestOptions): Promise<Notification>;
}

export interface CheckoutSessions {
  create(params: CreateCheckoutSessionParams, options?: RequestOptions): Promise<CheckoutSession>;
  get(id: string): Promise<CheckoutSession>;
}

export declare class Paymux {
  constructor(appId: string, secret: string, options?: ClientOptions);
  readonly baseUrl: string;
  readonly payments: Payments;
  readonly refunds: Refunds;
  readonly notifications: Notifications;
  readonly checkoutSessions: CheckoutSessions;
  /** Closes the idle keep-alive sockets. */
  close(): void;
}
export default Paymux;

export interface PaymuxErrorOptions {
  status?: number;
  code?: string;
  requestId?: string;
  details?: unknown;
  headers?: Record<string, string | string[] | undefined>;
  cause?: unknown;
}

export declare class PaymuxError extends Error {
  constructor(message: string, options?: PaymuxErrorOptions);
  /** The HTTP status; 0 when no answer came. */
  status: number;
  /** paymux's error.code, e.g. validation_failed, payment_not_refundable. */
  code: string;
  requestId: string;
  details: unknown;
  headers: Record<string, string | string[] | undefined>;
}
export declare class InvalidRequestError extends PaymuxError {}
export declare class AuthenticationError extends PaymuxError {}
export declare class NotFoundError extends PaymuxError {}
export declare class ConflictError extends PaymuxError {}
export declare class IdempotencyError extends ConflictError {}
export declare class RateLimitError extends PaymuxError {}
export declare class ApiError extends PaymuxError {}
export declare class ChannelError extends ApiError {}
export declare class ConnectionError extends PaymuxError {
  /** A reused keep-alive socket closed before any byte of the answer (retried once at once). */
  stale: boolean;
}
export declare class SignatureVerificationError extends PaymuxError {
  constructor(message: string, header?: string);
  header: string;
}

export interface VerifyOptions {
  /** Seconds, compared to the sub-second; 0 turns the check off; null, NaN, negative: RangeError. Default 300. */
  tolerance?: number;
  /** For tests: the clock, unix seconds. */
  now?: number;
}

/** Verifies Paymux-Signature over the raw body; throws SignatureVerificationError. */
export declare function constructEvent(
  payload: Buffer | Uint8Array | string,
  header: string | undefined | null,
  secret: string,
  options?: VerifyOptions,
): WebhookEvent;

/** A valid Paymux-Signature for `payload` at `timestamp` (unix seconds, default now). */
export declare function generateTestHeader(payload: Buffer | Uint8Array | string, secret: string, timestamp?: number): string;

export type ReturnField =
  | "paymux_session_id"
  | "paymux_merchant_order_no"
  | "paymux_payment_id"
  | "paymux_status"
  | "paymux_timestamp";

/** Verifies the checkout's signed return; throws SignatureVerificationError. */
export declare function verifyReturn(
  query: string | URLSearchParams | Record<string, string | string[] | undefined>,
  secret: string,
  options?: VerifyOptions,
): Record<ReturnField, string>;

export declare function stringToSign(method: string, pathWithQuery: string, timestamp: string, nonce: string, body: Uint8Array): string;
export declare function sign(secret: string, method: string, pathWithQuery: string, timestamp: string, nonce: string, body: Uint8Array): string;
export declare function authorization(
  appId: string,
  secret: string,
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  fixed?: { timestamp?: string | number; nonce?: string },
): string;
