package webhook

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
)

// testEd25519PublicKeyPEM returns the test Ed25519 public key as PEM.
func testEd25519PublicKeyPEM(t testing.TB) string {
	t.Helper()
	pub, _ := ghltest.WebhookPublicKeys()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestParseEd25519PublicKey(t *testing.T) {
	t.Parallel()
	pub, rsaPub := ghltest.WebhookPublicKeys()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, err := x509.MarshalPKIXPublicKey(rsaPub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := testEd25519PublicKeyPEM(t)
	good := map[string]string{
		"PEM":                 pemKey,
		"PEM with spaces":     "\n  " + pemKey + "\n\n",
		"base64 raw":          base64.StdEncoding.EncodeToString(pub),
		"base64 raw unpadded": base64.RawStdEncoding.EncodeToString(pub),
		"base64 DER":          base64.StdEncoding.EncodeToString(der),
	}
	for name, s := range good {
		got, err := ParseEd25519PublicKey(s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !got.Equal(pub) {
			t.Errorf("%s: wrong key", name)
		}
	}
	bad := map[string]string{
		"empty":               "",
		"garbage":             "not a key",
		"RSA PEM":             HighLevelRSAPublicKeyPEM,
		"RSA DER":             base64.StdEncoding.EncodeToString(rsaDER),
		"private key PEM":     privateKeyPEM(t, testSigner().Ed25519),
		"31 bytes":            base64.StdEncoding.EncodeToString(pub[:31]),
		"broken PEM":          "-----BEGIN PUBLIC KEY-----\nAAAA",
		"data after PEM":      pemKey + "trailing",
		"two PEM blocks":      pemKey + pemKey,
		"PEM with wrong type": strings.ReplaceAll(pemKey, "PUBLIC KEY", "CERTIFICATE"),
	}
	for name, s := range bad {
		if k, err := ParseEd25519PublicKey(s); err == nil {
			t.Errorf("%s: accepted as %x", name, []byte(k))
		}
	}
	var _ ed25519.PublicKey = pub
}

func TestParseRSAPublicKey(t *testing.T) {
	t.Parallel()
	_, rsaPub := ghltest.WebhookPublicKeys()
	pkix, err := x509.MarshalPKIXPublicKey(rsaPub)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"PKIX":   string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})),
		"PKCS#1": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rsaPub)})),
	}
	for name, s := range forms {
		k, err := ParseRSAPublicKey(s)
		if err != nil || !k.Equal(rsaPub) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range map[string]string{
		"empty":       "",
		"Ed25519 PEM": testEd25519PublicKeyPEM(t),
		"private key": privateKeyPEM(t, testSigner().RSA),
		"trailing":    forms["PKIX"] + "x",
	} {
		if _, err := ParseRSAPublicKey(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	hl := HighLevelRSAPublicKey()
	if hl.N.BitLen() != 4096 || hl.E != 65537 {
		t.Fatalf("HighLevel's key: %d bits, e=%d", hl.N.BitLen(), hl.E)
	}
	if HighLevelRSAPublicKey() == hl {
		t.Fatal("HighLevelRSAPublicKey returns a shared key")
	}
}

// privateKeyPEM encodes a private key as PKCS#8 PEM: a parser of public keys
// must refuse it.
func privateKeyPEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
