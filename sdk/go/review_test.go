package paymux

// What the golden vectors do not pin down, from the review of the four SDKs: the tolerance's
// edges, a leading "?", the error for a status without paymux's envelope, an empty
// Idempotency-Key, a client that never prints its secret, the default timeout on a caller's
// http.Client, and a caller's transport left alone after a stale socket.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var reviewPayload = []byte(`{"id":"evt_1","type":"payment.succeeded","created":1,"data":{"object":{"object":"payment","id":"pay_1"}}}`)

func TestTheToleranceIsSubSecondZeroDisablesNegativeIsRefused(t *testing.T) {
	header := GenerateTestHeader(reviewPayload, "sk_x", time.Unix(1000, 0))
	for _, now := range []time.Time{time.Unix(1300, 5e8), time.Unix(699, 5e8)} {
		if _, err := constructEvent(reviewPayload, header, "sk_x", DefaultTolerance, now); !errors.Is(err, ErrSignatureVerification) {
			t.Errorf("300.5 s away verified: %v", err)
		}
	}
	if _, err := constructEvent(reviewPayload, header, "sk_x", DefaultTolerance, time.Unix(1299, 5e8)); err != nil {
		t.Errorf("299.5 s old refused: %v", err)
	}
	if _, err := constructEvent(reviewPayload, header, "sk_x", 0, time.Unix(1e9, 0)); err != nil {
		t.Errorf("tolerance 0 did not turn the check off: %v", err)
	}
	_, err := constructEvent(reviewPayload, header, "sk_x", -time.Second, time.Unix(1000, 0))
	if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "tolerance") {
		t.Errorf("a negative tolerance: %v", err)
	}
	if _, err := verifyReturn(signedReturn("sk_x", "1000"), "sk_x", -time.Second, time.Unix(1000, 0)); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("a negative return tolerance: %v", err)
	}
	if _, err := verifyReturn(signedReturn("sk_x", "1000"), "sk_x", DefaultTolerance, time.Unix(1300, 5e8)); !errors.Is(err, ErrSignatureVerification) {
		t.Errorf("a return 300.5 s old verified: %v", err)
	}
}

func signedReturn(secret, stamp string) string {
	signed := "paymux_session_id=cs_1&paymux_merchant_order_no=O-1&paymux_payment_id=pay_1&paymux_status=paid&paymux_timestamp=" + stamp
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return signed + "&paymux_signature=" + hex.EncodeToString(mac.Sum(nil))
}

func TestALeadingQuestionMarkIsStripped(t *testing.T) {
	got, err := verifyReturn("?"+signedReturn("sk_x", "1000"), "sk_x", DefaultTolerance, time.Unix(1000, 0))
	if err != nil || got.SessionID != "cs_1" || got.Status != "paid" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestTheMerchantsOwnRepeatedNamesAreIgnoredPaymuxsAreNot(t *testing.T) {
	query := "a=1&a=2&" + signedReturn("sk_x", "1000")
	if _, err := verifyReturn(query, "sk_x", DefaultTolerance, time.Unix(1000, 0)); err != nil {
		t.Fatalf("the merchant's repeated name: %v", err)
	}
	query = signedReturn("sk_x", "1000") + "&paymux_session_id=cs_1"
	if _, err := verifyReturn(query, "sk_x", DefaultTolerance, time.Unix(1000, 0)); !errors.Is(err, ErrSignatureVerification) {
		t.Fatalf("a repeated paymux_ parameter with the same value: %v", err)
	}
}

func TestAnAnswerWithoutTheEnvelopeIsHTTPStatusWithTheGatewaysRequestID(t *testing.T) {
	for status, want := range map[int]ErrorKind{
		400: ErrInvalidRequest, 405: ErrInvalidRequest, 406: ErrInvalidRequest, 410: ErrInvalidRequest,
		413: ErrInvalidRequest, 415: ErrInvalidRequest, 422: ErrInvalidRequest, 401: ErrAuthentication,
		403: ErrAuthentication, 404: ErrNotFound, 409: ErrConflict, 429: ErrRateLimit, 500: ErrAPI,
		502: ErrAPI, 503: ErrAPI, 504: ErrAPI,
	} {
		fake := newFakePaymux(t, answer{status: status, body: `<html>no</html>`, header: map[string]string{"Apigw-Requestid": "gw-1"}})
		c, _ := fake.client(0)
		_, err := c.Payments.Get(context.Background(), "pay_1")
		var perr *Error
		if !errors.As(err, &perr) || perr.Kind != want || perr.Code != fmt.Sprintf("http_%d", status) || perr.RequestID != "gw-1" {
			t.Errorf("%d: %#v, want %s http_%d gw-1", status, err, want, status)
		}
	}
	fake := newFakePaymux(t, answer{status: 409, body: errorJSON("idempotency_key_in_use"), header: map[string]string{"Apigw-Requestid": "gw-1"}})
	c, _ := fake.client(0)
	_, err := c.Payments.Get(context.Background(), "pay_1")
	var perr *Error
	if !errors.As(err, &perr) || perr.Kind != ErrIdempotency || perr.RequestID != "req-1" {
		t.Errorf("the body's request id comes first: %#v", err)
	}
}

func TestAnEmptyIdempotencyKeyIsGenerated(t *testing.T) {
	fake := newFakePaymux(t, answer{status: 201, body: paymentJSON})
	c, _ := fake.client(0)
	if _, err := c.Payments.Create(context.Background(), createParams(), WithIdempotencyKey("")); err != nil {
		t.Fatal(err)
	}
	if key := fake.requests()[0].header.Get("Idempotency-Key"); !uuid4.MatchString(key) {
		t.Fatalf("Idempotency-Key %q", key)
	}
}

func TestTheClientNeverPrintsItsSecret(t *testing.T) {
	c := NewClient("app_print", "sk_never_printed", WithBaseURL("http://127.0.0.1:1"))
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, value := range []any{c, *c, c.Payments, c.Refunds} {
			if out := fmt.Sprintf(format, value); strings.Contains(out, "sk_never_printed") {
				t.Errorf("%s printed the secret: %s", format, out)
			}
		}
	}
	if out := fmt.Sprintf("%+v", c); !strings.Contains(out, "app_print") || !strings.Contains(out, "redacted") {
		t.Errorf("%%+v: %s", out)
	}
}

// deadlineRecorder is a caller's transport: it records each request's context deadline and
// counts CloseIdleConnections.
type deadlineRecorder struct {
	inner     *http.Transport
	deadlines []time.Duration
	closed    atomic.Int32
}

func (d *deadlineRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if at, ok := r.Context().Deadline(); ok {
		d.deadlines = append(d.deadlines, time.Until(at))
	} else {
		d.deadlines = append(d.deadlines, 0)
	}
	return d.inner.RoundTrip(r)
}

func (d *deadlineRecorder) CloseIdleConnections() { d.closed.Add(1) }

func TestACallersClientWithoutATimeoutGetsTheDefaultPerAttempt(t *testing.T) {
	fake := newFakePaymux(t, answer{status: 200, body: paymentJSON}, answer{status: 200, body: paymentJSON})
	recorder := &deadlineRecorder{inner: http.DefaultTransport.(*http.Transport).Clone()}
	c := NewClient(testAppID, testSecret, WithBaseURL(fake.server.URL), WithHTTPClient(&http.Client{Transport: recorder}))
	if _, err := c.Payments.Get(context.Background(), "pay_1"); err != nil {
		t.Fatal(err)
	}
	if got := recorder.deadlines[0]; got <= DefaultTimeout-5*time.Second || got > DefaultTimeout {
		t.Fatalf("the attempt's deadline is %v away, want the default %v", got, DefaultTimeout)
	}
	// with a timeout of its own, or WithTimeout, the http.Client's Timeout is what bounds it
	c = NewClient(testAppID, testSecret, WithBaseURL(fake.server.URL), WithHTTPClient(&http.Client{Transport: recorder, Timeout: time.Minute}))
	if _, err := c.Payments.Get(context.Background(), "pay_1"); err != nil {
		t.Fatal(err)
	}
	if c.httpClient.Timeout != time.Minute || c.attemptTimeout != 0 {
		t.Fatalf("the caller's Timeout was not kept: %v %v", c.httpClient.Timeout, c.attemptTimeout)
	}
}

func TestAStaleSocketLeavesACallersTransportsIdleConnectionsAlone(t *testing.T) {
	fake := newFakePaymux(t, answer{status: 200, body: paymentJSON}, answer{hangUp: true}, answer{status: 200, body: paymentJSON})
	recorder := &deadlineRecorder{inner: http.DefaultTransport.(*http.Transport).Clone()}
	c := NewClient(testAppID, testSecret, WithBaseURL(fake.server.URL), WithMaxRetries(0),
		WithHTTPClient(&http.Client{Transport: recorder}))
	ctx := context.Background()
	if _, err := c.Payments.Get(ctx, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Payments.Get(ctx, "pay_1"); err != nil {
		t.Fatalf("the stale socket was not retried: %v", err)
	}
	if n := len(fake.requests()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	if n := recorder.closed.Load(); n != 0 {
		t.Fatalf("the caller's transport had its idle connections closed %d times", n)
	}
}
