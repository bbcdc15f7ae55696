package paymux

import (
	"crypto/hmac"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a notification's or a return's timestamp may be from your clock.
const DefaultTolerance = 300 * time.Second

// ConstructEvent verifies a notification and decodes it. payload is the raw request body
// exactly as received (re-serialised JSON will not verify); header is its Paymux-Signature,
// `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each v1 being HMAC-SHA256(secret, "<t>.<body>").
// During a secret rotation paymux sends one v1 per valid secret: any match is enough. The
// error is an *Error of kind ErrSignatureVerification. Process each event id once: a retried
// notification carries the same id.
func ConstructEvent(payload []byte, header, secret string) (*Event, error) {
	return constructEvent(payload, header, secret, DefaultTolerance, time.Now())
}

// ConstructEventWithTolerance is ConstructEvent with another tolerance (0: no time check).
func ConstructEventWithTolerance(payload []byte, header, secret string, tolerance time.Duration) (*Event, error) {
	return constructEvent(payload, header, secret, tolerance, time.Now())
}

func constructEvent(payload []byte, header, secret string, tolerance time.Duration, now time.Time) (*Event, error) {
	timestamp, signatures, err := parseSignatureHeader(header)
	if err != nil {
		return nil, err
	}
	if outside(timestamp, now, tolerance) {
		return nil, signatureError("the timestamp is outside the tolerance of "+tolerance.String(), header)
	}
	expected := []byte(signPayload(secret, timestamp, payload))
	matched := false
	for _, signature := range signatures {
		// constant time, and every candidate is compared (no early exit on a match)
		if hmac.Equal(expected, []byte(signature)) {
			matched = true
		}
	}
	if !matched {
		return nil, signatureError("no signature matches the payload and secret", header)
	}
	var event Event
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, signatureError("the verified payload is not a JSON event: "+err.Error(), header)
	}
	return &event, nil
}

// GenerateTestHeader is the Paymux-Signature paymux would send for payload at timestamp: for
// testing your notification handler.
func GenerateTestHeader(payload []byte, secret string, timestamp time.Time) string {
	t := timestamp.Unix()
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + signPayload(secret, t, payload)
}

func signPayload(secret string, timestamp int64, payload []byte) string {
	message := append([]byte(strconv.FormatInt(timestamp, 10)+"."), payload...)
	return hmacHex(secret, message)
}

func parseSignatureHeader(header string) (int64, []string, error) {
	timestamp := int64(-1)
	var signatures []string
	for _, part := range strings.Split(header, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case key == "t" && allDigits(value):
			t, err := strconv.ParseInt(value, 10, 64)
			if err == nil {
				timestamp = t
			}
		case key == "v1" && value != "":
			signatures = append(signatures, value)
		}
	}
	if timestamp < 0 || len(signatures) == 0 {
		return 0, nil, signatureError("Paymux-Signature must carry t=… and at least one v1=…", header)
	}
	return timestamp, signatures, nil
}

// returnFields are the five values of the checkout's signed return, in the order signed.
var returnFields = []string{
	"paymux_session_id", "paymux_merchant_order_no", "paymux_payment_id", "paymux_status", "paymux_timestamp",
}

// Return is a verified return from the checkout (docs/checkout.md §3).
type Return struct {
	SessionID       string
	MerchantOrderNo string
	PaymentID       string
	Status          string // paid, expired or open (the payer went back without paying)
	Timestamp       int64
}

// VerifyReturn verifies the query string of the checkout's redirect to your return_url
// (r.URL.RawQuery) and gives its values. Show "paid" only for a verified, fresh
// Status == "paid"; fulfil the order from the checkout.session.completed notification (or
// CheckoutSessions.Get), never from the landing page alone. A tampered, unsigned or stale
// return is an *Error of kind ErrSignatureVerification.
func VerifyReturn(rawQuery, secret string) (*Return, error) {
	return verifyReturn(rawQuery, secret, DefaultTolerance, time.Now())
}

// VerifyReturnWithTolerance is VerifyReturn with another tolerance (0: no time check).
func VerifyReturnWithTolerance(rawQuery, secret string, tolerance time.Duration) (*Return, error) {
	return verifyReturn(rawQuery, secret, tolerance, time.Now())
}

func verifyReturn(rawQuery, secret string, tolerance time.Duration, now time.Time) (*Return, error) {
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, signatureError("the return's query does not parse: "+err.Error(), rawQuery)
	}
	pairs := make([]string, len(returnFields))
	for i, name := range returnFields {
		pairs[i] = name + "=" + values.Get(name)
	}
	signed := strings.Join(pairs, "&")
	expected := []byte(hmacHex(secret, []byte(signed)))
	given := []byte(strings.ToLower(values.Get("paymux_signature")))
	if !hmac.Equal(expected, given) {
		return nil, signatureError("the return signature does not match", signed)
	}
	stamp := values.Get("paymux_timestamp")
	timestamp, err := strconv.ParseInt(stamp, 10, 64)
	if !allDigits(stamp) || err != nil || outside(timestamp, now, tolerance) {
		return nil, signatureError("the return timestamp is outside the tolerance of "+tolerance.String(), signed)
	}
	return &Return{
		SessionID:       values.Get("paymux_session_id"),
		MerchantOrderNo: values.Get("paymux_merchant_order_no"),
		PaymentID:       values.Get("paymux_payment_id"),
		Status:          values.Get("paymux_status"),
		Timestamp:       timestamp,
	}, nil
}

func outside(timestamp int64, now time.Time, tolerance time.Duration) bool {
	if tolerance == 0 {
		return false
	}
	skew := now.Sub(time.Unix(timestamp, 0))
	return skew > tolerance || -skew > tolerance
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
