package paymux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

const maxAnswerBytes = 16 << 20

// RequestOption adjusts one call.
type RequestOption func(*requestOptions)

type requestOptions struct {
	idempotencyKey string
}

// WithIdempotencyKey sends the given Idempotency-Key (1–255 printable ASCII characters) instead
// of a random one: use your own when you retry a POST yourself, e.g. after a crash.
func WithIdempotencyKey(key string) RequestOption {
	return func(o *requestOptions) { o.idempotencyKey = key }
}

// outcome is one attempt: an answer, or a transport error.
type outcome struct {
	status int
	header http.Header
	body   []byte
	err    error
	// stale: a kept-alive connection that was closed before any byte of an answer came back
	stale bool
}

// retryable: connection errors, 502/503/504, and whatever paymux marks with
// Paymux-Should-Retry (which overrides the status either way).
func (o outcome) retryable() bool {
	if o.err != nil {
		return true
	}
	switch o.header.Get("Paymux-Should-Retry") {
	case "true":
		return true
	case "false":
		return false
	}
	return o.status == http.StatusBadGateway || o.status == http.StatusServiceUnavailable ||
		o.status == http.StatusGatewayTimeout
}

// retryAfter is the answer's Retry-After in seconds (0 when absent or not a number).
func (o outcome) retryAfter() time.Duration {
	if o.header == nil {
		return 0
	}
	seconds, err := strconv.ParseFloat(o.header.Get("Retry-After"), 64)
	if err != nil || seconds <= 0 {
		return 0
	}
	return time.Duration(seconds * float64(time.Second))
}

// call sends one API request (params JSON-encoded when not nil) and decodes the answer into out.
func (c *Client) call(ctx context.Context, method, path string, params, out any, options []RequestOption) error {
	body, err := encodeParams(params)
	if err != nil {
		return &Error{Kind: ErrInvalidRequest, Message: "cannot encode the parameters: " + err.Error(), Err: err}
	}
	target, err := url.Parse(c.baseURL + path)
	if err == nil && (target.Scheme != "https" && target.Scheme != "http" || target.Host == "") {
		err = errors.New("not an http(s) URL: " + c.baseURL)
	}
	if err != nil {
		return &Error{Kind: ErrInvalidRequest, Message: "bad base URL: " + err.Error(), Err: err}
	}
	var chosen requestOptions
	for _, option := range options {
		option(&chosen)
	}
	key := chosen.idempotencyKey
	if method == http.MethodPost && key == "" {
		key = newIdempotencyKey() // one key for the request and all its retries
	}
	result, err := c.send(ctx, method, target, body, key)
	if err != nil {
		return err
	}
	if result.status >= 300 {
		return errorFromAnswer(result.status, result.body, result.header)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(result.body, out); err != nil {
		return &Error{Kind: ErrAPI, Status: result.status, Message: "the answer is not the expected JSON: " + err.Error(), Err: err}
	}
	return nil
}

// send makes the attempts: the retry rules of Client.
func (c *Client) send(ctx context.Context, method string, target *url.URL, body []byte, key string) (outcome, error) {
	retries, staleRetried := 0, false
	for {
		result := c.attempt(ctx, method, target, body, key)
		if result.err == nil && result.status < 300 {
			return result, nil
		}
		if ctx.Err() != nil { // the caller gave up: never retry past that
			return result, connectionError(ctx.Err())
		}
		switch {
		case result.stale && !staleRetried:
			// a kept-alive socket closed before any answer (stale, as after a frozen Lambda): once
			// more on a fresh connection, even with retries off; the key makes a POST safe to resend
			staleRetried = true
			if c.ownsTransport { // never a caller's (perhaps shared, perhaps the default) transport
				c.httpClient.CloseIdleConnections()
			}
		case retries < c.maxRetries && result.retryable():
			retries++
			if !c.sleep(c.backoff(retries, result.retryAfter()), ctx.Done()) {
				return result, connectionError(ctx.Err())
			}
		case result.err != nil:
			return result, connectionError(result.err)
		default:
			return result, nil
		}
	}
}

// backoff before the n-th retry: min(0.5·2^(n−1), 5) s × U[0.5, 1], at least Retry-After
// (capped at 5 s).
func (c *Client) backoff(n int, retryAfter time.Duration) time.Duration {
	const initial, most = 500 * time.Millisecond, 5 * time.Second
	wait := most
	if n < 8 {
		wait = initial << (n - 1)
	}
	if wait > most {
		wait = most
	}
	wait = time.Duration(float64(wait) * (0.5 + 0.5*c.jitter()))
	if retryAfter > most {
		retryAfter = most
	}
	if retryAfter > wait {
		wait = retryAfter
	}
	return wait
}

// attempt is one signed request. Each attempt gets its own timestamp and nonce.
func (c *Client) attempt(ctx context.Context, method string, target *url.URL, body []byte, key string) outcome {
	if c.attemptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.attemptTimeout)
		defer cancel() // after the answer has been read, below
	}
	var reused, answered atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(info httptrace.GotConnInfo) { reused.Store(info.Reused) },
		GotFirstResponseByte: func() { answered.Store(true) },
	}
	request, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, target.String(), nil)
	if err != nil {
		return outcome{err: err}
	}
	// Go's Transport resends by itself a request it deems idempotent (GET, or an entry
	// "Idempotency-Key" in its Header map) that has no body or a GetBody, when a kept-alive
	// connection dies under it: with the same headers, so the same nonce, which paymux refuses
	// once it has seen it. So no request qualifies (a GET has a body without GetBody, sent as
	// nothing; the key is not under its canonical name), and every resend is this SDK's,
	// signed anew.
	switch {
	case len(body) > 0:
		request.Body = io.NopCloser(bytes.NewReader(body))
		request.ContentLength = int64(len(body))
	case method == http.MethodGet:
		request.Body = io.NopCloser(bytes.NewReader(nil))
	default:
		request.Body = http.NoBody // Content-Length: 0
	}
	request.GetBody = nil
	c.setHeaders(request.Header, method, target.RequestURI(), body, key)
	answer, err := c.httpClient.Do(request)
	if err != nil {
		return outcome{err: err, stale: reused.Load() && !answered.Load() && !isTimeout(err)}
	}
	defer answer.Body.Close()
	data, err := io.ReadAll(io.LimitReader(answer.Body, maxAnswerBytes))
	if err != nil {
		return outcome{err: err}
	}
	return outcome{status: answer.StatusCode, header: answer.Header, body: data}
}

func (c *Client) setHeaders(header http.Header, method, pathWithQuery string, body []byte, key string) {
	timestamp := strconv.FormatInt(c.now().Unix(), 10)
	header.Set("Authorization", authorization(c.appID, c.secret.value, method, pathWithQuery, timestamp, newNonce(), body))
	header.Set("User-Agent", c.userAgent)
	header.Set("Accept", "application/json")
	if len(body) > 0 {
		header.Set("Content-Type", "application/json")
	}
	if key != "" {
		header["idempotency-key"] = []string{key} // see attempt: not the canonical name
	}
}

func isTimeout(err error) bool {
	var timeout net.Error
	return errors.As(err, &timeout) && timeout.Timeout()
}

// encodeParams is the body as sent (and signed): compact JSON without HTML escaping.
func encodeParams(params any) ([]byte, error) {
	if params == nil {
		return nil, nil
	}
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(params); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buffer.Bytes(), "\n"), nil
}

func sleepUnlessDone(d time.Duration, done <-chan struct{}) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}
