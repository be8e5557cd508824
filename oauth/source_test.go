package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl/oauth"
)

func (e *env) source(t *testing.T, key string) *oauth.TokenSource {
	t.Helper()
	ts, err := e.app.TokenSource(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func mustToken(t *testing.T, ts oauth2.TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func TestTokenSourceArgs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.app.TokenSource(context.Background(), ""); err == nil {
		t.Error("empty key accepted")
	}
	//lint:ignore SA1012 testing the nil check
	if _, err := e.app.TokenSource(nil, "loc-1"); err == nil {
		t.Error("nil context accepted")
	}
	ts := e.source(t, "nobody")
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("Token for an unknown key = %v, want ErrNotFound", err)
	}
}

func TestRefreshAheadOfExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t) // lifetime 86399 s, refresh 5 min ahead
	e.install(t)
	ts := e.source(t, "loc-1")

	e.clock.Add(86399*time.Second - 5*time.Minute - time.Second)
	if got := mustToken(t, ts); got.AccessToken != "at-1" {
		t.Fatalf("before the refresh window: %q, want at-1", got.AccessToken)
	}
	if n := e.srv.tokenCalls.Load(); n != 1 {
		t.Fatalf("%d token calls before the window, want 1 (the exchange)", n)
	}

	e.clock.Add(2 * time.Second) // inside the window, still 4m59s before expiry
	got := mustToken(t, ts)
	if got.AccessToken != "at-2" {
		t.Fatalf("in the refresh window: %q, want at-2", got.AccessToken)
	}
	if s, _ := got.Extra("scope").(string); s != "contacts.readonly contacts.write" {
		t.Errorf(`Extra("scope") = %q`, s)
	}
	if got.RefreshToken != "" {
		t.Error("Token handed out a refresh token")
	}
	reqs := e.srv.log()
	r := reqs[len(reqs)-1]
	want := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {"rt-1"},
		"user_type":     {"Location"},
		"client_id":     {"client-1"},
		"client_secret": {"secret-1"},
	}
	if r.Method != http.MethodPost || r.Path != "/oauth/token" || r.Form.Encode() != want.Encode() {
		t.Fatalf("refresh request = %s %s %v, want POST /oauth/token %v", r.Method, r.Path, r.Form, want)
	}
	stored, err := e.store.Load(context.Background(), "loc-1")
	if err != nil || stored.RefreshToken != "rt-2" || stored.AccessToken != "at-2" {
		t.Fatalf("stored after refresh = %v, %v; want the rotated pair", stored, err)
	}
	if stored.LocationID != "loc-1" || !stored.HasScope("contacts.write") {
		t.Errorf("stored metadata = %v", stored)
	}
	if e.srv.refreshLive("rt-1") {
		t.Error("fake server still accepts rt-1")
	}
	// Fresh again: no more calls.
	mustToken(t, ts)
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
}

func TestRefreshWindowCappedByLifetime(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.lifetime = 60 // shorter than the 5-minute default window
	e.install(t)
	ts := e.source(t, "loc-1")
	for range 3 {
		mustToken(t, ts)
	}
	e.clock.Add(29 * time.Second)
	mustToken(t, ts)
	if n := e.srv.tokenCalls.Load(); n != 1 {
		t.Fatalf("%d token calls; a token younger than half its lifetime must not be refreshed", n)
	}
	e.clock.Add(2 * time.Second)
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("past half the lifetime: %q, want at-2", got.AccessToken)
	}
}

func TestSingleFlight(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	e.clock.Add(25 * time.Hour) // expired
	block := make(chan struct{})
	e.srv.mu.Lock()
	e.srv.block = block
	e.srv.mu.Unlock()

	const n = 100
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine has its own TokenSource: the lock is per key, per App.
			ts, _ := e.app.TokenSource(context.Background(), "loc-1")
			tok, err := ts.Token()
			errs[i] = err
			if err == nil {
				got[i] = tok.AccessToken
			}
		}()
	}
	close(block)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != "at-2" {
			t.Fatalf("goroutine %d: %q, %v; want at-2", i, got[i], errs[i])
		}
	}
	if c := e.srv.tokenCalls.Load(); c != 2 {
		t.Fatalf("%d token calls, want 2 (exchange + one refresh)", c)
	}
}

func TestRefreshFailureWhileUsable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	e.clock.Add(86399*time.Second - 2*time.Minute) // in the window, not expired
	e.srv.failNext(http.StatusBadGateway, 1)

	if got := mustToken(t, ts); got.AccessToken != "at-1" {
		t.Fatalf("refresh failed while the token works: got %q, want at-1 with no error", got.AccessToken)
	}
	mustToken(t, ts) // within the retry pause: no new attempt
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2 (exchange + one failed refresh)", n)
	}
	if !strings.Contains(e.logs.String(), "renewing token failed") {
		t.Errorf("failure not logged: %s", e.logs)
	}
	e.clock.Add(6 * time.Second)
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("after the pause: %q, want at-2", got.AccessToken)
	}
}

func TestRefreshFailureWhenExpired(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	e.clock.Add(25 * time.Hour)
	e.srv.failNext(http.StatusServiceUnavailable, 1)
	_, err := ts.Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want *oauth2.RetrieveError 503", err)
	}
	if errors.Is(err, oauth.ErrReinstallRequired) {
		t.Fatal("a 503 must not ask for a reinstall")
	}
	// A blip: the refresh token is intact and the next call works.
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("after the blip: %q", got.AccessToken)
	}
}

// TestRefreshRefusals: HighLevel's token errors, in the spec's shape
// {statusCode, message, error} or RFC 6749's, keep their message, and only
// a refused grant asks for a reinstall.
func TestRefreshRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		body      string
		message   string
		reinstall bool
	}{
		{"spec shape, spent refresh token", 400, `{"statusCode":400,"message":"Invalid grant: refresh token is invalid","error":"Bad Request"}`, "Invalid grant: refresh token is invalid", true},
		{"spec shape, 401 refresh token revoked", 401, `{"statusCode":401,"message":"Refresh token has been revoked","error":"Unauthorized"}`, "Refresh token has been revoked", true},
		{"spec shape without error", 400, `{"statusCode":400,"message":"Invalid refresh token"}`, "Invalid refresh token", true},
		{"RFC 6749 invalid_grant", 400, `{"error":"invalid_grant","error_description":"Invalid grant"}`, "Invalid grant", true},
		{"spec shape, bad client", 401, `{"statusCode":401,"message":"Invalid client: client credentials are invalid","error":"Unauthorized"}`, "Invalid client: client credentials are invalid", false},
		{"spec shape, 422 list", 422, `{"statusCode":422,"message":["refresh_token must be a string","user_type must be one of the following values: Company, Location"],"error":"Unprocessable Entity"}`, "refresh_token must be a string; user_type must be one of the following values: Company, Location", false},
		{"spec shape, other 400", 400, `{"statusCode":400,"message":"Version header was not found","error":"Bad Request"}`, "Version header was not found", false},
		{"server error naming the refresh token", 500, `{"statusCode":500,"message":"refresh token store down","error":"Internal Server Error"}`, "refresh token store down", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.install(t)
			ts := e.source(t, "loc-1")
			e.srv.mu.Lock()
			e.srv.failStatus, e.srv.failCount, e.srv.failBody = tt.status, 1, tt.body
			e.srv.mu.Unlock()
			e.clock.Add(25 * time.Hour)
			_, err := ts.Token()
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.Response.StatusCode != tt.status {
				t.Fatalf("err = %v, want HighLevel's %d as *oauth2.RetrieveError", err, tt.status)
			}
			if re.ErrorDescription != tt.message || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q in %q, want %q kept", re.ErrorDescription, err, tt.message)
			}
			if got := errors.Is(err, oauth.ErrReinstallRequired); got != tt.reinstall {
				t.Errorf("ErrReinstallRequired = %v, want %v", got, tt.reinstall)
			}
		})
	}
}

func TestReinstallRequired(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	// Someone else spent rt-1 (say, an old deployment).
	e.srv.mu.Lock()
	delete(e.srv.refresh, "rt-1")
	e.srv.mu.Unlock()
	e.clock.Add(25 * time.Hour)

	_, err := ts.Token()
	var re *oauth2.RetrieveError
	if !errors.Is(err, oauth.ErrReinstallRequired) || !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("err = %v, want ErrReinstallRequired wrapping invalid_grant", err)
	}
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrReinstallRequired) {
		t.Fatalf("second call = %v", err)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls; a refused refresh token must not be sent again", n)
	}
	// The app is installed again: the source picks up the new token.
	e.srv.addCode("code-2", locGrant)
	if _, err := e.app.Exchange(context.Background(), "code-2", oauth.UserTypeLocation); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("after reinstall: %q, want at-2", got.AccessToken)
	}
}

// TestFailedSaveKeepsTokens: the store refuses the rotated pair. The old
// access token keeps being used while it works, the new pair is never lost
// and never refreshed again, and it is saved once the store recovers.
func TestFailedSaveKeepsTokens(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	ctx := context.Background()

	e.clock.Add(86399*time.Second - time.Minute) // in the window, 1 min left
	e.store.failSave.Store(true)
	if got := mustToken(t, ts); got.AccessToken != "at-1" {
		t.Fatalf("save failed: got %q, want the old, still valid at-1", got.AccessToken)
	}
	if !e.srv.refreshLive("rt-2") || e.srv.refreshLive("rt-1") {
		t.Fatal("fake server should have rotated rt-1 to rt-2")
	}
	if stored, _ := e.store.Load(ctx, "loc-1"); stored.RefreshToken != "rt-1" {
		t.Fatalf("store holds %q", stored.RefreshToken)
	}
	if !strings.Contains(e.logs.String(), "saving new token failed") || strings.Contains(e.logs.String(), "rt-2") {
		t.Errorf("log = %s; want the failure logged without secrets", e.logs)
	}
	if err := ts.Flush(ctx); !errors.Is(err, oauth.ErrTokenNotSaved) || !errors.Is(err, errDiskFull) {
		t.Fatalf("Flush = %v, want ErrTokenNotSaved wrapping the store error", err)
	}

	// The old token expires while the store is still down: an error, and no
	// refresh with the dead rt-1 or the unsaved rt-2.
	e.clock.Add(time.Minute)
	_, err := ts.Token()
	if !errors.Is(err, oauth.ErrTokenNotSaved) || !errors.Is(err, errDiskFull) {
		t.Fatalf("Token with an expired old token and a failing store = %v", err)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}

	// The store recovers: the kept pair is saved and used.
	e.store.failSave.Store(false)
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("after recovery: %q, want at-2", got.AccessToken)
	}
	if stored, _ := e.store.Load(ctx, "loc-1"); stored.RefreshToken != "rt-2" {
		t.Fatalf("store holds %q, want rt-2", stored.RefreshToken)
	}
	if err := ts.Flush(ctx); err != nil {
		t.Fatalf("Flush after recovery = %v", err)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
	// And the saved refresh token works.
	e.clock.Add(25 * time.Hour)
	if got := mustToken(t, ts); got.AccessToken != "at-3" {
		t.Fatalf("next refresh: %q", got.AccessToken)
	}
}

func TestFlushRecoversBeforeExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	e.clock.Add(86399*time.Second - time.Minute)
	e.store.failSave.Store(true)
	mustToken(t, ts)
	e.store.failSave.Store(false)
	if err := ts.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if stored, _ := e.store.Load(context.Background(), "loc-1"); stored.RefreshToken != "rt-2" {
		t.Fatalf("Flush did not save rt-2: %q", stored.RefreshToken)
	}
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("after Flush: %q", got.AccessToken)
	}
}

func TestInvalidateToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	old := mustToken(t, ts)

	ts.InvalidateToken("not-the-current-token")
	ts.InvalidateToken("")
	if got := mustToken(t, ts); got.AccessToken != old.AccessToken {
		t.Fatalf("a stranger's token invalidated the current one")
	}
	ts.InvalidateToken(old.AccessToken)
	fresh := mustToken(t, ts)
	if fresh.AccessToken != "at-2" {
		t.Fatalf("after InvalidateToken: %q, want at-2", fresh.AccessToken)
	}
	// A late 401 for the old token must not cause a second refresh.
	ts.InvalidateToken(old.AccessToken)
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("stale InvalidateToken forced a refresh: %q", got.AccessToken)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
}

// TestAdoptsStoredToken: two Apps (two processes) share a store; the one
// that finds its token expired adopts the token the other saved instead of
// spending a dead refresh token.
func TestAdoptsStoredToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	other, err := oauth.NewApp(oauth.Config{ClientID: "client-1", ClientSecret: "secret-1", BaseURL: e.srv.URL, Store: e.store, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts1 := e.source(t, "loc-1")
	ts2, _ := other.TokenSource(context.Background(), "loc-1")
	mustToken(t, ts2) // loads at-1
	e.clock.Add(25 * time.Hour)
	if got := mustToken(t, ts1); got.AccessToken != "at-2" {
		t.Fatal(got.AccessToken)
	}
	if got := mustToken(t, ts2); got.AccessToken != "at-2" {
		t.Fatalf("second process: %q, want the adopted at-2", got.AccessToken)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
}

func TestSourceContextCanceled(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ctx, cancel := context.WithCancel(context.Background())
	ts, _ := e.app.TokenSource(ctx, "loc-1")
	mustToken(t, ts)
	cancel()
	if _, err := ts.Token(); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func agencySetup(t *testing.T) *env {
	t.Helper()
	e := setup(t)
	e.srv.addCode("agency-code", grant{userType: "Company", companyID: "co-1", scopes: "oauth.write oauth.readonly contacts.readonly contacts.write"})
	if _, err := e.app.Exchange(context.Background(), "agency-code", oauth.UserTypeCompany); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestLocationToken(t *testing.T) {
	t.Parallel()
	e := agencySetup(t)
	ctx := context.Background()
	tok, err := e.app.LocationToken(ctx, "co-1", "loc-7")
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.srv.log()
	r := reqs[len(reqs)-1]
	if r.Method != http.MethodPost || r.Path != "/oauth/locationToken" {
		t.Fatalf("request = %s %s", r.Method, r.Path)
	}
	if r.Header.Get("Authorization") != "Bearer at-1" || r.Header.Get("Version") != "2021-07-28" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", r.Header)
	}
	if want := (url.Values{"companyId": {"co-1"}, "locationId": {"loc-7"}}); r.Form.Encode() != want.Encode() {
		t.Errorf("form = %v, want %v", r.Form, want)
	}
	if tok.AccessToken != "at-2" || tok.LocationID != "loc-7" || tok.CompanyID != "co-1" || tok.UserType != oauth.UserTypeLocation || !tok.HasScope("contacts.write") {
		t.Fatalf("token = %v", tok)
	}
	stored, err := e.store.Load(ctx, "loc-7")
	if err != nil || stored.AccessToken != "at-2" {
		t.Fatalf("stored under location = %v, %v", stored, err)
	}

	// Expired: the location source mints a new token through the agency.
	ts := e.source(t, "loc-7")
	e.clock.Add(25 * time.Hour) // the agency token expired too
	got := mustToken(t, ts)
	if got.AccessToken != "at-4" { // at-3: agency refreshed, at-4: location
		t.Fatalf("renewed location token = %q, want at-4", got.AccessToken)
	}
	if e.srv.locationCalls.Load() != 2 || e.srv.tokenCalls.Load() != 2 {
		t.Fatalf("calls: %d location, %d token", e.srv.locationCalls.Load(), e.srv.tokenCalls.Load())
	}
}

func TestLocationTokenAgencyRefused(t *testing.T) {
	t.Parallel()
	e := agencySetup(t)
	e.srv.revokeAccess("at-1") // HighLevel no longer takes the agency access token
	tok, err := e.app.LocationToken(context.Background(), "co-1", "loc-7")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at-3" {
		t.Fatalf("token = %q; want the agency refreshed (at-2) then at-3", tok.AccessToken)
	}
	if e.srv.locationCalls.Load() != 2 {
		t.Fatalf("%d locationToken calls, want 2", e.srv.locationCalls.Load())
	}
}

func TestLocationTokenErrors(t *testing.T) {
	t.Parallel()
	e := agencySetup(t)
	ctx := context.Background()
	for _, ids := range [][2]string{{"", "loc"}, {"co-1", ""}, {"co-1", "co-1"}} {
		if _, err := e.app.LocationToken(ctx, ids[0], ids[1]); err == nil {
			t.Errorf("LocationToken(%q, %q) = nil error", ids[0], ids[1])
		}
	}
	if _, err := e.app.LocationToken(ctx, "co-unknown", "loc"); !errors.Is(err, oauth.ErrNotFound) {
		t.Errorf("unknown company: %v, want ErrNotFound", err)
	}
	// A location token is no agency token: HighLevel answers 401 both times.
	e.install(t)
	_, err := e.app.LocationToken(ctx, "loc-1", "loc-2")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || re.ErrorDescription != "Invalid JWT" {
		t.Fatalf("err = %v, want *oauth2.RetrieveError 401", err)
	}
}

// TestReinstallByAnotherProcess: after HighLevel refused the refresh token,
// a token another process saved (after a new install) is adopted.
func TestReinstallByAnotherProcess(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	e.srv.mu.Lock()
	delete(e.srv.refresh, "rt-1")
	e.srv.mu.Unlock()
	e.clock.Add(25 * time.Hour)
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrReinstallRequired) {
		t.Fatalf("err = %v", err)
	}
	fresh := &oauth.Token{AccessToken: "at-new", RefreshToken: "rt-new", Expiry: e.clock.Now().Add(time.Hour), LocationID: "loc-1", UserType: oauth.UserTypeLocation}
	if err := e.store.TokenStore.Save(context.Background(), "loc-1", fresh); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, ts); got.AccessToken != "at-new" {
		t.Fatalf("got %q, want the token the other process saved", got.AccessToken)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
}

// TestLocationTokenWithRefreshToken: if HighLevel's location token comes
// with a refresh token, it is renewed with it, not through the agency.
func TestLocationTokenWithRefreshToken(t *testing.T) {
	t.Parallel()
	e := agencySetup(t)
	e.srv.mu.Lock()
	e.srv.locationRefresh = true
	e.srv.mu.Unlock()
	tok, err := e.app.LocationToken(context.Background(), "co-1", "loc-7")
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "rt-2" {
		t.Fatalf("RefreshToken = %q, want rt-2", tok.RefreshToken)
	}
	e.clock.Add(25 * time.Hour)
	if got := mustToken(t, e.source(t, "loc-7")); got.AccessToken != "at-3" {
		t.Fatalf("renewed = %q, want at-3", got.AccessToken)
	}
	reqs := e.srv.log()
	last := reqs[len(reqs)-1]
	if last.Path != "/oauth/token" || last.Form.Get("refresh_token") != "rt-2" || last.Form.Get("user_type") != "Location" {
		t.Fatalf("renewal = %s %v, want a refresh with rt-2", last.Path, last.Form)
	}
	if e.srv.locationCalls.Load() != 1 {
		t.Fatalf("%d locationToken calls, want 1", e.srv.locationCalls.Load())
	}
}
