package paymux

// A fake paymux for the client's tests: it answers from a script, records every request as it
// arrived (headers, body, connection), checks each one's signature the way paymux does, and can
// hang up on a request without answering.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"
)

const (
	testAppID  = "app_fake"
	testSecret = "sk_fake_secret"
)

// answer is one scripted reply; hangUp closes the connection without a byte of answer.
type answer struct {
	status int
	header map[string]string
	body   string
	hangUp bool
}

type seen struct {
	method, requestURI, remote string
	header                     http.Header
	body                       []byte
	contentLength              int64
	transferEncoding           []string
	signatureOK                bool
}

type fakePaymux struct {
	t      *testing.T
	server *httptest.Server
	mu     sync.Mutex
	script []answer
	seen   []seen
}

var authPairs = regexp.MustCompile(`^PAYMUX-HMAC-SHA256 app_id="([^"]+)",timestamp="(\d+)",nonce="([A-Za-z0-9_-]{16,64})",signature="[0-9a-f]{64}"$`)

func newFakePaymux(t *testing.T, script ...answer) *fakePaymux {
	f := &fakePaymux{t: t, script: script}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakePaymux) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	record := seen{
		method: r.Method, requestURI: r.URL.RequestURI(), remote: r.RemoteAddr, header: r.Header.Clone(),
		body: body, contentLength: r.ContentLength, transferEncoding: r.TransferEncoding,
	}
	if m := authPairs.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		want := authorization(m[1], testSecret, r.Method, r.URL.RequestURI(), m[2], m[3], body)
		record.signatureOK = m[1] == testAppID && want == r.Header.Get("Authorization")
	}
	f.mu.Lock()
	f.seen = append(f.seen, record)
	reply := answer{status: 200, body: `{}`}
	if len(f.script) > 0 {
		reply, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if reply.hangUp {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			f.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	for name, value := range reply.header {
		w.Header().Set(name, value)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(reply.status)
	_, _ = io.WriteString(w, reply.body)
}

func (f *fakePaymux) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

// client is a client of the fake whose waits are recorded, not slept.
func (f *fakePaymux) client(maxRetries int) (*Client, *[]time.Duration) {
	c := NewClient(testAppID, testSecret, WithBaseURL(f.server.URL), WithMaxRetries(maxRetries))
	waits := &[]time.Duration{}
	c.sleep = func(d time.Duration, _ <-chan struct{}) bool {
		*waits = append(*waits, d)
		return true
	}
	c.jitter = func() float64 { return 0 } // the shortest wait: min(0.5·2^(n−1), 5) s × 0.5
	return c, waits
}

func nonceOf(t *testing.T, s seen) string {
	t.Helper()
	m := authPairs.FindStringSubmatch(s.header.Get("Authorization"))
	if m == nil {
		t.Fatalf("malformed Authorization: %q", s.header.Get("Authorization"))
	}
	return m[3]
}

const paymentJSON = `{"id":"pay_01KB0000000000000000000000","object":"payment","merchant_order_no":"ORDER-1001",
"amount":1999,"currency":"CNY","method":"wechat.native","status":"PROCESSING","subject":"Coffee","description":"",
"amount_refunded":0,"amount_refundable":0,"created_at":"2026-12-01T08:00:00Z","expires_at":"2026-12-01T08:30:00Z",
"paid_at":null,"closed_at":null,"channel":{"provider":"wechat","trade_no":null},
"action":{"type":"qr_code","code_url":"weixin://wxpay/bizpayurl?pr=abc"},"failure":null,"metadata":{},
"automatic_refunds":[],"version":1,"a_field_paymux_adds_later":{"x":1}}`

func errorJSON(code string) string {
	return `{"error":{"code":"` + code + `","message":"m","request_id":"req-1","details":[{"field":"amount","message":"too small"}]}}`
}

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func createParams() *PaymentParams {
	return &PaymentParams{
		Amount: 1999, Currency: "CNY", Method: "wechat.native", Subject: "咖啡 <beans> & more",
		MerchantOrderNo: "ORDER-1001", NotifyURL: "https://shop.example.com/paymux/notify",
	}
}

// every attempt is signed anew (its own nonce) over the body as sent, with one Idempotency-Key
func assertResignedSameKey(t *testing.T, requests []seen) {
	t.Helper()
	key := requests[0].header.Get("Idempotency-Key")
	if !uuid4.MatchString(key) {
		t.Fatalf("Idempotency-Key %q is not a UUID v4", key)
	}
	nonces := map[string]bool{}
	for i, r := range requests {
		if !r.signatureOK {
			t.Errorf("attempt %d is not signed over what was sent", i+1)
		}
		if got := r.header.Get("Idempotency-Key"); got != key {
			t.Errorf("attempt %d has Idempotency-Key %q, the first %q", i+1, got, key)
		}
		nonces[nonceOf(t, r)] = true
		if string(r.body) != string(requests[0].body) {
			t.Errorf("attempt %d sent another body", i+1)
		}
	}
	if len(nonces) != len(requests) {
		t.Errorf("%d attempts used %d nonces: a retry reused a nonce", len(requests), len(nonces))
	}
}

func equalWaits(got, want []time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
