package paymux

// Every case of the shared golden vectors (sdk/testvectors/*.json, computed by paymux's own
// code) against this SDK.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func loadVectors(t *testing.T, name string, into any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testvectors", name))
	if err != nil {
		t.Fatalf("the golden vectors: %v", err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func decodeBase64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRequestSigningVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name, Secret, Method, Path, Timestamp, Nonce, Signature, Authorization string
			AppID                                                                  string `json:"app_id"`
			BodyBase64                                                             string `json:"body_base64"`
			StringToSign                                                           string `json:"string_to_sign"`
		}
	}
	loadVectors(t, "request_signing.json", &file)
	if len(file.Cases) < 6 {
		t.Fatalf("only %d signing cases", len(file.Cases))
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			body := decodeBase64(t, c.BodyBase64)
			if got := stringToSign(c.Method, c.Path, c.Timestamp, c.Nonce, body); got != c.StringToSign {
				t.Errorf("string to sign\n got %q\nwant %q", got, c.StringToSign)
			}
			if got := hmacHex(c.Secret, []byte(c.StringToSign)); got != c.Signature {
				t.Errorf("signature %s, want %s", got, c.Signature)
			}
			if got := authorization(c.AppID, c.Secret, c.Method, c.Path, c.Timestamp, c.Nonce, body); got != c.Authorization {
				t.Errorf("authorization\n got %s\nwant %s", got, c.Authorization)
			}
		})
	}
}

type webhookVectors struct {
	Verify []struct {
		Name, Secret, Header string
		PayloadBase64        string `json:"payload_base64"`
		EventID              string `json:"event_id"`
		Now, Tolerance       int64
		Valid                bool
	}
	Generate []struct {
		Name, Secret, Header string
		PayloadBase64        string `json:"payload_base64"`
		Timestamp            int64
	}
}

func TestWebhookVerifyVectors(t *testing.T) {
	var file webhookVectors
	loadVectors(t, "webhooks.json", &file)
	if len(file.Verify) < 18 {
		t.Fatalf("only %d verify cases", len(file.Verify))
	}
	for _, c := range file.Verify {
		t.Run(c.Name, func(t *testing.T) {
			payload := decodeBase64(t, c.PayloadBase64)
			tolerance := time.Duration(c.Tolerance) * time.Second
			event, err := constructEvent(payload, c.Header, c.Secret, tolerance, time.Unix(c.Now, 0))
			if c.Valid {
				if err != nil {
					t.Fatalf("refused a valid notification: %v", err)
				}
				if event.ID != c.EventID || event.Type == "" || len(event.Data.Object) == 0 {
					t.Errorf("event %+v, want id %s", event, c.EventID)
				}
				if string(event.Raw) != string(payload) {
					t.Errorf("Raw is not the payload")
				}
				return
			}
			if event != nil || !errors.Is(err, ErrSignatureVerification) {
				t.Fatalf("accepted an invalid notification: %v %v", event, err)
			}
			var perr *Error
			if !errors.As(err, &perr) || perr.Header != c.Header {
				t.Errorf("the error does not carry the header: %#v", err)
			}
		})
	}
}

func TestGenerateTestHeaderVectors(t *testing.T) {
	var file webhookVectors
	loadVectors(t, "webhooks.json", &file)
	if len(file.Generate) < 2 {
		t.Fatalf("only %d generate cases", len(file.Generate))
	}
	for _, c := range file.Generate {
		t.Run(c.Name, func(t *testing.T) {
			payload := decodeBase64(t, c.PayloadBase64)
			header := GenerateTestHeader(payload, c.Secret, time.Unix(c.Timestamp, 0))
			if header != c.Header {
				t.Fatalf("header %s, want %s", header, c.Header)
			}
			if _, err := constructEvent(payload, header, c.Secret, DefaultTolerance, time.Unix(c.Timestamp, 0)); err != nil {
				t.Fatalf("the generated header does not verify: %v", err)
			}
		})
	}
}

func TestReturnVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name, Secret, Query string
			Now, Tolerance      int64
			Valid               bool
			Values              map[string]string
		}
	}
	loadVectors(t, "returns.json", &file)
	if len(file.Cases) < 12 {
		t.Fatalf("only %d return cases", len(file.Cases))
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			tolerance := time.Duration(c.Tolerance) * time.Second
			got, err := verifyReturn(c.Query, c.Secret, tolerance, time.Unix(c.Now, 0))
			if !c.Valid {
				if got != nil || !errors.Is(err, ErrSignatureVerification) {
					t.Fatalf("accepted an invalid return: %+v %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused a valid return: %v", err)
			}
			values := map[string]string{
				"paymux_session_id":        got.SessionID,
				"paymux_merchant_order_no": got.MerchantOrderNo,
				"paymux_payment_id":        got.PaymentID,
				"paymux_status":            got.Status,
				"paymux_timestamp":         strconv.FormatInt(got.Timestamp, 10),
			}
			for name, want := range c.Values {
				if values[name] != want {
					t.Errorf("%s = %q, want %q", name, values[name], want)
				}
			}
			if len(c.Values) != len(values) {
				t.Errorf("the vector has %d values, the SDK %d", len(c.Values), len(values))
			}
		})
	}
}

func TestConstructEventUsesTheClock(t *testing.T) {
	payload := []byte(`{"id":"evt_1","type":"payment.succeeded","created":1,"data":{"object":{"object":"payment","id":"pay_1","status":"SUCCESS","amount":1999}}}`)
	fresh := GenerateTestHeader(payload, "sk_x", time.Now())
	event, err := ConstructEvent(payload, fresh, "sk_x")
	if err != nil {
		t.Fatal(err)
	}
	payment, err := event.Payment()
	if err != nil || payment.ID != "pay_1" || payment.Amount != 1999 {
		t.Fatalf("the event's payment: %+v %v", payment, err)
	}
	if _, err := event.Refund(); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("a payment decoded as a refund: %v", err)
	}
	stale := GenerateTestHeader(payload, "sk_x", time.Now().Add(-301*time.Second))
	if _, err := ConstructEvent(payload, stale, "sk_x"); !errors.Is(err, ErrSignatureVerification) {
		t.Fatalf("a 301 s old notification verified: %v", err)
	}
	if _, err := ConstructEventWithTolerance(payload, stale, "sk_x", 10*time.Minute); err != nil {
		t.Fatalf("a wider tolerance refused it: %v", err)
	}
}
