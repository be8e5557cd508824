package webhook

import (
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"net/http"

	"github.com/ghlkit/ghl/internal/whsign"
)

// Header names HighLevel signs webhooks with.
const (
	// HeaderSignature carries the base64 (standard encoding) Ed25519
	// signature of the raw request body: HighLevel's current scheme.
	HeaderSignature = "X-GHL-Signature"
	// HeaderLegacySignature carries the base64 (standard encoding)
	// RSA-SHA256 PKCS#1 v1.5 signature of the raw request body: HighLevel's
	// legacy scheme, deprecated on 2026-07-01.
	HeaderLegacySignature = "X-WH-Signature"
)

// Signer signs webhook payloads as HighLevel does, so users can test their
// own receivers. Either key may be nil; Sign produces a header for each key
// that is set:
//
//	h, err := (&webhook.Signer{Ed25519: priv}).Sign(body)
//
// In tests, ghltest.WebhookPrivateKeys gives a published key pair that
// ghltest's fake server also signs with; never trust it in production.
type Signer struct {
	// Ed25519 produces the X-GHL-Signature header.
	Ed25519 ed25519.PrivateKey
	// RSA produces the legacy X-WH-Signature header.
	RSA *rsa.PrivateKey
}

// Sign returns the signature headers for body. The body must then be sent
// byte for byte as signed: a receiver verifies the raw bytes, so
// re-serializing the JSON breaks the signature.
func (s *Signer) Sign(body []byte) (http.Header, error) {
	if s == nil {
		return nil, errors.New("webhook: nil Signer")
	}
	return whsign.Sign(s.Ed25519, s.RSA, body)
}
