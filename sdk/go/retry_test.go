package paymux

// The retry rules (Client's doc) against the fake paymux: what is retried, how often, after
// which wait, with which headers.

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestA503IsRetriedWithTheSameKeyAndANewNonce(t *testing.T) {
	fake := newFakePaymux(t,
		answer{status: 503, body: errorJSON("busy")},
		answer{status: 201, body: paymentJSON},
	)
	client, waits := fake.client(2)
	payment, err := client.Payments.Create(context.Background(), createParams())
	if err != nil {
		t.Fatal(err)
	}
	if payment.ID != "pay_01KB0000000000000000000000" {
		t.Fatalf("payment %+v", payment)
	}
	requests := fake.requests()
	if len(requests) != 2 {
		t.Fatalf("%d attempts, want 2", len(requests))
	}
	assertResignedSameKey(t, requests)
	if len(*waits) != 1 || (*waits)[0] != 250*time.Millisecond {
		t.Fatalf("waits %v, want [250ms] (0.5 s × the least jitter, 0.5)", *waits)
	}
}

func TestWhatIsNotRetriedWithoutTheMarker(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		kind   ErrorKind
	}{
		{400, "bad_request", ErrInvalidRequest},
		{409, "payment_not_refundable", ErrConflict},
		{409, "idempotency_key_in_use", ErrIdempotency},
		{422, "validation_failed", ErrInvalidRequest},
		{429, "rate_limited", ErrRateLimit},
		{500, "internal_error", ErrAPI},
	} {
		fake := newFakePaymux(t, answer{status: c.status, body: errorJSON(c.code)}, answer{status: 201, body: paymentJSON})
		client, waits := fake.client(2)
		_, err := client.Payments.Create(context.Background(), createParams())
		if n := len(fake.requests()); n != 1 || len(*waits) != 0 {
			t.Errorf("%d %s: %d attempts and waits %v, want 1 and none", c.status, c.code, n, *waits)
		}
		var perr *Error
		if !errors.Is(err, c.kind) || !errors.As(err, &perr) {
			t.Fatalf("%d %s: error %v, want %s", c.status, c.code, err, c.kind)
		}
		if perr.Status != c.status || perr.Code != c.code || perr.RequestID != "req-1" || perr.Details[0]["field"] != "amount" {
			t.Errorf("%d %s: error fields %+v", c.status, c.code, perr)
		}
	}
}

func TestTheMarkerTrueRetriesAnyStatus(t *testing.T) {
	fake := newFakePaymux(t,
		answer{status: 409, header: map[string]string{"Paymux-Should-Retry": "true"}, body: errorJSON("idempotency_key_in_use")},
		answer{status: 201, body: paymentJSON},
	)
	client, _ := fake.client(2)
	if _, err := client.Payments.Create(context.Background(), createParams()); err != nil {
		t.Fatal(err)
	}
	requests := fake.requests()
	if len(requests) != 2 {
		t.Fatalf("%d attempts, want 2", len(requests))
	}
	assertResignedSameKey(t, requests)
}

func TestTheMarkerFalseIsNeverRetried(t *testing.T) {
	fake := newFakePaymux(t,
		answer{status: 503, header: map[string]string{"Paymux-Should-Retry": "false"}, body: errorJSON("channel_unavailable")},
		answer{status: 201, body: paymentJSON},
	)
	client, _ := fake.client(2)
	_, err := client.Payments.Create(context.Background(), createParams())
	if !errors.Is(err, ErrChannel) {
		t.Fatalf("error %v, want a channel error", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
}

func TestRetriesStopAfterMaxRetriesWithGrowingWaits(t *testing.T) {
	unavailable := answer{status: 502, body: errorJSON("channel_rejected")}
	fake := newFakePaymux(t, unavailable, unavailable, unavailable, unavailable)
	client, waits := fake.client(2)
	_, err := client.Payments.Get(context.Background(), "pay_01KB0000000000000000000000")
	if !errors.Is(err, ErrChannel) {
		t.Fatalf("error %v", err)
	}
	if n := len(fake.requests()); n != 3 {
		t.Fatalf("%d attempts, want 1 + 2 retries", n)
	}
	if want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}; !equalWaits(*waits, want) {
		t.Fatalf("waits %v, want %v", *waits, want)
	}
	if fake.requests()[0].header.Get("Idempotency-Key") != "" {
		t.Errorf("a GET carried an Idempotency-Key")
	}
}

func TestRetryAfterIsAFloorCappedAtFiveSeconds(t *testing.T) {
	fake := newFakePaymux(t,
		answer{status: 503, header: map[string]string{"Retry-After": "3"}, body: errorJSON("busy")},
		answer{status: 503, header: map[string]string{"Retry-After": "60"}, body: errorJSON("busy")},
		answer{status: 200, body: paymentJSON},
	)
	client, waits := fake.client(2)
	if _, err := client.Payments.Get(context.Background(), "pay_1"); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{3 * time.Second, 5 * time.Second}; !equalWaits(*waits, want) {
		t.Fatalf("waits %v, want %v", *waits, want)
	}
}

func TestBackoffIsHalfASecondDoublingUpToFiveTimesJitter(t *testing.T) {
	client := NewClient(testAppID, testSecret)
	for _, jitter := range []float64{0, 0.5, 0.999} {
		client.jitter = func() float64 { return jitter }
		for n, base := range []float64{0.5, 1, 2, 4, 5, 5, 5, 5, 5, 5} {
			want := time.Duration(base * (0.5 + 0.5*jitter) * float64(time.Second))
			if got := client.backoff(n+1, 0); got != want {
				t.Errorf("retry %d, jitter %v: %v, want %v", n+1, jitter, got, want)
			}
		}
	}
	for i := 0; i < 1000; i++ {
		if j := randomJitter(); j < 0 || j >= 1 {
			t.Fatalf("jitter %v is outside [0, 1)", j)
		}
	}
}

func TestAConnectionErrorIsRetried(t *testing.T) {
	fake := newFakePaymux(t, answer{hangUp: true}, answer{status: 201, body: paymentJSON})
	client, waits := fake.client(1)
	if _, err := client.Payments.Create(context.Background(), createParams()); err != nil {
		t.Fatal(err)
	}
	requests := fake.requests()
	if len(requests) != 2 || len(*waits) != 1 {
		t.Fatalf("%d attempts, waits %v", len(requests), *waits)
	}
	assertResignedSameKey(t, requests)
}

func TestAFreshConnectionClosedIsNotRetriedWithRetriesOff(t *testing.T) {
	fake := newFakePaymux(t, answer{hangUp: true}, answer{status: 201, body: paymentJSON})
	client, _ := fake.client(0)
	_, err := client.Payments.Create(context.Background(), createParams())
	var perr *Error
	if !errors.Is(err, ErrConnection) || !errors.As(err, &perr) || perr.Err == nil {
		t.Fatalf("error %v, want a connection error with its cause", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Fatalf("%d attempts, want 1: a new connection closed is not a stale socket", n)
	}
}

// A kept-alive connection closed before any byte of an answer (a frozen Lambda's stale socket)
// is retried once on a new connection even with retries off, re-signed, with the same key;
// and Go's Transport does not resend it by itself with the old nonce. For a GET, a POST with a
// body and a POST without one (each meets the Transport's resend rules differently).
func TestAStaleKeptAliveConnectionIsRetriedOnceWithRetriesOff(t *testing.T) {
	calls := map[string]func(*Client) (*Payment, error){
		"GET": func(c *Client) (*Payment, error) {
			return c.Payments.Get(context.Background(), "pay_01KB0000000000000000000000")
		},
		"POST with a body": func(c *Client) (*Payment, error) {
			return c.Payments.Create(context.Background(), createParams())
		},
		"POST without one": func(c *Client) (*Payment, error) {
			return c.Payments.Close(context.Background(), "pay_01KB0000000000000000000000")
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			fake := newFakePaymux(t,
				answer{status: 200, body: paymentJSON}, // opens the connection that is kept alive
				answer{hangUp: true},                   // the same connection: closed, no answer
				answer{status: 200, body: paymentJSON}, // the one retry, on a new connection
			)
			client, waits := fake.client(0)
			if _, err := client.Payments.Get(context.Background(), "pay_1"); err != nil {
				t.Fatal(err)
			}
			payment, err := call(client)
			if err != nil {
				t.Fatalf("the stale connection was not retried: %v", err)
			}
			if payment.Status != PaymentProcessing {
				t.Fatalf("payment %+v", payment)
			}
			requests := fake.requests()
			if len(requests) != 3 {
				t.Fatalf("%d requests, want 3 (the first call, the second and its one retry)", len(requests))
			}
			if requests[1].remote != requests[0].remote || requests[2].remote == requests[1].remote {
				t.Fatalf("connections %s %s %s: want the kept-alive one, then a new one",
					requests[0].remote, requests[1].remote, requests[2].remote)
			}
			if requests[1].method == "POST" {
				assertResignedSameKey(t, requests[1:])
			} else if nonceOf(t, requests[1]) == nonceOf(t, requests[2]) || !requests[2].signatureOK {
				t.Fatalf("the retry was not signed anew")
			}
			if len(*waits) != 0 {
				t.Errorf("waited %v before retrying a stale socket", *waits)
			}
		})
	}
}

func TestTheStaleRetryHappensOnlyOnce(t *testing.T) {
	fake := newFakePaymux(t,
		answer{status: 200, body: paymentJSON},
		answer{hangUp: true},
		answer{hangUp: true}, // the retry's new connection closed too: that is the answer
		answer{status: 201, body: paymentJSON},
	)
	client, _ := fake.client(0)
	ctx := context.Background()
	if _, err := client.Payments.Get(ctx, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Payments.Create(ctx, createParams()); !errors.Is(err, ErrConnection) {
		t.Fatalf("error %v, want a connection error", err)
	}
	if n := len(fake.requests()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestACancelledContextIsNotRetried(t *testing.T) {
	fake := newFakePaymux(t, answer{status: 503, body: errorJSON("busy")}, answer{status: 200, body: paymentJSON})
	client, _ := fake.client(2)
	ctx, cancel := context.WithCancel(context.Background())
	client.sleep = func(time.Duration, <-chan struct{}) bool { cancel(); return false }
	_, err := client.Payments.Get(ctx, "pay_1")
	if !errors.Is(err, ErrConnection) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want a connection error caused by the cancellation", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Fatalf("%d attempts after the caller gave up", n)
	}
}
