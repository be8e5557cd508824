package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func TestDemoListsTasks(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), func(string) string { return "" }, nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 task(s)", "[ ] Send the quote  (due 2026-12-01", "[x] Book the demo call  (due 2026-12-08"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRealModeUsesTokenAndBaseURL(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer()
	defer srv.Close()
	srv.AddToken("tok", "loc", ghltest.ScopeContactsReadOnly)
	c := srv.AddContact(ghltest.Contact{LocationID: "loc"})
	env := map[string]string{"GHL_TOKEN": "tok", "GHL_BASE_URL": srv.URL}
	var out bytes.Buffer
	if err := run(context.Background(), func(k string) string { return env[k] }, []string{c.ID}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 task(s) for contact "+c.ID) {
		t.Errorf("output: %s", out.String())
	}
	if err := run(context.Background(), func(k string) string { return env[k] }, nil, &out); err == nil {
		t.Error("no contact ID accepted")
	}
	err := run(context.Background(), func(k string) string { return env[k] }, []string{"missing"}, &out)
	if !ghl.IsNotFound(err) {
		t.Errorf("err = %v, want not found", err)
	}
}

// TestErrorsNameTheVariables: a bad GHL_BASE_URL or a refused GHL_TOKEN is
// explained with the variable's name, not an option's.
func TestErrorsNameTheVariables(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer()
	defer srv.Close()
	srv.AddToken("tok", "loc", ghltest.ScopeContactsReadOnly)
	c := srv.AddContact(ghltest.Contact{LocationID: "loc"})
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GHL_TOKEN": "tok", "GHL_BASE_URL": "services.example.com"}, `GHL_BASE_URL="services.example.com" is not an absolute http or https URL`},
		{map[string]string{"GHL_TOKEN": "wrong", "GHL_BASE_URL": srv.URL}, "HighLevel refused GHL_TOKEN (401)"},
		{map[string]string{"GHL_TOKEN": "tok", "GHL_BASE_URL": srv.URL + "/"}, ""},
	} {
		err := run(context.Background(), func(k string) string { return tc.env[k] }, []string{c.ID}, &bytes.Buffer{})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "WithBaseURL")):
			t.Errorf("%v: err = %v, want %q", tc.env, err, tc.want)
		}
	}
}
