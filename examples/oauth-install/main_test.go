package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/oauth"
)

func TestDemoInstallsAndCallsTheAPI(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), func(string) string { return "" }, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"consent page: marketplace.gohighlevel.com/v2/oauth/chooselocation (scope=contacts.readonly contacts.write)",
		"installed for location demo-location with scopes contacts.readonly contacts.write",
		"mode -rw-------",
		"found Ada <ada@example.com>",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCallbackRefusesAForeignState(t *testing.T) {
	t.Parallel()
	app, err := oauth.NewApp(oauth.Config{ClientID: "c", ClientSecret: "s", Store: oauth.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	h := newInstaller(app, "https://app.example.com/oauth/callback", &bytes.Buffer{})
	for name, req := range map[string]*http.Request{
		"no cookie":    httptest.NewRequest("GET", "/oauth/callback?code=x&state=abc", nil),
		"other state":  withCookie(httptest.NewRequest("GET", "/oauth/callback?code=x&state=abc", nil), "xyz"),
		"empty state":  withCookie(httptest.NewRequest("GET", "/oauth/callback?code=x&state=", nil), ""),
		"missing code": withCookie(httptest.NewRequest("GET", "/oauth/callback?state=abc", nil), "abc"),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/install", nil))
	cookie := rec.Result().Cookies()
	if rec.Code != http.StatusFound || len(cookie) != 1 || !cookie[0].HttpOnly || !cookie[0].Secure {
		t.Errorf("install: status %d cookies %+v", rec.Code, cookie)
	}
}

func withCookie(r *http.Request, state string) *http.Request {
	r.AddCookie(&http.Cookie{Name: stateCookie, Value: state})
	return r
}

func TestMissingSettingsAreNamed(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GHL_CLIENT_ID": "c"}
	err := run(context.Background(), func(k string) string { return env[k] }, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "GHL_CLIENT_SECRET, GHL_REDIRECT_URL, GHL_TOKEN_KEY") {
		t.Fatalf("err = %v", err)
	}
	env = map[string]string{"GHL_CLIENT_ID": "c", "GHL_CLIENT_SECRET": "s", "GHL_REDIRECT_URL": "https://x/cb", "GHL_TOKEN_KEY": "c2hvcnQ="}
	if err := run(context.Background(), func(k string) string { return env[k] }, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "GHL_TOKEN_KEY") {
		t.Fatalf("short key: err = %v", err)
	}
}
