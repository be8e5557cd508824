package webhook

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

// testNow is the fixed clock of most tests.
var testNow = time.Date(2025, 1, 28, 14, 35, 0, 0, time.UTC)

// taskBody is a TaskCreate payload with the given webhookId and timestamp,
// written as HighLevel writes it (compact).
func taskBody(id string, ts time.Time) []byte {
	return fmt.Appendf(nil, `{"type":"TaskCreate","locationId":"loc1","webhookId":%q,"timestamp":%q,"id":"task1","assignedTo":"user1","body":"Call back","contactId":"c1","title":"Follow up","dateAdded":"2021-11-26T12:41:02.193Z","dueDate":"2021-12-22T06:55:00.000Z"}`,
		id, ts.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// newVerifier returns a Verifier trusting the test keys (Ed25519, and RSA
// when legacy is true) with the fixed clock.
func newVerifier(t testing.TB, legacy bool, opts ...Option) *Verifier {
	t.Helper()
	ed, rsaPub := ghltest.WebhookPublicKeys()
	all := []Option{WithEd25519PublicKeys(ed), WithClock(func() time.Time { return testNow })}
	if legacy {
		all = append(all, WithLegacyRSA(rsaPub))
	}
	v, err := NewVerifier(append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testSigner signs with ghltest's published test keys.
func testSigner() *Signer {
	ed, rk := ghltest.WebhookPrivateKeys()
	return &Signer{Ed25519: ed, RSA: rk}
}

// sign returns the headers of testSigner for body, restricted to the schemes
// asked for.
func sign(t testing.TB, body []byte, ed, legacy bool) http.Header {
	t.Helper()
	s := testSigner()
	if !ed {
		s.Ed25519 = nil
	}
	if !legacy {
		s.RSA = nil
	}
	h, err := s.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// otherKeys is a second, random key pair: a valid signature from the wrong key.
var otherKeys = sync.OnceValues(func() (ed25519.PrivateKey, *rsa.PrivateKey) {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return ed, r
})
