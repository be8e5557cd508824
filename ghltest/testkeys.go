package ghltest

// DO NOT USE THESE KEYS IN PRODUCTION.
//
// The private keys below are published on purpose, in source code anyone can
// read: they exist only so that tests (yours, ghltest's, ours) can produce
// webhooks that a webhook.Verifier configured with WebhookPublicKeys accepts.
// Anyone can forge a signature with them. Never configure a production
// Verifier with WebhookPublicKeys; use the public keys HighLevel gives you.
//
// Generated once with:
//
//	openssl genpkey -algorithm ed25519
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"sync"

	"github.com/ghlkit/ghl/internal/whsign"
)

// testEd25519PrivateKeyPEM is the PUBLISHED, TEST-ONLY Ed25519 private key (PKCS#8).
const testEd25519PrivateKeyPEM = `
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIChcIveFug5scMNzs0V6BGIhY+ILz3MxloOLnmk/+ual
-----END PRIVATE KEY-----
`

// testRSAPrivateKeyPEM is the PUBLISHED, TEST-ONLY RSA-2048 private key (PKCS#8).
const testRSAPrivateKeyPEM = `
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCivt5hv6RqxVEI
xJtoh0mcFk05rWd5JZDE5NjRFDoTN35xrArSjmH9yEcREkhkufxAhUMd/KNojcbB
UJT6VeuzIlv61X71cPqvCNIPzJkP3k9mhSPcjUfAWdmS2zZfYEKCB3he6mz6qTev
mm6HynX7U0Ii+Md/Zlv8Kha661o5ONCKDT1mHyfNB8X16asK6NG9SosLZNJ67seo
KR+06MLtXVDe4GDuMMhfq+fGx+CPheoJiLQrS6pCfkBihzcdxhYxRcpdgn1D3q/W
Detk6SdgXL7dxZ6EkcWoq+7vzVdXNiE3nCrCuCfOYZqk679GKzykjrnplx+ypL5E
gH0DAr9zAgMBAAECggEAKIeCGDPCvXhQOu/DiB+Q/Fctejyt9SSezfnz6PWxlNGQ
IrzmoRMmYi47TIwSDUun/2VwlooxI7uTENeBkmpNXXokD+6VRIiTVX3L2nVodOQ3
P9/OU4G3qbZ2kbUX8F6nkXxMxM56v13e6VN7TUPlZ+aPJOhxvk9+fuj4aipseK1A
uFWYYi8Xiw7/xzsMIkMBC25xC9+i+IS3QPu/E7TkJrCnY7Pe2W/VTmnMz75+lqQU
X3kIV5MMGysbAfpP9z47gSm5PHEFysaw3hvJrxwmYuFSZ2L9CKKEyUd5U1aaxSkt
PLnIVcAquRor1gCfBTE640wy9HQhAWAkBYXwxPOkWQKBgQDU8yGifvc5FyRZb01N
K9d4EB+8GfQDlFOuZsDkOiI1qByZ5ya11RvTyuiBg5Fzm+vl5iu+SPs9bvJWRUXs
S2GuCMM4/ppGKg4X2EHGdHs99VgHuibJ57SuqGTGsc7JbBQ6rcdRG3KZ91Q8hXTd
ek0VCZE9mJFFsjdUDPfVZRLKFwKBgQDDpYCyy47dH/mvFzdpCNHl/Yv8sTbaeWDU
zzvXipY+SS1bmFq/c+OdCZn8mQWroMHLPSS3Qj1LRadkdVq8F6vPdJyRXj6HIWYg
nRZSyfi4ElKSpNx7nsTBXMkt0DrIxgGRHiLCGfRwGLJo1VAPfZgaU88RnWCtkqzL
BCo9geq7BQKBgBA6865R5P/Z7rBOVmLyW3rQJ8sLY1i+fl5FgKAkeiUCyiNExeOH
+ZX72hq872ITWThtgZoAL/3vrdK7dufamvhLvK1kYlfErsxMdD7u89G2GF6GZpxu
54uEVCH8vVkGvsf2JMHeyK5JdociWNTklGltED/UmAXq3mKullkSWgtDAoGBAK2f
wobpfu9d4QcxY0sjOKMST5kA690WuoghIMo3gv3jkw0mN+KPxf8m9jDk29Nj5pem
u16muh6Cwfq06sDhgOeqZQfcy0DAsxFeVuFBvCgemojpJYHPdGzlGuQ9Vu22Ss2u
IMqAnhyczjealmIo40L5/Vl0gMeI0y+XkqTjFpzBAoGBAKeu1qQfoesewOcrWIpg
N7Rms2vQtJxxT/CE1FdPpuKiI1xKat8q3IM0Isau4wP22XkXDP8T+OLMpUKvWPqe
a6Y5dHdZPUOc4ml3fee8ipv7EmxucZQeFOY79XkovWwFAgPBjLkpA+1m9fe7qPoa
7kBrVWCBV0L6o7cFJ3sB4Tj7
-----END PRIVATE KEY-----
`

// testKeys parses the embedded test keys once, on first use, so that
// importing the package costs nothing.
var testKeys = sync.OnceValues(func() (ed25519.PrivateKey, *rsa.PrivateKey) {
	edKey, err := parsePKCS8(testEd25519PrivateKeyPEM)
	if err != nil {
		panic(err)
	}
	rsaKey, err := parsePKCS8(testRSAPrivateKeyPEM)
	if err != nil {
		panic(err)
	}
	return edKey.(ed25519.PrivateKey), rsaKey.(*rsa.PrivateKey)
})

func parsePKCS8(s string) (any, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("ghltest: embedded test key is not a PEM PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ghltest: embedded test key: %w", err)
	}
	return k, nil
}

// WebhookPrivateKeys returns the published, test-only Ed25519 and RSA
// private keys the server signs its webhooks with by default, so that a test
// can sign payloads of its own for a receiver:
//
//	ed, rk := ghltest.WebhookPrivateKeys()
//	h, err := (&webhook.Signer{Ed25519: ed, RSA: rk}).Sign(body)
//
// The private keys are in this package's source code for anyone to read:
// never trust them in production. The Ed25519 key is a fresh copy on each
// call; the RSA key is shared and must not be modified.
func WebhookPrivateKeys() (ed25519.PrivateKey, *rsa.PrivateKey) {
	edKey, rsaKey := testKeys()
	return append(ed25519.PrivateKey(nil), edKey...), rsaKey
}

// WebhookPublicKeys returns the public halves of WebhookPrivateKeys, which
// verify the webhooks the server signs by default: Ed25519 for
// X-GHL-Signature and RSA for the legacy X-WH-Signature. The Ed25519 key is
// a fresh copy on each call; the RSA key is shared and must not be modified.
//
// Never configure a production Verifier with these keys: their private
// halves are public.
func WebhookPublicKeys() (ed25519.PublicKey, *rsa.PublicKey) {
	edKey, rsaKey := testKeys()
	pub := edKey.Public().(ed25519.PublicKey)
	return append(ed25519.PublicKey(nil), pub...), &rsaKey.PublicKey
}

// testKeySigner signs with the published test keys.
type testKeySigner struct{}

func (testKeySigner) Sign(body []byte) (http.Header, error) {
	edKey, rsaKey := testKeys()
	return whsign.Sign(edKey, rsaKey, body)
}
