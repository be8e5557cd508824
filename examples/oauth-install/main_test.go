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
	if err == nil || !strings.Contains(err.Error(), "3 problems") {
		t.Fatalf("err = %v", err)
	}
	for _, name := range []string{"GHL_CLIENT_SECRET is missing", "GHL_REDIRECT_URL is missing", "GHL_TOKEN_KEY is missing"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error lacks %q: %v", name, err)
		}
	}
	// Every problem at once, none quoting the key.
	env = map[string]string{"GHL_CLIENT_ID": "c", "GHL_CLIENT_SECRET": "s", "GHL_REDIRECT_URL": "/relative/cb", "GHL_TOKEN_KEY": "c2hvcnQ=", "GHL_WHITE_LABEL": "yes"}
	err = run(context.Background(), func(k string) string { return env[k] }, &bytes.Buffer{})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"3 problems", "GHL_TOKEN_KEY must be 32 random bytes", `GHL_REDIRECT_URL="/relative/cb" is not an absolute`, `GHL_WHITE_LABEL="yes" is not a boolean`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "c2hvcnQ=") {
		t.Error("the error quotes the key")
	}
}

// TestCallbackAtTheRedirectPath: the callback is served where
// GHL_REDIRECT_URL says HighLevel sends the installer, not at a fixed path.
func TestCallbackAtTheRedirectPath(t *testing.T) {
	t.Parallel()
	app, err := oauth.NewApp(oauth.Config{ClientID: "c", ClientSecret: "s", Store: oauth.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	h := newInstaller(app, "https://app.example.com/integrations/ghl/done", &bytes.Buffer{})
	for path, want := range map[string]int{
		"/integrations/ghl/done?code=x&state=abc": http.StatusBadRequest, // reached: refused for its state
		"/oauth/callback?code=x&state=abc":        http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, withCookie(httptest.NewRequest("GET", path, nil), "xyz"))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
}
