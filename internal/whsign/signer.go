// Package whsign signs webhook bodies as HighLevel does. It has no SDK
// imports so that ghltest can sign with it; package webhook re-exports it.
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

// Signer signs webhook payloads as HighLevel does. It lets users test their
// own receivers, and ghltest uses it to emit webhooks. Either key may be nil;
// a header is produced for each key that is set.
type Signer struct {
	// Ed25519 produces the X-GHL-Signature header.
	Ed25519 ed25519.PrivateKey
	// RSA produces the legacy X-WH-Signature header.
	RSA *rsa.PrivateKey
}

// Sign returns the signature headers for body. The body must be sent
// byte-for-byte as signed: a receiver verifies the raw bytes, so
// re-serializing the JSON breaks the signature.
func (s *Signer) Sign(body []byte) (http.Header, error) {
	if s == nil || (s.Ed25519 == nil && s.RSA == nil) {
		return nil, errors.New("webhook: Signer has no key")
	}
	h := make(http.Header, 2)
	if s.Ed25519 != nil {
		// ed25519.Sign panics on a malformed key; report it instead.
		if len(s.Ed25519) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("webhook: Ed25519 private key has %d bytes, want %d", len(s.Ed25519), ed25519.PrivateKeySize)
		}
		h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(s.Ed25519, body)))
	}
	if s.RSA != nil {
		sum := sha256.Sum256(body)
		sig, err := rsa.SignPKCS1v15(rand.Reader, s.RSA, crypto.SHA256, sum[:])
		if err != nil {
			return nil, fmt.Errorf("webhook: RSA signature: %w", err)
		}
		h.Set(HeaderLegacySignature, base64.StdEncoding.EncodeToString(sig))
	}
	return h, nil
}
