package paymux

import (
	"encoding/json"
	"time"
)

// The models are what paymux answers (docs/openapi.json). Fields paymux adds later are
// tolerated and kept: each model's Raw holds the object exactly as received.

// Payment statuses.
const (
	PaymentPending    = "PENDING"
	PaymentProcessing = "PROCESSING"
	PaymentSucceeded  = "SUCCESS"
	PaymentFailed     = "FAILED"
	PaymentClosed     = "CLOSED"
	PaymentRefunded   = "REFUNDED"
)

// Refund statuses.
const (
	RefundProcessing = "PROCESSING"
	RefundSucceeded  = "SUCCESS"
	RefundFailed     = "FAILED"
	RefundAbnormal   = "ABNORMAL"
)

// Payment is a payment (GET /v1/payments/{id}). Amounts are in fen.
type Payment struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	MerchantOrderNo  string            `json:"merchant_order_no"`
	Amount           int64             `json:"amount"`
	Currency         string            `json:"currency"`
	Method           string            `json:"method"`
	Status           string            `json:"status"`
	Subject          string            `json:"subject"`
	Description      string            `json:"description"`
	AmountRefunded   int64             `json:"amount_refunded"`
	AmountRefundable int64             `json:"amount_refundable"`
	CreatedAt        time.Time         `json:"created_at"`
	ExpiresAt        time.Time         `json:"expires_at"`
	PaidAt           *time.Time        `json:"paid_at"`
	ClosedAt         *time.Time        `json:"closed_at"`
	Channel          ChannelInfo       `json:"channel"`
	Action           *Action           `json:"action"`
	Failure          *Failure          `json:"failure"`
	Metadata         map[string]string `json:"metadata"`
	AutomaticRefunds []AutomaticRefund `json:"automatic_refunds"`
	Version          int64             `json:"version"`
	Raw              json.RawMessage   `json:"-"`
}

// UnmarshalJSON decodes a payment and keeps it whole in Raw.
func (p *Payment) UnmarshalJSON(data []byte) error {
	type plain Payment
	return keepRaw(data, (*plain)(p), &p.Raw)
}

// CodeURL is the QR code to show the payer (action.code_url of a qr_code action), or "".
// It is safe to call on a nil payment.
func (p *Payment) CodeURL() string {
	if p == nil || p.Action == nil {
		return ""
	}
	return p.Action.CodeURL
}

// ChannelInfo is the channel that took the payment and its trade number there.
type ChannelInfo struct {
	Provider *string `json:"provider"`
	TradeNo  *string `json:"trade_no"`
}

// Action is what the payer does next. Type says which fields are set: qr_code (CodeURL),
// redirect (URL), form_post (URL, Fields), alipay_app (OrderString), wechat_jsapi and
// wechat_app (PrepayID; hand Raw, the whole object, to the WeChat bridge or app SDK),
// payer_code (nothing).
type Action struct {
	Type        string            `json:"type"`
	CodeURL     string            `json:"code_url"`
	URL         string            `json:"url"`
	Fields      map[string]string `json:"fields"`
	OrderString string            `json:"order_string"`
	PrepayID    string            `json:"prepay_id"`
	Raw         json.RawMessage   `json:"-"`
}

// UnmarshalJSON decodes an action and keeps it whole in Raw.
func (a *Action) UnmarshalJSON(data []byte) error {
	type plain Action
	return keepRaw(data, (*plain)(a), &a.Raw)
}

// Failure is why a payment or refund failed.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AutomaticRefund is a refund paymux made by itself (a second payment of one order).
type AutomaticRefund struct {
	ID         string    `json:"id"`
	OutTradeNo string    `json:"out_trade_no"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Reason     string    `json:"reason"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// Refund is a refund (GET /v1/refunds/{id}).
type Refund struct {
	ID               string          `json:"id"`
	Object           string          `json:"object"`
	PaymentID        string          `json:"payment_id"`
	MerchantRefundNo string          `json:"merchant_refund_no"`
	Amount           int64           `json:"amount"`
	Currency         string          `json:"currency"`
	Reason           string          `json:"reason"`
	Status           string          `json:"status"`
	ChannelRefundNo  *string         `json:"channel_refund_no"`
	CreatedAt        time.Time       `json:"created_at"`
	SucceededAt      *time.Time      `json:"succeeded_at"`
	ReissuedTo       *string         `json:"reissued_to"`
	Failure          *Failure        `json:"failure"`
	Raw              json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a refund and keeps it whole in Raw.
func (r *Refund) UnmarshalJSON(data []byte) error {
	type plain Refund
	return keepRaw(data, (*plain)(r), &r.Raw)
}

// PaymentEvent is one step of a payment's history (GET /v1/payments/{id}/events).
type PaymentEvent struct {
	Type       string          `json:"type"`
	Actor      string          `json:"actor"`
	FromStatus *string         `json:"from_status"`
	ToStatus   string          `json:"to_status"`
	RefundID   *string         `json:"refund_id"`
	At         time.Time       `json:"at"`
	Detail     map[string]any  `json:"detail"`
	Raw        json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an event and keeps it whole in Raw.
func (e *PaymentEvent) UnmarshalJSON(data []byte) error {
	type plain PaymentEvent
	return keepRaw(data, (*plain)(e), &e.Raw)
}

// Notification is a notification paymux sends to the notify_url, with its delivery attempts.
type Notification struct {
	ID        string                `json:"id"`
	Object    string                `json:"object"`
	Type      string                `json:"type"`
	PaymentID string                `json:"payment_id"`
	NotifyURL string                `json:"notify_url"`
	Status    string                `json:"status"`
	CreatedAt time.Time             `json:"created_at"`
	Attempts  []NotificationAttempt `json:"attempts"`
	Event     Event                 `json:"event"`
	Raw       json.RawMessage       `json:"-"`
}

// UnmarshalJSON decodes a notification and keeps it whole in Raw.
func (n *Notification) UnmarshalJSON(data []byte) error {
	type plain Notification
	return keepRaw(data, (*plain)(n), &n.Raw)
}

// NotificationAttempt is one delivery of a notification.
type NotificationAttempt struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode *int      `json:"status_code"`
	LatencyMS  *float64  `json:"latency_ms"`
	Error      *string   `json:"error"`
	RetryIn    *int      `json:"retry_in"`
}

// CheckoutSession is a hosted checkout page (docs/checkout.md).
type CheckoutSession struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	URL             string          `json:"url"`
	Status          string          `json:"status"`
	Amount          int64           `json:"amount"`
	Currency        string          `json:"currency"`
	Subject         string          `json:"subject"`
	MerchantOrderNo string          `json:"merchant_order_no"`
	Methods         []string        `json:"methods"`
	ReturnURL       string          `json:"return_url"`
	PaymentID       *string         `json:"payment_id"`
	CreatedAt       time.Time       `json:"created_at"`
	ExpiresAt       time.Time       `json:"expires_at"`
	CompletedAt     *time.Time      `json:"completed_at"`
	Raw             json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a session and keeps it whole in Raw.
func (s *CheckoutSession) UnmarshalJSON(data []byte) error {
	type plain CheckoutSession
	return keepRaw(data, (*plain)(s), &s.Raw)
}

// Event is a notification's body: {"id", "type", "created", "data": {"object": …}}. The object
// is a payment (payment.*), a refund (refund.*) or a checkout session (checkout.session.*).
type Event struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Created int64           `json:"created"`
	Data    EventData       `json:"data"`
	Raw     json.RawMessage `json:"-"`
}

// EventData holds the event's object as received; decode it with Event.Payment, Event.Refund
// or Event.CheckoutSession.
type EventData struct {
	Object json.RawMessage `json:"object"`
}

// UnmarshalJSON decodes an event and keeps it whole in Raw.
func (e *Event) UnmarshalJSON(data []byte) error {
	type plain Event
	return keepRaw(data, (*plain)(e), &e.Raw)
}

// Payment is the event's object when it is a payment.
func (e *Event) Payment() (*Payment, error) {
	var p Payment
	return &p, e.decodeObject("payment", &p)
}

// Refund is the event's object when it is a refund.
func (e *Event) Refund() (*Refund, error) {
	var r Refund
	return &r, e.decodeObject("refund", &r)
}

// CheckoutSession is the event's object when it is a checkout session.
func (e *Event) CheckoutSession() (*CheckoutSession, error) {
	var s CheckoutSession
	return &s, e.decodeObject("checkout_session", &s)
}

func (e *Event) decodeObject(want string, into any) error {
	var kind struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(e.Data.Object, &kind); err != nil || kind.Object != want {
		return &Error{Kind: ErrInvalidRequest, Message: "the event's object is not a " + want + ": " + kind.Object}
	}
	if err := json.Unmarshal(e.Data.Object, into); err != nil {
		return &Error{Kind: ErrInvalidRequest, Message: "the event's " + want + " does not decode: " + err.Error(), Err: err}
	}
	return nil
}

func keepRaw(data []byte, into any, raw *json.RawMessage) error {
	if err := json.Unmarshal(data, into); err != nil {
		return err
	}
	*raw = append(json.RawMessage(nil), data...)
	return nil
}

type list[T any] struct {
	Object string `json:"object"`
	Data   []T    `json:"data"`
}
