package mattermost

import (
	"encoding/base64"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef")
	otherSecret = []byte("fedcba9876543210fedcba9876543210")
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestSigner(t *testing.T, clock *fakeClock, opts ...SignerOption) *Signer {
	t.Helper()
	s, err := NewSigner(testSecret, append([]SignerOption{WithSignerClock(clock.now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignerRoundTrip(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, clock)
	values := map[string]string{"task": "t1", "contact": "c/1 ü"}
	tok, err := s.Sign(KindAction, "complete", values, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "v1.") || strings.ContainsAny(tok, "+/= ") {
		t.Errorf("token %q is not URL-safe v1", tok)
	}
	name, got, err := s.Verify(KindAction, tok)
	if err != nil || name != "complete" || !maps.Equal(got, values) {
		t.Fatalf("Verify = %q, %v, %v", name, got, err)
	}
	// Just before expiry it is valid; at expiry it is not.
	clock.t = clock.t.Add(time.Hour - time.Second)
	if _, _, err := s.Verify(KindAction, tok); err != nil {
		t.Errorf("before expiry: %v", err)
	}
	clock.t = clock.t.Add(time.Second)
	if _, _, err := s.Verify(KindAction, tok); !errors.Is(err, ErrExpired) {
		t.Errorf("at expiry: err = %v, want ErrExpired", err)
	}
}

func TestSignerRefusesForgeries(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, clock)
	tok, err := s.Sign(KindAction, "complete", map[string]string{"task": "t1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	body, sig, _ := strings.Cut(strings.TrimPrefix(tok, "v1."), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)

	// The payload rewritten to another task, with the old MAC.
	altered := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), "t1", "t2", 1)))
	// The same payload with a later expiry.
	extended := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"e":`, `"e":9`, 1)))
	other, err := NewSigner(otherSecret, WithSignerClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	otherTok, _ := other.Sign(KindAction, "complete", map[string]string{"task": "t1"}, time.Hour)
	dialogTok, _ := s.Sign(KindDialog, "complete", map[string]string{"task": "t1"}, time.Hour)
	flipped := []byte(sig)
	flipped[3] ^= 1

	tests := []struct {
		name, tok string
		want      error
	}{
		{"empty", "", ErrUnsigned},
		{"altered payload", "v1." + altered + "." + sig, ErrBadSignature},
		{"extended expiry", "v1." + extended + "." + sig, ErrBadSignature},
		{"flipped mac bit", "v1." + body + "." + string(flipped), ErrBadSignature},
		{"no mac", "v1." + body, ErrBadSignature},
		{"empty mac", "v1." + body + ".", ErrBadSignature},
		{"other version", "v2." + body + "." + sig, ErrBadSignature},
		{"other key", otherTok, ErrBadSignature},
		{"other kind", dialogTok, ErrBadSignature},
		{"garbage", "v1.!!!.???", ErrBadSignature},
		{"truncated", tok[:len(tok)-2], ErrBadSignature},
	}
	for _, tt := range tests {
		if _, _, err := s.Verify(KindAction, tt.tok); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSignerRotation(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{time.Now()}
	old, err := NewSigner(otherSecret, WithSignerClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := old.Sign(KindAction, "a", nil, time.Hour)
	rotated := newTestSigner(t, clock, WithPreviousSecrets(otherSecret))
	if _, _, err := rotated.Verify(KindAction, tok); err != nil {
		t.Errorf("rotated signer refuses a token of the previous secret: %v", err)
	}
	plain := newTestSigner(t, clock)
	if _, _, err := plain.Verify(KindAction, tok); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signer without the previous secret: err = %v", err)
	}
	// New tokens are signed with the current secret.
	newTok, _ := rotated.Sign(KindAction, "a", nil, time.Hour)
	if _, _, err := plain.Verify(KindAction, newTok); err != nil {
		t.Errorf("token of rotated signer: %v", err)
	}
}

func TestSignerIntegrationAndState(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, clock, WithActionTTL(2*time.Hour), WithDialogTTL(time.Minute))
	in, err := s.Integration("https://bridge.example/mm/action", "complete", map[string]string{"task": "t1"}, Binding{})
	if err != nil {
		t.Fatal(err)
	}
	if in.URL != "https://bridge.example/mm/action" || len(in.Context) != 1 {
		t.Fatalf("integration = %+v", in)
	}
	tok, err := s.VerifyContext(in.Context)
	if err != nil || tok.Name != "complete" || tok.Values["task"] != "t1" {
		t.Fatalf("VerifyContext = %+v %v", tok, err)
	}
	if _, err := s.VerifyContext(map[string]any{}); !errors.Is(err, ErrUnsigned) {
		t.Errorf("missing context key: %v", err)
	}
	if _, err := s.VerifyContext(map[string]any{ContextKey: 42.0}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("non-string token: %v", err)
	}
	if _, err := s.VerifyContext(nil); !errors.Is(err, ErrUnsigned) {
		t.Errorf("nil context: %v", err)
	}
	state, err := s.DialogState("create_task", map[string]string{"contact": "c1"}, Binding{})
	if err != nil {
		t.Fatal(err)
	}
	// A dialog state is not a button context, nor the reverse.
	if _, err := s.VerifyContext(map[string]any{ContextKey: state}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("dialog state accepted as a button context: %v", err)
	}
	clock.t = clock.t.Add(time.Minute)
	if _, _, err := s.Verify(KindDialog, state); !errors.Is(err, ErrExpired) {
		t.Errorf("dialog TTL: %v", err)
	}
	if _, err := s.VerifyContext(in.Context); err != nil {
		t.Errorf("action TTL: %v", err)
	}
	clock.t = clock.t.Add(2 * time.Hour)
	if _, err := s.VerifyContext(in.Context); !errors.Is(err, ErrExpired) {
		t.Errorf("action expired: %v", err)
	}
}

func TestNewSignerRejects(t *testing.T) {
	t.Parallel()
	cases := map[string]func() error{
		"short secret":   func() error { _, err := NewSigner([]byte("short")); return err },
		"short previous": func() error { _, err := NewSigner(testSecret, WithPreviousSecrets([]byte("x"))); return err },
		"nil clock":      func() error { _, err := NewSigner(testSecret, WithSignerClock(nil)); return err },
		"zero ttl":       func() error { _, err := NewSigner(testSecret, WithActionTTL(0)); return err },
		"neg dialog ttl": func() error { _, err := NewSigner(testSecret, WithDialogTTL(-1)); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrInvalidParam) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	s, _ := NewSigner(testSecret)
	if _, err := s.Integration("not a url", "a", nil, Binding{}); !errors.Is(err, ErrInvalidParam) {
		t.Errorf("bad URL: %v", err)
	}
	if _, err := s.Integration("https://x.example", "", nil, Binding{}); !errors.Is(err, ErrInvalidParam) {
		t.Errorf("empty action: %v", err)
	}
	if _, err := s.Sign("", "a", nil, time.Hour); !errors.Is(err, ErrInvalidParam) {
		t.Errorf("empty kind: %v", err)
	}
	if _, err := s.DialogState("", nil, Binding{}); !errors.Is(err, ErrInvalidParam) {
		t.Errorf("empty callback: %v", err)
	}
}

// TestSignerOneSpelling holds the promise that a signed token has exactly
// one accepted spelling. A 32-byte MAC is 43 base64 characters whose last
// carries 2 bits no byte uses; the lenient decoder ignores them, so four
// strings carried one MAC and a guard remembering tokens by their text
// could be passed by re-spelling one. Fails with the lenient decoder.
func TestSignerOneSpelling(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, clock)
	button, err := s.Sign(KindAction, "complete", map[string]string{"task": "t1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	state, err := s.Sign(KindDialog, "create_task", map[string]string{"contact": "c1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ kind, tok string }{{KindAction, button}, {KindDialog, state}} {
		if _, _, err := s.Verify(tc.kind, tc.tok); err != nil {
			t.Fatalf("%s: the canonical token is refused: %v", tc.kind, err)
		}
		for _, other := range respellings(t, tc.tok) {
			if _, _, err := s.Verify(tc.kind, other); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s re-spelled as %q: err = %v, want ErrBadSignature", tc.kind, other, err)
			}
		}
		if _, _, err := s.Verify(tc.kind, tamperMAC(t, tc.tok)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s with a flipped MAC bit: err = %v, want ErrBadSignature", tc.kind, err)
		}
	}
}

// splitToken returns a token's payload and decoded MAC.
func splitToken(t testing.TB, tok string) (body string, sum []byte) {
	t.Helper()
	body, sig, ok := strings.Cut(strings.TrimPrefix(tok, "v1."), ".")
	if !ok {
		t.Fatalf("%q is not a v1 token", tok)
	}
	sum, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		t.Fatalf("MAC of %q: %v", tok, err)
	}
	return body, sum
}

// tamperMAC returns tok with one bit of its decoded MAC flipped and
// re-encoded: always another MAC, never another spelling of the same one.
func tamperMAC(t testing.TB, tok string) string {
	t.Helper()
	body, sum := splitToken(t, tok)
	sum[len(sum)/2] ^= 0x01
	return "v1." + body + "." + base64.RawURLEncoding.EncodeToString(sum)
}

// respellings returns the other spellings of tok: its MAC's last character
// changed only in the bits no byte uses, so the lenient decoder reads the
// same MAC. It checks that property, so a test using it cannot pass by
// testing a plain forgery instead.
func respellings(t testing.TB, tok string) []string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	body, sum := splitToken(t, tok)
	sig := base64.RawURLEncoding.EncodeToString(sum)
	unused := 6 - (len(sum)*8)%6 // bits of the last character no byte uses
	if unused == 6 {
		t.Fatalf("a %d-byte MAC has one spelling only", len(sum))
	}
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	var out []string
	for low := 1; low < 1<<unused; low++ {
		other := sig[:len(sig)-1] + string(alphabet[last^low])
		if got, err := base64.RawURLEncoding.DecodeString(other); err != nil || string(got) != string(sum) {
			t.Fatalf("%q is not another spelling of %q", other, sig)
		}
		out = append(out, "v1."+body+"."+other)
	}
	return out
}

func TestSignerBinding(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestSigner(t, clock)
	in, err := s.Integration("https://bridge.example/a", "complete", map[string]string{"task": "t1"}, Binding{ChannelID: "chan1"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.VerifyContext(in.Context)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ChannelID != "chan1" || tok.UserID != "" || tok.Nonce != "" || tok.NonceKey() != "" {
		t.Fatalf("button token = %+v", tok)
	}
	if err := tok.Check("chan1", "anyone"); err != nil {
		t.Errorf("own channel: %v", err)
	}
	if err := tok.Check("chan2", "anyone"); !errors.Is(err, ErrWrongChannel) {
		t.Errorf("other channel: %v, want ErrWrongChannel", err)
	}
	if !tok.Expires.Equal(clock.t.Add(7 * 24 * time.Hour)) {
		t.Errorf("Expires = %v", tok.Expires)
	}

	// A dialog state is always one-time, with a new nonce each time.
	st1, err := s.DialogState("create_task", nil, Binding{ChannelID: "chan1", UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := s.DialogState("create_task", nil, Binding{ChannelID: "chan1", UserID: "alice"})
	t1, err := s.VerifyToken(KindDialog, st1)
	if err != nil {
		t.Fatal(err)
	}
	t2, _ := s.VerifyToken(KindDialog, st2)
	if t1.Nonce == "" || t1.Nonce == t2.Nonce || t1.NonceKey() != KindDialog+"/"+t1.Nonce {
		t.Fatalf("nonces %q %q, key %q", t1.Nonce, t2.Nonce, t1.NonceKey())
	}
	if err := t1.Check("chan1", "bob"); !errors.Is(err, ErrWrongUser) {
		t.Errorf("other user: %v, want ErrWrongUser", err)
	}
	if err := t1.Check("chan1", "alice"); err != nil {
		t.Errorf("opening user: %v", err)
	}
	// The binding is signed: moving it to another channel breaks the MAC.
	forged := strings.Replace(st1, "v1.", "v1.", 1)
	body, sig, _ := strings.Cut(strings.TrimPrefix(forged, "v1."), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	raw = []byte(strings.Replace(string(raw), `"c":"chan1"`, `"c":"chan9"`, 1))
	forged = "v1." + base64.RawURLEncoding.EncodeToString(raw) + "." + sig
	if _, err := s.VerifyToken(KindDialog, forged); !errors.Is(err, ErrBadSignature) {
		t.Errorf("rebound token: %v, want ErrBadSignature", err)
	}
	// A scope is carried, signed, for the receiver to compare.
	st3, err := s.DialogState("create_task", nil, Binding{ChannelID: "chan1", Scope: "locA"})
	if err != nil {
		t.Fatal(err)
	}
	if t3, err := s.VerifyToken(KindDialog, st3); err != nil || t3.Scope != "locA" {
		t.Fatalf("scoped token: %+v %v", t3, err)
	}
	if t1.Scope != "" {
		t.Errorf("unscoped token has scope %q", t1.Scope)
	}
	body, sig, _ = strings.Cut(strings.TrimPrefix(st3, "v1."), ".")
	raw, _ = base64.RawURLEncoding.DecodeString(body)
	raw = []byte(strings.Replace(string(raw), `"s":"locA"`, `"s":"locB"`, 1))
	if _, err := s.VerifyToken(KindDialog, "v1."+base64.RawURLEncoding.EncodeToString(raw)+"."+sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("rescoped token: %v, want ErrBadSignature", err)
	}
	for _, err := range []error{ErrWrongChannel, ErrWrongUser, ErrAlreadyUsed} {
		if RefusalText(err) == "" {
			t.Errorf("no refusal text for %v", err)
		}
	}
	if RefusalText(ErrBadSignature) != "" {
		t.Error("refusal text for a forgery")
	}
}
