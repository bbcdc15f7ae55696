package paymux

import (
	"context"
	"net/url"
	"strconv"
)

// PaymentParams is POST /v1/payments. Amounts are in fen; Currency is "CNY".
type PaymentParams struct {
	Amount          int64             `json:"amount"`
	Currency        string            `json:"currency"`
	Method          string            `json:"method"`
	FallbackMethods []string          `json:"fallback_methods,omitempty"`
	Subject         string            `json:"subject"`
	MerchantOrderNo string            `json:"merchant_order_no"`
	NotifyURL       string            `json:"notify_url"`
	ReturnURL       string            `json:"return_url,omitempty"`
	Description     string            `json:"description,omitempty"`
	ExpiresIn       int               `json:"expires_in,omitempty"` // seconds, 60–604800
	Payer           *Payer            `json:"payer,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
}

// Payer is what some methods need to know about the payer.
type Payer struct {
	OpenID    string `json:"openid,omitempty"`    // wechat.jsapi, wechat.mini_program
	ClientIP  string `json:"client_ip,omitempty"` // wechat.h5
	BuyerID   string `json:"buyer_id,omitempty"`
	CardToken string `json:"card_token,omitempty"`
	H5Type    string `json:"h5_type,omitempty"` // iOS, Android, Wap
	AuthCode  string `json:"auth_code,omitempty"`
}

// RefundParams is POST /v1/payments/{id}/refunds.
type RefundParams struct {
	Amount           int64  `json:"amount"`
	MerchantRefundNo string `json:"merchant_refund_no"`
	Reason           string `json:"reason,omitempty"`
}

// CheckoutSessionParams is POST /v1/checkout/sessions.
type CheckoutSessionParams struct {
	Amount          int64    `json:"amount"`
	Currency        string   `json:"currency"`
	Subject         string   `json:"subject"`
	MerchantOrderNo string   `json:"merchant_order_no"`
	NotifyURL       string   `json:"notify_url"`
	ReturnURL       string   `json:"return_url"`
	Methods         []string `json:"methods"`
	ExpiresIn       int      `json:"expires_in,omitempty"` // seconds, 1800–86400
}

// PaymentsService is /v1/payments.
type PaymentsService struct{ client *Client }

// Create starts a payment. The same merchant_order_no with the same parameters answers the
// same payment again.
func (s *PaymentsService) Create(ctx context.Context, params *PaymentParams, options ...RequestOption) (*Payment, error) {
	return fetch[Payment](ctx, s.client, "POST", "/v1/payments", params, options)
}

// Get is the payment with this id.
func (s *PaymentsService) Get(ctx context.Context, id string) (*Payment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return fetch[Payment](ctx, s.client, "GET", "/v1/payments/"+id, nil, nil)
}

// Find is the payment of your order number (ErrNotFound when there is none).
func (s *PaymentsService) Find(ctx context.Context, merchantOrderNo string) (*Payment, error) {
	query := url.Values{"merchant_order_no": {merchantOrderNo}}.Encode()
	return fetch[Payment](ctx, s.client, "GET", "/v1/payments?"+query, nil, nil)
}

// Close closes an unpaid payment, at the channel and at paymux.
func (s *PaymentsService) Close(ctx context.Context, id string, options ...RequestOption) (*Payment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return fetch[Payment](ctx, s.client, "POST", "/v1/payments/"+id+"/close", nil, options)
}

// Events is the payment's history, oldest first.
func (s *PaymentsService) Events(ctx context.Context, id string) ([]PaymentEvent, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var events list[PaymentEvent]
	err := s.client.call(ctx, "GET", "/v1/payments/"+id+"/events", nil, &events, nil)
	return events.Data, err
}

// Notifications are the notifications sent about the payment, with their delivery attempts.
func (s *PaymentsService) Notifications(ctx context.Context, id string) ([]Notification, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var notifications list[Notification]
	err := s.client.call(ctx, "GET", "/v1/payments/"+id+"/notifications", nil, &notifications, nil)
	return notifications.Data, err
}

// RefundsService is /v1/refunds and /v1/payments/{id}/refunds.
type RefundsService struct{ client *Client }

// Create refunds part or all of a paid payment. The same merchant_refund_no with the same
// parameters answers the same refund again.
func (s *RefundsService) Create(ctx context.Context, paymentID string, params *RefundParams, options ...RequestOption) (*Refund, error) {
	if err := checkID(paymentID); err != nil {
		return nil, err
	}
	return fetch[Refund](ctx, s.client, "POST", "/v1/payments/"+paymentID+"/refunds", params, options)
}

// Get is the refund with this id.
func (s *RefundsService) Get(ctx context.Context, id string) (*Refund, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return fetch[Refund](ctx, s.client, "GET", "/v1/refunds/"+id, nil, nil)
}

// NotificationsService is /v1/notifications.
type NotificationsService struct{ client *Client }

// Resend queues the notification for delivery again (e.g. after it failed).
func (s *NotificationsService) Resend(ctx context.Context, id string, options ...RequestOption) (*Notification, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return fetch[Notification](ctx, s.client, "POST", "/v1/notifications/"+id+"/resend", nil, options)
}

// CheckoutSessionsService is /v1/checkout/sessions.
type CheckoutSessionsService struct{ client *Client }

// Create opens a hosted checkout page; send the payer to its URL.
func (s *CheckoutSessionsService) Create(ctx context.Context, params *CheckoutSessionParams, options ...RequestOption) (*CheckoutSession, error) {
	return fetch[CheckoutSession](ctx, s.client, "POST", "/v1/checkout/sessions", params, options)
}

// Get is the session with this id.
func (s *CheckoutSessionsService) Get(ctx context.Context, id string) (*CheckoutSession, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return fetch[CheckoutSession](ctx, s.client, "GET", "/v1/checkout/sessions/"+id, nil, nil)
}

// checkID refuses an id that is not one of paymux's ([A-Za-z0-9_-]+) before it becomes part of
// a path: such an id would reach another route, not a 404.
func checkID(id string) error {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return &Error{Kind: ErrInvalidRequest, Code: "invalid_id", Message: "not a paymux id: " + strconv.Quote(id)}
		}
	}
	if id == "" {
		return &Error{Kind: ErrInvalidRequest, Code: "invalid_id", Message: "an id is required"}
	}
	return nil
}

// fetch calls the API and decodes its answer: a *T, or nil and an *Error.
func fetch[T any](ctx context.Context, c *Client, method, path string, params any, options []RequestOption) (*T, error) {
	var v T
	if err := c.call(ctx, method, path, params, &v, options); err != nil {
		return nil, err
	}
	return &v, nil
}
