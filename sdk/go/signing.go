package paymux

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

const scheme = "PAYMUX-HMAC-SHA256"

// stringToSign is docs/authentication.md §1: six lines, each ending in "\n". pathWithQuery is
// the path and, if there is one, "?" and the query exactly as sent.
func stringToSign(method, pathWithQuery, timestamp, nonce string, body []byte) string {
	digest := sha256.Sum256(body)
	return scheme + "\n" + method + "\n" + pathWithQuery + "\n" + timestamp + "\n" + nonce + "\n" +
		hex.EncodeToString(digest[:]) + "\n"
}

// hmacHex is lower-case hex HMAC-SHA256(key = secret, message).
func hmacHex(secret string, message []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(message)
	return hex.EncodeToString(mac.Sum(nil))
}

// authorization is the request's Authorization header, signed over the body bytes as sent.
func authorization(appID, secret, method, pathWithQuery, timestamp, nonce string, body []byte) string {
	signature := hmacHex(secret, []byte(stringToSign(method, pathWithQuery, timestamp, nonce, body)))
	return fmt.Sprintf(`%s app_id="%s",timestamp="%s",nonce="%s",signature="%s"`,
		scheme, appID, timestamp, nonce, signature)
}

// newNonce is a random 128-bit value in hex: new for every attempt.
func newNonce() string {
	return hex.EncodeToString(randomBytes(16))
}

// newIdempotencyKey is a random UUID version 4.
func newIdempotencyKey() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on the platforms Go supports; signing without it would be unsafe
		panic("paymux: crypto/rand failed: " + err.Error())
	}
	return b
}

// randomJitter is U[0, 1) from crypto/rand (math/rand's global source is not seeded in Go 1.19).
func randomJitter() float64 {
	b := randomBytes(8)
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return float64(n>>11) / (1 << 53)
}
