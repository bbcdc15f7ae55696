package paymux

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ErrorKind classifies an *Error. Each kind is itself an error, so that
//
//	errors.Is(err, paymux.ErrNotFound)
//
// tells what went wrong, and errors.As(err, &perr) (perr *paymux.Error) gives the details.
type ErrorKind string

func (k ErrorKind) Error() string { return "paymux: " + string(k) }

// The kinds, by HTTP status: 3xx (paymux's API never redirects) ErrAPI; 400, 405, 406, 410, 413, 415, 422 (and any other 4xx)
// ErrInvalidRequest; 401 and 403 ErrAuthentication; 404 ErrNotFound; 409 ErrConflict, or
// ErrIdempotency for the idempotency_* codes; 429 ErrRateLimit; 5xx ErrChannel for the
// channel_* codes, else ErrAPI. No answer at all: ErrConnection. A notification or return
// that does not verify: ErrSignatureVerification.
const (
	ErrInvalidRequest        ErrorKind = "invalid request"
	ErrAuthentication        ErrorKind = "authentication failed"
	ErrNotFound              ErrorKind = "not found"
	ErrConflict              ErrorKind = "conflict"
	ErrIdempotency           ErrorKind = "idempotency conflict"
	ErrRateLimit             ErrorKind = "rate limited"
	ErrAPI                   ErrorKind = "api error"
	ErrChannel               ErrorKind = "channel error"
	ErrConnection            ErrorKind = "connection error"
	ErrSignatureVerification ErrorKind = "signature verification failed"
)

// Error is every error the SDK returns.
type Error struct {
	Kind ErrorKind
	// Status is the HTTP status (0 when there was no answer).
	Status int
	// Code is paymux's error.code, e.g. "validation_failed" or "payment_not_refundable".
	Code    string
	Message string
	// RequestID identifies the request in paymux's logs: quote it to support.
	RequestID string
	// Details are paymux's error.details, e.g. [{"field": "amount", "message": "…"}].
	Details []map[string]any
	// Header is what failed to verify (ErrSignatureVerification): the Paymux-Signature, or
	// the string a return signs.
	Header string
	// Err is the underlying cause (ErrConnection).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%d %s)", e.Status, e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

// Is makes errors.Is(err, paymux.ErrNotFound) and the like work.
func (e *Error) Is(target error) bool {
	kind, ok := target.(ErrorKind)
	return ok && kind == e.Kind
}

// Unwrap gives the cause of a connection error.
func (e *Error) Unwrap() error { return e.Err }

// errorFromAnswer reads paymux's {"error": {code, message, details, request_id}}; an answer that
// is not one (a proxy's page) still becomes an *Error by its status, with the code
// "http_<status>". The request id is the body's, else the apigw-requestid header's (what API
// Gateway sends with every answer, its own error pages included).
func errorFromAnswer(status int, body []byte, header http.Header) *Error {
	var envelope struct {
		Error struct {
			Code      string           `json:"code"`
			Message   string           `json:"message"`
			RequestID string           `json:"request_id"`
			Details   []map[string]any `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &envelope) // not JSON: the status says enough
	e := &Error{
		Status:    status,
		Code:      envelope.Error.Code,
		Message:   envelope.Error.Message,
		RequestID: envelope.Error.RequestID,
		Details:   envelope.Error.Details,
	}
	if e.Code == "" {
		e.Code = "http_" + strconv.Itoa(status)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if e.RequestID == "" {
		e.RequestID = header.Get("Apigw-Requestid")
	}
	e.Kind = kindOf(status, e.Code)
	return e
}

func kindOf(status int, code string) ErrorKind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrAuthentication
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict && strings.HasPrefix(code, "idempotency_"):
		return ErrIdempotency
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusTooManyRequests:
		return ErrRateLimit
	case status >= 500 && strings.HasPrefix(code, "channel_"):
		return ErrChannel
	case status >= 500 || status < 400:
		return ErrAPI
	default:
		return ErrInvalidRequest
	}
}

func connectionError(err error) *Error {
	return &Error{Kind: ErrConnection, Message: err.Error(), Err: err}
}

func signatureError(message, header string) *Error {
	return &Error{Kind: ErrSignatureVerification, Message: message, Header: header}
}
