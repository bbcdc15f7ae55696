package paymux

// The client's surface against the fake paymux: each call's method, path and body on the wire,
// its headers, and the typed models and errors it gives back.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

const refundJSON = `{"id":"rf_1","object":"refund","payment_id":"pay_1","merchant_refund_no":"R-1","amount":500,
"currency":"CNY","reason":"","status":"PROCESSING","channel_refund_no":null,"created_at":"2026-12-01T08:00:00Z",
"succeeded_at":null,"reissued_to":null,"failure":null}`

const notificationJSON = `{"id":"evt_1","object":"notification","type":"payment.succeeded","payment_id":"pay_1",
"notify_url":"https://shop.example.com/n","status":"delivered","created_at":"2026-12-01T08:01:10Z",
"attempts":[{"attempt":1,"at":"2026-12-01T08:01:11Z","status_code":200,"latency_ms":84.5,"error":null,"retry_in":null}],
"event":{"id":"evt_1","type":"payment.succeeded","created":1764316800,"data":{"object":` + paymentJSON + `}}}`

const sessionJSON = `{"id":"cs_1","object":"checkout_session","url":"https://pay.example/checkout/cs_1","status":"open",
"amount":1288,"currency":"CNY","subject":"s","merchant_order_no":"B-1","methods":["wechat.native"],
"return_url":"https://shop.example.com/r","payment_id":null,"created_at":"2026-12-01T08:00:00Z",
"expires_at":"2026-12-01T09:00:00Z","completed_at":null}`

const eventJSON = `{"type":"payment.created","actor":"merchant","from_status":null,"to_status":"PENDING",
"refund_id":null,"at":"2026-12-01T08:00:00Z","detail":{"k":"v"}}`

func TestEveryCallGoesWhereTheAPISays(t *testing.T) {
	fake := newFakePaymux(t,
		answer{status: 201, body: paymentJSON}, answer{status: 200, body: paymentJSON},
		answer{status: 200, body: paymentJSON}, answer{status: 200, body: paymentJSON},
		answer{status: 200, body: `{"object":"list","data":[` + eventJSON + `]}`},
		answer{status: 200, body: `{"object":"list","data":[` + notificationJSON + `]}`},
		answer{status: 201, body: refundJSON}, answer{status: 200, body: refundJSON},
		answer{status: 202, body: notificationJSON},
		answer{status: 201, body: sessionJSON}, answer{status: 200, body: sessionJSON},
	)
	c, _ := fake.client(0)
	ctx := context.Background()
	mustNot := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustNot(c.Payments.Create(ctx, createParams(), WithIdempotencyKey("my-key-1")))
	mustNot(c.Payments.Get(ctx, "pay_1"))
	mustNot(c.Payments.Find(ctx, "订单 #1&2+3"))
	mustNot(c.Payments.Close(ctx, "pay_1"))
	events, err := c.Payments.Events(ctx, "pay_1")
	if err != nil || len(events) != 1 || events[0].ToStatus != "PENDING" || events[0].Detail["k"] != "v" {
		t.Fatalf("events %+v %v", events, err)
	}
	notifications, err := c.Payments.Notifications(ctx, "pay_1")
	if err != nil || len(notifications) != 1 || *notifications[0].Attempts[0].StatusCode != 200 {
		t.Fatalf("notifications %+v %v", notifications, err)
	}
	if p, err := notifications[0].Event.Payment(); err != nil || p.Amount != 1999 {
		t.Fatalf("the notification's payment %+v %v", p, err)
	}
	mustNot(c.Refunds.Create(ctx, "pay_1", &RefundParams{Amount: 500, MerchantRefundNo: "R-1"}))
	mustNot(c.Refunds.Get(ctx, "rf_1"))
	mustNot(c.Notifications.Resend(ctx, "evt_1"))
	mustNot(c.CheckoutSessions.Create(ctx, &CheckoutSessionParams{Amount: 1288, Currency: "CNY", Methods: []string{"wechat.native"}}))
	mustNot(c.CheckoutSessions.Get(ctx, "cs_1"))

	want := []string{
		"POST /v1/payments", "GET /v1/payments/pay_1",
		"GET /v1/payments?merchant_order_no=%E8%AE%A2%E5%8D%95+%231%262%2B3",
		"POST /v1/payments/pay_1/close", "GET /v1/payments/pay_1/events", "GET /v1/payments/pay_1/notifications",
		"POST /v1/payments/pay_1/refunds", "GET /v1/refunds/rf_1", "POST /v1/notifications/evt_1/resend",
		"POST /v1/checkout/sessions", "GET /v1/checkout/sessions/cs_1",
	}
	requests := fake.requests()
	if len(requests) != len(want) {
		t.Fatalf("%d requests, want %d", len(requests), len(want))
	}
	for i, r := range requests {
		if got := r.method + " " + r.requestURI; got != want[i] {
			t.Errorf("request %d: %s, want %s", i+1, got, want[i])
		}
		if !r.signatureOK {
			t.Errorf("%s is not signed over the path, query and body as sent", want[i])
		}
		if r.method == "GET" && (len(r.body) != 0 || r.contentLength > 0 || len(r.transferEncoding) != 0) {
			t.Errorf("%s sent a body (%d bytes, %v)", want[i], len(r.body), r.transferEncoding)
		}
		if r.method == "POST" && len(r.body) == 0 && (r.contentLength != 0 || len(r.transferEncoding) != 0) {
			t.Errorf("%s: an empty POST is not Content-Length: 0 (%d, %v)", want[i], r.contentLength, r.transferEncoding)
		}
		if key := r.header.Get("Idempotency-Key"); (r.method == "POST") != (key != "") {
			t.Errorf("%s: Idempotency-Key %q", want[i], key)
		}
	}
	if key := requests[0].header.Get("Idempotency-Key"); key != "my-key-1" {
		t.Errorf("the given Idempotency-Key was not sent: %q", key)
	}
}

func TestTheBodyIsCompactJSONAsWritten(t *testing.T) {
	fake := newFakePaymux(t, answer{status: 201, body: paymentJSON})
	c, _ := fake.client(0)
	if _, err := c.Payments.Create(context.Background(), createParams()); err != nil {
		t.Fatal(err)
	}
	r := fake.requests()[0]
	want := `{"amount":1999,"currency":"CNY","method":"wechat.native","subject":"咖啡 <beans> & more",` +
		`"merchant_order_no":"ORDER-1001","notify_url":"https://shop.example.com/paymux/notify"}`
	if string(r.body) != want {
		t.Fatalf("body %s\nwant %s", r.body, want)
	}
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("Accept") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	ua := regexp.MustCompile(`^paymux-go/` + regexp.QuoteMeta(Version) + ` go/\d+\.\d+`)
	if got := r.header.Get("User-Agent"); !ua.MatchString(got) || !strings.HasSuffix(got, strings.TrimPrefix(runtime.Version(), "go")) {
		t.Errorf("User-Agent %q", got)
	}
}

func TestModelsDecodeAndKeepUnknownFields(t *testing.T) {
	var p Payment
	if err := json.Unmarshal([]byte(paymentJSON), &p); err != nil {
		t.Fatal(err)
	}
	if p.Amount != 1999 || p.Status != PaymentProcessing || p.CodeURL() != "weixin://wxpay/bizpayurl?pr=abc" ||
		!p.CreatedAt.Equal(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)) || p.PaidAt != nil || *p.Channel.Provider != "wechat" {
		t.Fatalf("payment %+v", p)
	}
	var kept map[string]json.RawMessage
	if err := json.Unmarshal(p.Raw, &kept); err != nil || string(kept["a_field_paymux_adds_later"]) != `{"x":1}` {
		t.Fatalf("the unknown field was not kept: %s", p.Raw)
	}
	if p.Action.Type != "qr_code" || !strings.Contains(string(p.Action.Raw), "code_url") {
		t.Errorf("action %+v", p.Action)
	}
	var none *Payment
	if none.CodeURL() != "" {
		t.Errorf("a nil payment has a code URL")
	}
}

func TestAnAnswerThatIsNotPaymuxsStillHasAKind(t *testing.T) {
	fake := newFakePaymux(t, answer{status: 504, body: `<html>gateway timeout</html>`})
	c, _ := fake.client(0)
	_, err := c.Refunds.Get(context.Background(), "rf_1")
	var perr *Error
	if !errors.As(err, &perr) || perr.Kind != ErrAPI || perr.Status != 504 || perr.Message != "Gateway Timeout" {
		t.Fatalf("error %#v", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("a 504 is a not found")
	}
}

func TestKindsByStatus(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   ErrorKind
	}{
		{400, "bad_request", ErrInvalidRequest}, {401, "invalid_signature", ErrAuthentication},
		{404, "not_found", ErrNotFound}, {406, "not_acceptable", ErrInvalidRequest},
		{409, "duplicate_merchant_order_no", ErrConflict}, {409, "idempotency_key_reused", ErrIdempotency},
		{413, "payload_too_large", ErrInvalidRequest}, {415, "unsupported_media_type", ErrInvalidRequest},
		{422, "validation_failed", ErrInvalidRequest}, {429, "too_many", ErrRateLimit},
		{500, "internal_error", ErrAPI}, {502, "channel_rejected", ErrChannel},
		{503, "channel_unavailable", ErrChannel}, {503, "busy", ErrAPI},
	} {
		if got := errorFromAnswer(c.status, []byte(errorJSON(c.code)), nil).Kind; got != c.want {
			t.Errorf("%d %s: %s, want %s", c.status, c.code, got, c.want)
		}
	}
}

func TestAnIDThatIsNotPaymuxsNeverReachesTheWire(t *testing.T) {
	fake := newFakePaymux(t)
	c, _ := fake.client(0)
	for _, id := range []string{"", "../refunds/rf_1", "pay_1?sync=true", "pay 1"} {
		if _, err := c.Payments.Get(context.Background(), id); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("id %q: %v", id, err)
		}
	}
	if n := len(fake.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestTheBaseURLComesFromTheEnvironment(t *testing.T) {
	t.Setenv("PAYMUX_BASE_URL", "http://127.0.0.1:9/")
	if got := NewClient("a", "s").baseURL; got != "http://127.0.0.1:9" {
		t.Errorf("base URL %q", got)
	}
	if got := NewClient("a", "s", WithBaseURL("http://x")).baseURL; got != "http://x" {
		t.Errorf("base URL %q", got)
	}
	os.Unsetenv("PAYMUX_BASE_URL")
	if got := NewClient("a", "s").baseURL; got != DefaultBaseURL {
		t.Errorf("base URL %q", got)
	}
}

func TestARedirectIsNotFollowed(t *testing.T) {
	fake := newFakePaymux(t,
		answer{status: 302, header: map[string]string{"Location": "/elsewhere"}, body: `{}`},
		answer{status: 200, body: paymentJSON},
	)
	c, _ := fake.client(2)
	_, err := c.Payments.Create(context.Background(), createParams())
	var perr *Error
	if !errors.As(err, &perr) || perr.Kind != ErrAPI || perr.Status != 302 {
		t.Fatalf("error %v, want the 302 as an API error", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Fatalf("%d requests: the redirect was followed", n)
	}
}

func TestABaseURLThatIsNotHTTPIsRefusedBeforeSending(t *testing.T) {
	for _, base := range []string{"api.paymux.cn", "ftp://api.paymux.cn", "http://"} {
		_, err := NewClient("a", "s", WithBaseURL(base)).Payments.Get(context.Background(), "pay_1")
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("base URL %q: %v", base, err)
		}
	}
}
