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

func TestBadKeyIsRefused(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GHL_WEBHOOK_PUBLIC_KEY": "not a key"}
	if err := run(context.Background(), func(k string) string { return env[k] }, &bytes.Buffer{}); err == nil {
		t.Fatal("a bad key was accepted")
	}
}
