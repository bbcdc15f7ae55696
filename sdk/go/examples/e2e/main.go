// Command e2e walks one payment through a paymux with the Go SDK: create a wechat.native
// payment, pay it in the WeChat Pay sandbox, wait for SUCCESS, verify the notification paymux
// really sent, refund 500 fen, read the refund back and find the payment by its order number.
// It prints one JSON line of what it saw. tests/sdk/test_go_sdk.py runs it against the SDK
// world (tests/sdk/world.py documents the environment it reads).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	paymux "github.com/paymux/paymux-go"
)

type received struct {
	EventID    string `json:"event_id"`
	Signature  string `json:"signature"`
	BodyBase64 string `json:"body_base64"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := os.Getenv
	client := paymux.NewClient(env("PAYMUX_APP_ID"), env("PAYMUX_SECRET")) // base URL: $PAYMUX_BASE_URL
	prefix := env("PAYMUX_ORDER_PREFIX")
	payment, err := client.Payments.Create(ctx, &paymux.PaymentParams{
		Amount: 1999, Currency: "CNY", Method: "wechat.native", Subject: "Coffee",
		MerchantOrderNo: prefix + "-1", NotifyURL: env("PAYMUX_NOTIFY_URL"),
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := payInSandbox(env("PAYMUX_SANDBOX_URL"), payment.CodeURL()); err != nil {
		return err
	}
	paid, err := waitFor(ctx, func() (bool, error) {
		p, err := client.Payments.Get(ctx, payment.ID)
		return err == nil && p.Status == paymux.PaymentSucceeded, err
	})
	if err != nil || !paid {
		return fmt.Errorf("the payment did not succeed: %v", err)
	}
	event, err := verifiedNotification(ctx, env("PAYMUX_RECEIVER_URL"), env("PAYMUX_SECRET"), payment.ID)
	if err != nil {
		return err
	}
	notified, err := event.Payment()
	if err != nil {
		return err
	}
	refund, err := client.Refunds.Create(ctx, payment.ID, &paymux.RefundParams{Amount: 500, MerchantRefundNo: prefix + "-R1"})
	if err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	fetched, err := client.Refunds.Get(ctx, refund.ID)
	if err != nil {
		return fmt.Errorf("get refund: %w", err)
	}
	found, err := client.Payments.Find(ctx, payment.MerchantOrderNo)
	if err != nil {
		return fmt.Errorf("find: %w", err)
	}
	_, missing := client.Payments.Find(ctx, prefix+"-no-such-order")
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"payment_id": payment.ID, "merchant_order_no": payment.MerchantOrderNo,
		"event_id": event.ID, "event_type": event.Type, "event_payment_status": notified.Status,
		"refund_id": refund.ID, "refund_status": fetched.Status, "refund_amount": fetched.Amount,
		"found_id": found.ID, "found_status": found.Status, "amount_refundable": found.AmountRefundable,
		"missing_is_not_found": errors.Is(missing, paymux.ErrNotFound),
	})
}

// payInSandbox is the payer scanning weixin://wxpay/bizpayurl?pr=<pr> and paying.
func payInSandbox(sandboxURL, codeURL string) error {
	code, err := url.Parse(codeURL)
	if err != nil || code.Query().Get("pr") == "" {
		return fmt.Errorf("not a sandbox code_url: %q", codeURL)
	}
	answer, err := http.PostForm(sandboxURL+"/sandbox/pay", url.Values{"code": {code.Query().Get("pr")}, "action": {"pay"}})
	if err != nil {
		return err
	}
	answer.Body.Close()
	if answer.StatusCode >= 300 {
		return fmt.Errorf("the sandbox answered %d", answer.StatusCode)
	}
	return nil
}

// verifiedNotification is the payment's notification as the receiver got it, verified with
// the SDK; a copy with one byte changed must not verify.
func verifiedNotification(ctx context.Context, receiverURL, secret, paymentID string) (*paymux.Event, error) {
	var event *paymux.Event
	_, err := waitFor(ctx, func() (bool, error) {
		answer, err := http.Get(receiverURL + "/received")
		if err != nil {
			return false, err
		}
		defer answer.Body.Close()
		var notes []received
		if err := json.NewDecoder(answer.Body).Decode(&notes); err != nil {
			return false, err
		}
		for _, note := range notes {
			body, err := base64.StdEncoding.DecodeString(note.BodyBase64)
			if err != nil || !strings.Contains(string(body), paymentID) {
				continue
			}
			tampered := strings.Replace(string(body), paymentID, paymentID+"x", 1)
			if _, err := paymux.ConstructEvent([]byte(tampered), note.Signature, secret); !errors.Is(err, paymux.ErrSignatureVerification) {
				return false, fmt.Errorf("a tampered notification verified: %v", err)
			}
			if event, err = paymux.ConstructEvent(body, note.Signature, secret); err != nil {
				return false, err
			}
			return true, nil
		}
		return false, nil
	})
	if err == nil && event == nil {
		err = errors.New("no notification for the payment arrived")
	}
	return event, err
}

// waitFor polls check every 200 ms until it is true, fails, or ctx ends.
func waitFor(ctx context.Context, check func() (bool, error)) (bool, error) {
	for {
		done, err := check()
		if done || err != nil {
			return done, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
