package webhook

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

func TestSignerProducesVerifiableHeaders(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"TaskCreate","webhookId":"w1"}`)
	h, err := TestSigner().Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	edPub, rsaPub := TestPublicKeys()
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
	s := TestSigner()
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

func TestTestKeysAreCopies(t *testing.T) {
	t.Parallel()
	a, b := TestSigner(), TestSigner()
	a.Ed25519[0] ^= 0xff
	if b.Ed25519[0] == a.Ed25519[0] {
		t.Fatal("TestSigner shares its Ed25519 key between calls")
	}
	p1, _ := TestPublicKeys()
	p1[0] ^= 0xff
	p2, _ := TestPublicKeys()
	if p1[0] == p2[0] {
		t.Fatal("TestPublicKeys shares its Ed25519 key between calls")
	}
	if !TestSigner().Ed25519.Public().(ed25519.PublicKey).Equal(p2) {
		t.Fatal("TestSigner and TestPublicKeys are not a pair")
	}
}
