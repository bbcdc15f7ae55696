package paymux

import (
	"bytes"
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

// ConstructEventWithTolerance is ConstructEvent with another tolerance, compared to the
// nanosecond (300.5 s old is stale for 300 s). 0 turns the time check off (as Stripe's SDKs
// do); a negative tolerance is refused with an *Error of kind ErrInvalidRequest.
func ConstructEventWithTolerance(payload []byte, header, secret string, tolerance time.Duration) (*Event, error) {
	return constructEvent(payload, header, secret, tolerance, time.Now())
}

func constructEvent(payload []byte, header, secret string, tolerance time.Duration, now time.Time) (*Event, error) {
	if err := checkTolerance(tolerance); err != nil {
		return nil, err
	}
	if secret == "" { // an empty key would verify whatever was signed with an empty key
		return nil, signatureError("the secret is empty", header)
	}
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
	if trimmed := bytes.TrimSpace(payload); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, signatureError("the verified payload is not a JSON object", header)
	}
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
	timestamp, seenT := int64(-1), false
	var signatures []string
	for _, part := range strings.Split(header, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case key == "t" && seenT:
			// two t= would let a parser pick another one than was signed
			return 0, nil, signatureError("Paymux-Signature carries t= twice", header)
		case key == "t":
			seenT = true
			t, err := strconv.ParseInt(value, 10, 64)
			if allDigits(value) && err == nil {
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
// (r.URL.RawQuery; a leading "?" is stripped) and gives its values. Your own parameters are
// ignored whatever their form (";", a bad "%"); a paymux_ parameter that appears more than once
// is refused. Show "paid" only for a verified, fresh
// Status == "paid"; fulfil the order from the checkout.session.completed notification (or
// CheckoutSessions.Get), never from the landing page alone. A tampered, unsigned or stale
// return is an *Error of kind ErrSignatureVerification.
func VerifyReturn(rawQuery, secret string) (*Return, error) {
	return verifyReturn(rawQuery, secret, DefaultTolerance, time.Now())
}

// VerifyReturnWithTolerance is VerifyReturn with another tolerance (as for
// ConstructEventWithTolerance: 0 turns the time check off, a negative one is refused).
func VerifyReturnWithTolerance(rawQuery, secret string, tolerance time.Duration) (*Return, error) {
	return verifyReturn(rawQuery, secret, tolerance, time.Now())
}

func verifyReturn(rawQuery, secret string, tolerance time.Duration, now time.Time) (*Return, error) {
	if err := checkTolerance(tolerance); err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, signatureError("the secret is empty", rawQuery)
	}
	values, err := paymuxParameters(rawQuery)
	if err != nil {
		return nil, err
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

// paymuxParameters are the query's paymux_ parameters, form-decoded. Not url.ParseQuery: it
// refuses the whole query for a merchant's own ";" or bad "%", and keeps repeated names.
func paymuxParameters(rawQuery string) (url.Values, error) {
	values := url.Values{}
	for _, pair := range strings.Split(strings.TrimPrefix(rawQuery, "?"), "&") {
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil || !strings.HasPrefix(name, "paymux_") {
			if strings.HasPrefix(rawName, "paymux_") {
				return nil, signatureError("the return's "+rawName+" does not decode", rawQuery)
			}
			continue // the merchant's own parameter
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, signatureError("the return's "+name+" does not decode", rawQuery)
		}
		if values.Has(name) {
			return nil, signatureError("the return carries "+name+" more than once", rawQuery)
		}
		values.Set(name, value)
	}
	return values, nil
}

func checkTolerance(tolerance time.Duration) error {
	if tolerance < 0 {
		return &Error{Kind: ErrInvalidRequest, Message: "the tolerance must be ≥ 0 (0 turns the time check off), not " + tolerance.String()}
	}
	return nil
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
