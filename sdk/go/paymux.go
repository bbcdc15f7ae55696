// Package paymux is the Go SDK of paymux, the aggregation payment gateway: a client that signs
// every request (docs/authentication.md), retries exactly what is safe to retry, and decodes
// typed models and errors; and the verifiers of paymux's notifications (ConstructEvent) and of
// the checkout's signed return (VerifyReturn).
//
//	client := paymux.NewClient("app_…", "sk_…")
//	payment, err := client.Payments.Create(ctx, &paymux.PaymentParams{…})
//
// Standard library only.
package paymux

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

// Version is this SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// DefaultBaseURL is used when neither WithBaseURL nor $PAYMUX_BASE_URL gives one.
const DefaultBaseURL = "https://api.paymux.cn"

// DefaultMaxRetries is how often a request is retried when it is safe to (see Client).
const DefaultMaxRetries = 2

// DefaultTimeout bounds one attempt (connect, send, and read the whole answer).
const DefaultTimeout = 30 * time.Second

// Client calls the paymux API for one app. It is safe for concurrent use; make one per app and
// reuse it (it keeps connections alive).
//
// Retries: connection errors, 502, 503 and 504, and any error answer carrying
// `Paymux-Should-Retry: true` are retried up to MaxRetries times; an answer carrying
// `Paymux-Should-Retry: false` never is. The n-th retry waits min(0.5·2^(n−1), 5) s × a random
// factor in [0.5, 1], at least Retry-After (capped at 5 s). Every POST carries an
// Idempotency-Key (a random UUID unless given), the same on each of its retries, so a retried
// POST never acts twice. A request that meets a kept-alive connection the server closed
// without answering (a stale socket, as after a frozen Lambda) is retried once more even with
// no retries configured. Every attempt is signed anew: paymux refuses a nonce seen before.
type Client struct {
	Payments         *PaymentsService
	Refunds          *RefundsService
	Notifications    *NotificationsService
	CheckoutSessions *CheckoutSessionsService

	appID string
	// secret behind a pointer: fmt prints a pointer inside a struct as an address, so not even
	// a service's %s (which prints its *Client field's fields) shows it; String redacts it too
	secret     *redacted
	baseURL    string
	maxRetries int
	timeout    time.Duration
	httpClient *http.Client
	userAgent  string
	// attemptTimeout, when not 0, is a context deadline on each attempt: the default timeout
	// for a caller's http.Client that has none (Timeout 0) when WithTimeout is not given
	attemptTimeout time.Duration
	// ownsTransport: the transport is the SDK's own clone, so closing its idle connections
	// after a stale socket touches nobody else's
	ownsTransport bool

	// seams for the SDK's own tests: the waits between retries and their random factor
	sleep  func(d time.Duration, done <-chan struct{}) bool
	jitter func() float64
	now    func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sets the API's root URL (default: $PAYMUX_BASE_URL, else DefaultBaseURL).
func WithBaseURL(baseURL string) Option {
	return func(c *Client) { c.baseURL = baseURL }
}

// WithMaxRetries sets how often a request is retried when that is safe (default 2; 0 turns
// retries off except the one retry of a stale kept-alive connection).
func WithMaxRetries(n int) Option {
	return func(c *Client) {
		if n < 0 {
			n = 0
		}
		c.maxRetries = n
	}
}

// WithTimeout bounds each attempt (default 30 s).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithHTTPClient sends requests through the given client (its Transport, proxy, TLS settings).
// Its Timeout is replaced by the SDK's timeout when WithTimeout is given too; a client without
// one (Timeout 0) gets DefaultTimeout on each attempt (a context deadline). The SDK never
// closes the idle connections of a transport it was given (it may be http.DefaultTransport or
// shared): after a stale kept-alive socket it retries once through that transport as it is.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) { c.httpClient = h }
}

// NewClient makes a client for the app `appID` with its secret.
func NewClient(appID, secret string, options ...Option) *Client {
	c := &Client{
		appID:      appID,
		secret:     &redacted{secret},
		baseURL:    os.Getenv("PAYMUX_BASE_URL"),
		maxRetries: DefaultMaxRetries,
		userAgent:  userAgent(),
		sleep:      sleepUnlessDone,
		jitter:     randomJitter,
		now:        time.Now,
	}
	for _, option := range options {
		option(c)
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	c.baseURL = strings.TrimRight(c.baseURL, "/")
	c.ownsTransport = c.httpClient == nil
	if c.httpClient != nil && c.httpClient.Timeout == 0 && c.timeout == 0 {
		c.attemptTimeout = DefaultTimeout
	}
	c.httpClient = buildHTTPClient(c.httpClient, c.timeout)
	c.Payments = &PaymentsService{c}
	c.Refunds = &RefundsService{c}
	c.Notifications = &NotificationsService{c}
	c.CheckoutSessions = &CheckoutSessionsService{c}
	return c
}

func buildHTTPClient(given *http.Client, timeout time.Duration) *http.Client {
	if given == nil {
		if timeout == 0 {
			timeout = DefaultTimeout
		}
		transport := http.DefaultTransport.(*http.Transport).Clone()
		return &http.Client{Timeout: timeout, Transport: transport, CheckRedirect: refuseRedirects}
	}
	own := *given // a copy: the caller's client is left as it was
	if timeout != 0 {
		own.Timeout = timeout
	}
	own.CheckRedirect = refuseRedirects
	return &own
}

// String never shows the secret, so that logging a client with %v or %+v is safe.
func (c Client) String() string {
	return fmt.Sprintf("paymux.Client{appID: %q, baseURL: %q, secret: [redacted]}", c.appID, c.baseURL)
}

// GoString is String for %#v.
func (c Client) GoString() string { return c.String() }

// redacted holds a secret that no fmt verb shows.
type redacted struct{ value string }

func (redacted) String() string   { return "[redacted]" }
func (redacted) GoString() string { return "[redacted]" }

// refuseRedirects: paymux does not redirect its API; a redirect would carry the signed headers
// elsewhere, and http.Client would resend a POST as a GET. The 3xx is the answer (ErrAPI).
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// userAgent is `paymux-go/<version> go/<runtime version>`.
func userAgent() string {
	return "paymux-go/" + Version + " go/" + strings.TrimPrefix(runtime.Version(), "go")
}
