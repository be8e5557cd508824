package webhook

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// HighLevelRSAPublicKeyPEM is the RSA public key HighLevel publishes for the
// legacy X-WH-Signature scheme (from HighLevel's "Webhook Authentication
// Guide"). It is a public key, safe to ship; WithLegacyRSA uses it when given
// no key. Watch HighLevel's announcements for rotations and pass the new key
// to WithLegacyRSA when it changes.
const HighLevelRSAPublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
`

// minRSABits is the smallest legacy RSA key accepted; HighLevel's is 4096 bits.
const minRSABits = 2048

// HighLevelRSAPublicKey returns HighLevelRSAPublicKeyPEM parsed. Each call
// returns a new key.
func HighLevelRSAPublicKey() *rsa.PublicKey {
	k, err := ParseRSAPublicKey(HighLevelRSAPublicKeyPEM)
	if err != nil {
		panic("webhook: HighLevelRSAPublicKeyPEM does not parse: " + err.Error())
	}
	return k
}

// ParseEd25519PublicKey reads an Ed25519 public key in any form HighLevel or
// a secret store is likely to hold it: a PEM "PUBLIC KEY" block (PKIX), or
// standard base64 (padded or not) of either the raw 32-byte key or its PKIX
// DER encoding.
func ParseEd25519PublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block, rest := pem.Decode([]byte(s))
		if block == nil {
			return nil, errors.New("webhook: Ed25519 public key: invalid PEM")
		}
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("webhook: Ed25519 public key: PEM block is %q, want \"PUBLIC KEY\"", block.Type)
		}
		if len(strings.TrimSpace(string(rest))) != 0 {
			return nil, errors.New("webhook: Ed25519 public key: data after the PEM block")
		}
		return ed25519FromDER(block.Bytes)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("webhook: Ed25519 public key: neither PEM nor base64")
	}
	if len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	return ed25519FromDER(b)
}

func ed25519FromDER(der []byte) (ed25519.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("webhook: Ed25519 public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("webhook: Ed25519 public key: got a %T", k)
	}
	return pub, nil
}

// ParseRSAPublicKey reads an RSA public key from a PEM "PUBLIC KEY" (PKIX)
// or "RSA PUBLIC KEY" (PKCS#1) block, for WithLegacyRSA.
func ParseRSAPublicKey(s string) (*rsa.PublicKey, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("webhook: RSA public key: invalid PEM")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("webhook: RSA public key: data after the PEM block")
	}
	switch block.Type {
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("webhook: RSA public key: %w", err)
		}
		return k, nil
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("webhook: RSA public key: %w", err)
		}
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("webhook: RSA public key: got a %T", k)
		}
		return pub, nil
	default:
		return nil, fmt.Errorf("webhook: RSA public key: PEM block is %q", block.Type)
	}
}
