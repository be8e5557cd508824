// Package whsign signs webhook bodies as HighLevel does. It imports nothing
// of the SDK, so that both package webhook (whose Signer users call) and
// ghltest (which signs the webhooks it emits) use this one implementation.
package whsign

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
)

// Header names HighLevel signs webhooks with; package webhook documents them.
const (
	HeaderSignature       = "X-GHL-Signature"
	HeaderLegacySignature = "X-WH-Signature"
)

// Sign returns the signature headers of body: X-GHL-Signature when ed is
// set, X-WH-Signature when rk is set. At least one key must be set.
func Sign(ed ed25519.PrivateKey, rk *rsa.PrivateKey, body []byte) (http.Header, error) {
	if ed == nil && rk == nil {
		return nil, errors.New("webhook: Signer has no key")
	}
	h := make(http.Header, 2)
	if ed != nil {
		// ed25519.Sign panics on a malformed key; report it instead.
		if len(ed) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("webhook: Ed25519 private key has %d bytes, want %d", len(ed), ed25519.PrivateKeySize)
		}
		h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(ed, body)))
	}
	if rk != nil {
		sum := sha256.Sum256(body)
		sig, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, sum[:])
		if err != nil {
			return nil, fmt.Errorf("webhook: RSA signature: %w", err)
		}
		h.Set(HeaderLegacySignature, base64.StdEncoding.EncodeToString(sig))
	}
	return h, nil
}
