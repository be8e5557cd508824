package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoPrintsVerifiedEventsAndRefusesForgery(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		`ContactCreate  Ada Lovelace <ada@example.com>`,
		`TaskCreate     "Send the quote" due 2026-12-01`,
		`TaskComplete   "Send the quote"`,
		`NoteCreate     "Prefers email"`,
		"forged delivery answered 401",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Wire money") {
		t.Errorf("the forged event was processed:\n%s", got)
	}
}

// TestBadSettingsAreExplained: a bad key and a non-boolean
// GHL_WEBHOOK_LEGACY_RSA are both named, without parser internals.
func TestBadSettingsAreExplained(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GHL_WEBHOOK_PUBLIC_KEY": "not a key", "GHL_WEBHOOK_LEGACY_RSA": "yes"}
	err := run(context.Background(), func(k string) string { return env[k] }, &bytes.Buffer{})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"GHL_WEBHOOK_PUBLIC_KEY is not an Ed25519 public key", `GHL_WEBHOOK_LEGACY_RSA="yes" is not a boolean`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(strings.ToLower(err.Error()), "asn1") || strings.Contains(err.Error(), "x509") {
		t.Errorf("error shows parser internals: %v", err)
	}
}
