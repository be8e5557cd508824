package webhook

import (
	"crypto/ed25519"
	"crypto/rsa"

	"github.com/ghlkit/ghl/internal/whsign"
)

// Header names HighLevel signs webhooks with.
const (
	// HeaderSignature carries the base64 (standard encoding) Ed25519
	// signature of the raw request body: HighLevel's current scheme.
	HeaderSignature = whsign.HeaderSignature
	// HeaderLegacySignature carries the base64 (standard encoding)
	// RSA-SHA256 PKCS#1 v1.5 signature of the raw request body: HighLevel's
	// legacy scheme, deprecated on 2026-07-01.
	HeaderLegacySignature = whsign.HeaderLegacySignature
)

// Signer signs webhook payloads as HighLevel does. It lets users test their
// own receivers, and ghltest uses it to emit webhooks. Either key may be nil;
// Sign produces a header for each key that is set:
//
//	h, err := (&webhook.Signer{Ed25519: priv}).Sign(body)
//
// The body must then be sent byte for byte as signed.
type Signer = whsign.Signer

// TestSigner returns a Signer holding a fixed, published, test-only Ed25519
// and RSA key pair, so tests can produce webhooks that a Verifier built from
// TestPublicKeys accepts. ghltest signs its webhooks with these keys by
// default. The private keys are in this module's source code for anyone to
// read: never trust them in production.
func TestSigner() *Signer { return whsign.TestSigner() }

// TestPublicKeys returns the public halves of TestSigner's keys, to configure
// a Verifier in tests. Never configure a production Verifier with them.
func TestPublicKeys() (ed25519.PublicKey, *rsa.PublicKey) { return whsign.TestPublicKeys() }
