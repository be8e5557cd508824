package webhook

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
)

func TestSignerProducesVerifiableHeaders(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"TaskCreate","webhookId":"w1"}`)
	h, err := testSigner().Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	edPub, rsaPub := ghltest.WebhookPublicKeys()
	sig, err := base64.StdEncoding.DecodeString(h.Get("X-GHL-Signature"))
	if err != nil || !ed25519.Verify(edPub, body, sig) {
		t.Fatalf("X-GHL-Signature %q does not verify (%v)", h.Get("X-GHL-Signature"), err)
	}
	sig, err = base64.StdEncoding.DecodeString(h.Get("X-WH-Signature"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if err := rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("X-WH-Signature does not verify: %v", err)
	}
}

func TestSignerSchemes(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"NoteCreate"}`)
	s := testSigner()
	edOnly, err := (&Signer{Ed25519: s.Ed25519}).Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(edOnly) != 1 || edOnly.Get("X-GHL-Signature") == "" {
		t.Fatalf("Ed25519-only headers = %v", edOnly)
	}
	// Ed25519 is deterministic: the same body gives the same signature.
	again, _ := (&Signer{Ed25519: s.Ed25519}).Sign(body)
	if again.Get("X-GHL-Signature") != edOnly.Get("X-GHL-Signature") {
		t.Fatal("Ed25519 signature not deterministic")
	}
	rsaOnly, err := (&Signer{RSA: s.RSA}).Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(rsaOnly) != 1 || rsaOnly.Get("X-WH-Signature") == "" {
		t.Fatalf("RSA-only headers = %v", rsaOnly)
	}
	for name, bad := range map[string]*Signer{
		"nil":         nil,
		"no key":      {},
		"short key":   {Ed25519: s.Ed25519[:32]},
		"empty slice": {Ed25519: ed25519.PrivateKey{}},
	} {
		if h, err := bad.Sign(body); err == nil {
			t.Errorf("%s: Sign = %v, want an error", name, h)
		}
	}
}
