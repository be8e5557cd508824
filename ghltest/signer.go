package ghltest

import (
	"crypto/ed25519"
	"crypto/rsa"

	"github.com/ghlkit/ghl/internal/whsign"
)

// defaultSigner signs emitted webhooks with the published test keys, the same
// ones as webhook.TestSigner, so a Verifier built from WebhookPublicKeys (or
// webhook.TestPublicKeys) accepts them.
func defaultSigner() WebhookSigner { return whsign.TestSigner() }

// WebhookPublicKeys returns the public keys that verify the webhooks the
// server signs by default: Ed25519 for X-GHL-Signature and RSA for the legacy
// X-WH-Signature. They equal webhook.TestPublicKeys. Their private halves are
// published in this module: trust them only in tests.
func WebhookPublicKeys() (ed25519.PublicKey, *rsa.PublicKey) { return whsign.TestPublicKeys() }
