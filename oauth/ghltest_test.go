package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/oauth"
)

// Tests against ghltest's OAuth endpoints, which rotate refresh tokens and
// reject spent ones, with one fake clock shared by the server and the App.

const (
	ghlClientID = "client-ghl"
	ghlSecret   = "secret-ghl"
	ghlRedirect = "https://app.example.com/oauth/callback"
)

var readWrite = []string{ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite}

type ghlEnv struct {
	srv   *ghltest.Server
	clock *clock
	store *flakyStore
	app   *oauth.App
}

func newGHLEnv(t *testing.T, store oauth.TokenStore, opts ...ghltest.Option) *ghlEnv {
	t.Helper()
	e := &ghlEnv{clock: newClock()}
	e.srv = ghltest.NewServer(append([]ghltest.Option{ghltest.WithClock(e.clock.Now)}, opts...)...)
	t.Cleanup(e.srv.Close)
	e.srv.AddOAuthClient(ghlClientID, ghlSecret)
	if store == nil {
		store = oauth.NewMemoryStore()
	}
	e.store = &flakyStore{TokenStore: store}
	e.app = e.newApp(t, e.store)
	return e
}

// newApp is another process of the same app: its own App, the given store.
func (e *ghlEnv) newApp(t *testing.T, store oauth.TokenStore) *oauth.App {
	t.Helper()
	app, err := oauth.NewApp(oauth.Config{
		ClientID:      ghlClientID,
		ClientSecret:  ghlSecret,
		RedirectURL:   ghlRedirect,
		Scopes:        readWrite,
		BaseURL:       e.srv.URL,
		Store:         store,
		RefreshBefore: 10 * time.Minute,
		Now:           e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// installLocation runs an install of loc-1 with scopes and exchanges the code.
func (e *ghlEnv) installLocation(t *testing.T, scopes ...string) *oauth.Token {
	t.Helper()
	code := e.srv.Authorize(ghltest.Install{ClientID: ghlClientID, LocationID: "loc-1", CompanyID: "co-1", UserID: "user-1", Scopes: scopes, RedirectURI: ghlRedirect})
	tok, err := e.app.Exchange(context.Background(), code, oauth.UserTypeLocation)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

func (e *ghlEnv) client(t *testing.T, ts oauth2.TokenSource) *ghl.Client {
	t.Helper()
	c, err := ghl.NewClient(ghl.WithTokenSource(ts), ghl.WithBaseURL(e.srv.URL), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type listQuery struct {
	LocationID string `url:"locationId"`
}

// listContacts calls GET /contacts/ for the location with ts's token.
func (e *ghlEnv) listContacts(t *testing.T, ts oauth2.TokenSource, locationID string) error {
	t.Helper()
	_, err := e.client(t, ts).Do(context.Background(), &ghl.Request{Method: http.MethodGet, Path: "/contacts/", Query: listQuery{locationID}}, nil)
	return err
}

// rawRefresh spends rt directly, to check whether the server still takes it.
func (e *ghlEnv) rawRefresh(t *testing.T, rt string) int {
	t.Helper()
	resp, err := http.PostForm(e.srv.URL+"/oauth/token", url.Values{
		"client_id": {ghlClientID}, "client_secret": {ghlSecret}, "grant_type": {"refresh_token"}, "refresh_token": {rt},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (e *ghlEnv) source(t *testing.T, app *oauth.App, key string) *oauth.TokenSource {
	t.Helper()
	ts, err := app.TokenSource(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestGHLTestCodeExchange(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	tok := e.installLocation(t, readWrite...)

	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.UserType != oauth.UserTypeLocation ||
		tok.LocationID != "loc-1" || tok.CompanyID != "co-1" || tok.UserID != "user-1" {
		t.Fatalf("token = %v", tok)
	}
	if !tok.HasScope("contacts.write") || !tok.HasScope("contacts.readonly") {
		t.Errorf("Scopes = %q", tok.Scopes)
	}
	if want := e.clock.Now().Add(ghltest.DefaultAccessTokenLifetime); !tok.Expiry.Equal(want) {
		t.Errorf("Expiry = %v, want %v", tok.Expiry, want)
	}
	reqs := e.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	form, _ := url.ParseQuery(string(r.Body))
	want := url.Values{
		"grant_type": {"authorization_code"}, "code": {"REDACTED"}, "user_type": {"Location"},
		"redirect_uri": {ghlRedirect}, "client_id": {ghlClientID}, "client_secret": {"REDACTED"},
	}
	if r.Method != http.MethodPost || r.Path != "/oauth/token" || form.Encode() != want.Encode() {
		t.Fatalf("request = %s %s %v, want POST /oauth/token %v", r.Method, r.Path, form, want)
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	stored, err := e.store.Load(context.Background(), "loc-1")
	if err != nil || stored.RefreshToken != tok.RefreshToken {
		t.Fatalf("not stored under loc-1: %v", err)
	}
	if err := e.listContacts(t, e.source(t, e.app, "loc-1"), "loc-1"); err != nil {
		t.Fatalf("API call with the exchanged token: %v", err)
	}
}

func TestGHLTestCodeReplay(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	code := e.srv.Authorize(ghltest.Install{ClientID: ghlClientID, LocationID: "loc-1", Scopes: readWrite, RedirectURI: ghlRedirect})
	if _, err := e.app.Exchange(context.Background(), code, oauth.UserTypeLocation); err != nil {
		t.Fatal(err)
	}
	_, err := e.app.Exchange(context.Background(), code, oauth.UserTypeLocation)
	// HighLevel's answer has the spec's shape {statusCode, message, error};
	// its message is kept.
	const msg = "Invalid grant: authorization code is invalid"
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorDescription != msg || !strings.Contains(err.Error(), msg) {
		t.Fatalf("replayed code: %v, want a 400 saying %q", err, msg)
	}
}

// TestGHLTestSpentRefreshToken: a refresh token spent elsewhere is refused
// with the spec's error shape; that is ErrReinstallRequired, message kept.
func TestGHLTestSpentRefreshToken(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	first := e.installLocation(t, readWrite...)
	ts := e.source(t, e.app, "loc-1")
	if code := e.rawRefresh(t, first.RefreshToken); code != http.StatusOK {
		t.Fatalf("spending the refresh token elsewhere: %d", code)
	}
	e.clock.Add(25 * time.Hour)
	_, err := ts.Token()
	const msg = "Invalid grant: refresh token is invalid"
	var re *oauth2.RetrieveError
	if !errors.Is(err, oauth.ErrReinstallRequired) || !errors.As(err, &re) ||
		re.Response.StatusCode != http.StatusBadRequest || re.ErrorDescription != msg || !strings.Contains(err.Error(), msg) {
		t.Fatalf("err = %v, want ErrReinstallRequired keeping %q", err, msg)
	}
}

func TestGHLTestInstalledLocations(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	ctx := context.Background()
	e.srv.AddLocation(ghltest.Location{ID: "loc-1", CompanyID: "co-1", Name: "Alpha", Address: "1 Main St"})
	e.srv.AddLocation(ghltest.Location{ID: "loc-2", CompanyID: "co-1", Name: "Beta"})
	e.installLocation(t, readWrite...) // the app is installed in loc-1
	installedAt := e.clock.Now()
	code := e.srv.Authorize(ghltest.Install{ClientID: ghlClientID, UserType: "Company", CompanyID: "co-1", RedirectURI: ghlRedirect,
		Scopes: []string{ghltest.ScopeOAuthReadOnly}, ApprovedLocations: []string{"loc-1"}})
	if _, err := e.app.Exchange(ctx, code, oauth.UserTypeCompany); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetRequests()

	got, err := e.app.InstalledLocations(ctx, oauth.InstalledLocationsParams{CompanyID: "co-1", AppID: ghlClientID, Limit: 10, IsInstalled: new(true)})
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.InstalledLocations{Count: 1, Locations: []oauth.InstalledLocation{
		{ID: "loc-1", Name: "Alpha", Address: "1 Main St", IsInstalled: true, InstalledAt: installedAt},
	}}
	if len(got.Locations) != 1 || got.Locations[0] != want.Locations[0] || got.Count != 1 || got.InstallToFutureLocations {
		t.Fatalf("InstalledLocations = %+v, want %+v", got, want)
	}
	reqs := e.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodGet || r.Path != "/oauth/installedLocations" || url.Values(r.Query).Encode() != "appId=client-ghl&companyId=co-1&isInstalled=true&limit=10" ||
		r.Header.Get("Version") != "2021-07-28" || r.Header.Get("Authorization") != "Bearer REDACTED" || len(r.Body) != 0 {
		t.Fatalf("request = %s %s?%s %v %q", r.Method, r.Path, r.Query, r.Header, r.Body)
	}

	all, err := e.app.InstalledLocations(ctx, oauth.InstalledLocationsParams{CompanyID: "co-1", AppID: ghlClientID})
	if err != nil || all.Count != 2 || len(all.Locations) != 2 || all.Locations[1].IsInstalled || !all.Locations[1].InstalledAt.IsZero() {
		t.Fatalf("all locations = %+v, %v", all, err)
	}

	// Bad input is refused before sending.
	e.srv.ResetRequests()
	for name, p := range map[string]oauth.InstalledLocationsParams{
		"no company":     {AppID: ghlClientID},
		"no app":         {CompanyID: "co-1"},
		"negative skip":  {CompanyID: "co-1", AppID: ghlClientID, Skip: -1},
		"negative limit": {CompanyID: "co-1", AppID: ghlClientID, Limit: -5},
	} {
		if _, err := e.app.InstalledLocations(ctx, p); !errors.Is(err, ghl.ErrInvalidParam) {
			t.Errorf("%s: err = %v, want a *ghl.ParamError", name, err)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for bad input", n)
	}
	// A company the app holds no token for.
	_, err = e.app.InstalledLocations(ctx, oauth.InstalledLocationsParams{CompanyID: "co-unknown", AppID: ghlClientID})
	if !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("no agency token stored: %v, want ErrNotFound", err)
	}
}

// TestGHLTestInstalledLocationsNeedsReadScope: an agency token without
// oauth.readonly is refused with HighLevel's 401 (after one renewal), and
// the message is kept.
func TestGHLTestInstalledLocationsNeedsReadScope(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	ctx := context.Background()
	code := e.srv.Authorize(ghltest.Install{ClientID: ghlClientID, UserType: "Company", CompanyID: "co-1", RedirectURI: ghlRedirect,
		Scopes: []string{ghltest.ScopeOAuthWrite}})
	if _, err := e.app.Exchange(ctx, code, oauth.UserTypeCompany); err != nil {
		t.Fatal(err)
	}
	_, err := e.app.InstalledLocations(ctx, oauth.InstalledLocationsParams{CompanyID: "co-1", AppID: ghlClientID})
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || re.ErrorDescription != "The token is not authorized for this scope." {
		t.Fatalf("err = %v, want HighLevel's 401", err)
	}
}

func TestGHLTestRefreshAheadOfExpiry(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil, ghltest.WithAccessTokenLifetime(time.Hour))
	first := e.installLocation(t, readWrite...)
	ts := e.source(t, e.app, "loc-1")

	e.clock.Add(49 * time.Minute) // 11 minutes left: no refresh yet
	if got := mustToken(t, ts); got.AccessToken != first.AccessToken {
		t.Fatal("refreshed too early")
	}
	if n := e.srv.TokenRequests(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	e.clock.Add(2 * time.Minute) // 9 minutes left: inside the 10-minute window
	got := mustToken(t, ts)
	if got.AccessToken == first.AccessToken {
		t.Fatal("not refreshed inside the window")
	}
	if n := e.srv.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
	last := e.srv.Requests()[len(e.srv.Requests())-1]
	form, _ := url.ParseQuery(string(last.Body))
	if form.Get("grant_type") != "refresh_token" || form.Get("user_type") != "Location" || form.Get("client_id") != ghlClientID {
		t.Errorf("refresh form = %v", form)
	}
	stored, _ := e.store.Load(context.Background(), "loc-1")
	if stored.AccessToken != got.AccessToken || stored.RefreshToken == first.RefreshToken {
		t.Fatal("rotated pair not saved")
	}
	if code := e.rawRefresh(t, first.RefreshToken); code != http.StatusBadRequest {
		t.Fatalf("spent refresh token: status %d, want 400", code)
	}
	if err := e.listContacts(t, ts, "loc-1"); err != nil {
		t.Fatalf("API call with the refreshed token: %v", err)
	}
}

func TestGHLTestOneRefreshFor100Callers(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	e.installLocation(t, readWrite...)
	e.clock.Add(25 * time.Hour) // expired

	const n = 100
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts, _ := e.app.TokenSource(context.Background(), "loc-1")
			<-start
			tok, err := ts.Token()
			errs[i] = err
			if err == nil {
				got[i] = tok.AccessToken
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("goroutine %d: %v; all must get the one new token", i, errs[i])
		}
	}
	if c := e.srv.TokenRequests(); c != 2 {
		t.Fatalf("server saw %d token requests, want 2 (the exchange and exactly one refresh)", c)
	}
	if err := e.listContacts(t, e.source(t, e.app, "loc-1"), "loc-1"); err != nil {
		t.Fatalf("API call: %v", err)
	}
}

// TestGHLTestRestart: the rotated refresh token is persisted in a FileStore
// and used after a restart (a new App and FileStore over the same directory).
func TestGHLTestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fs1, err := oauth.NewFileStore(dir, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	e := newGHLEnv(t, fs1)
	first := e.installLocation(t, readWrite...)
	e.clock.Add(25 * time.Hour)
	rotated := mustToken(t, e.source(t, e.app, "loc-1"))
	if rotated.AccessToken == first.AccessToken || e.srv.TokenRequests() != 2 {
		t.Fatal("first process did not refresh")
	}

	// Restart.
	fs2, err := oauth.NewFileStore(dir, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	app2 := e.newApp(t, fs2)
	ts2 := e.source(t, app2, "loc-1")
	if got := mustToken(t, ts2); got.AccessToken != rotated.AccessToken {
		t.Fatal("after restart: not the persisted token")
	}
	if n := e.srv.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests; loading a fresh token must not refresh", n)
	}
	e.clock.Add(25 * time.Hour)
	again, err := ts2.Token()
	if err != nil {
		t.Fatalf("refresh with the persisted rotated refresh token: %v", err)
	}
	if again.AccessToken == rotated.AccessToken || e.srv.TokenRequests() != 3 {
		t.Fatal("second process did not refresh")
	}
	if err := e.listContacts(t, ts2, "loc-1"); err != nil {
		t.Fatalf("API call after restart: %v", err)
	}
}

// TestGHLTestFailedSave: the store fails right after the server rotated the
// token. The old access token keeps working until it expires; the new pair
// is kept in memory, never refreshed twice, and saved once the store works.
func TestGHLTestFailedSave(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil, ghltest.WithAccessTokenLifetime(time.Hour))
	first := e.installLocation(t, readWrite...)
	ts := e.source(t, e.app, "loc-1")

	e.clock.Add(55 * time.Minute) // in the window, 5 minutes left
	e.store.failSave.Store(true)
	got := mustToken(t, ts)
	if got.AccessToken != first.AccessToken {
		t.Fatal("with the save failing, the old, still valid token must be used")
	}
	if n := e.srv.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
	if err := e.listContacts(t, ts, "loc-1"); err != nil {
		t.Fatalf("API call with the old token: %v", err)
	}
	if code := e.rawRefresh(t, first.RefreshToken); code != http.StatusBadRequest {
		t.Fatalf("the old refresh token should be dead on the server; status %d", code)
	}
	base := e.srv.TokenRequests() // 3: the exchange, the refresh and that check

	e.clock.Add(5 * time.Minute) // the old token expired; the store still fails
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrTokenNotSaved) || !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want ErrTokenNotSaved", err)
	}
	if err := e.listContacts(t, ts, "loc-1"); !errors.Is(err, oauth.ErrTokenNotSaved) {
		t.Fatalf("client error = %v, want it to wrap ErrTokenNotSaved", err)
	}
	if n := e.srv.TokenRequests(); n != base {
		t.Fatalf("%d token requests; no refresh may happen while the new pair is unsaved", n-base)
	}

	e.store.failSave.Store(false)
	fresh := mustToken(t, ts)
	stored, err := e.store.Load(context.Background(), "loc-1")
	if err != nil || stored.AccessToken != fresh.AccessToken {
		t.Fatalf("the kept pair was not saved: %v", err)
	}
	if err := e.listContacts(t, ts, "loc-1"); err != nil {
		t.Fatalf("API call with the kept token: %v", err)
	}
	// The saved refresh token is the live one.
	e.clock.Add(2 * time.Hour)
	if _, err := ts.Token(); err != nil {
		t.Fatalf("refresh with the kept refresh token: %v", err)
	}
	if n := e.srv.TokenRequests(); n != base+1 {
		t.Fatalf("%d token requests after recovery, want 1", n-base)
	}
}

// TestGHLTestFileStoreOnDisk: real tokens from ghltest, saved by the App in
// a FileStore: mode 0600, no temporary files, no token in the bytes.
func TestGHLTestFileStoreOnDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fs, err := oauth.NewFileStore(dir, testKey(3))
	if err != nil {
		t.Fatal(err)
	}
	e := newGHLEnv(t, fs)
	tok := e.installLocation(t, readWrite...)
	e.clock.Add(25 * time.Hour)
	ts := e.source(t, e.app, "loc-1")
	cur, err := ts.Current()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files, want 1 (no temporary files left)", len(entries))
	}
	fi, _ := entries[0].Info()
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	for _, s := range []string{tok.AccessToken, tok.RefreshToken, cur.AccessToken, cur.RefreshToken} {
		if bytes.Contains(data, []byte(s)) {
			t.Error("a token is in the file in plain text")
		}
	}
	if bytes.Contains(data, []byte("access_token")) || bytes.Contains(data, []byte("loc-1")) {
		t.Error("the file holds plain JSON")
	}
}

func TestGHLTestRefreshOn401(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	first := e.installLocation(t, readWrite...)
	ts := e.source(t, e.app, "loc-1")
	c := e.client(t, ts)
	e.srv.RevokeToken(first.AccessToken) // refused before its expiry
	e.srv.ResetRequests()

	if _, err := c.Do(context.Background(), &ghl.Request{Method: http.MethodGet, Path: "/contacts/", Query: listQuery{"loc-1"}}, nil); err != nil {
		t.Fatalf("Do: %v", err)
	}
	var paths []string
	for _, r := range e.srv.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	want := []string{"GET /contacts/", "POST /oauth/token", "GET /contacts/"}
	if strings.Join(paths, ", ") != strings.Join(want, ", ") {
		t.Fatalf("requests = %q, want %q", paths, want)
	}
	if got := mustToken(t, ts); got.AccessToken == first.AccessToken {
		t.Fatal("source still hands out the refused token")
	}
	// A late 401 for the refused token does not refresh again.
	ts.InvalidateToken(first.AccessToken)
	mustToken(t, ts)
	if n := e.srv.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestGHLTestLocationToken(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	ctx := context.Background()
	e.srv.AddLocation(ghltest.Location{ID: "loc-7", CompanyID: "co-1"})
	code := e.srv.Authorize(ghltest.Install{
		ClientID: ghlClientID, UserType: "Company", CompanyID: "co-1", RedirectURI: ghlRedirect,
		Scopes: []string{ghltest.ScopeOAuthWrite, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite},
	})
	agency, err := e.app.Exchange(ctx, code, oauth.UserTypeCompany)
	if err != nil {
		t.Fatal(err)
	}
	if agency.Key() != "co-1" || agency.UserType != oauth.UserTypeCompany {
		t.Fatalf("agency token = %v", agency)
	}
	if len(agency.ApprovedLocations) != 1 || agency.ApprovedLocations[0] != "loc-7" {
		t.Errorf("ApprovedLocations = %q", agency.ApprovedLocations)
	}

	loc, err := e.app.LocationToken(ctx, "co-1", "loc-7")
	if err != nil {
		t.Fatal(err)
	}
	if loc.LocationID != "loc-7" || loc.CompanyID != "co-1" || loc.UserType != oauth.UserTypeLocation || !loc.HasScope("contacts.write") {
		t.Fatalf("location token = %v", loc)
	}
	reqs := e.srv.Requests()
	r := reqs[len(reqs)-1]
	form, _ := url.ParseQuery(string(r.Body))
	if r.Method != http.MethodPost || r.Path != "/oauth/locationToken" || r.Header.Get("Version") != "2021-07-28" ||
		r.Header.Get("Authorization") != "Bearer REDACTED" || form.Encode() != "companyId=co-1&locationId=loc-7" {
		t.Fatalf("request = %s %s %v %v", r.Method, r.Path, r.Header, form)
	}
	if stored, err := e.store.Load(ctx, "loc-7"); err != nil || stored.AccessToken != loc.AccessToken {
		t.Fatalf("not stored under the location: %v", err)
	}
	ts := e.source(t, e.app, "loc-7")
	if err := e.listContacts(t, ts, "loc-7"); err != nil {
		t.Fatalf("API call with the location token: %v", err)
	}
	// Both expire: the location source renews through the agency.
	e.clock.Add(25 * time.Hour)
	before := e.srv.TokenRequests()
	if err := e.listContacts(t, ts, "loc-7"); err != nil {
		t.Fatalf("API call after expiry: %v", err)
	}
	if n := e.srv.TokenRequests(); n != before+1 {
		t.Fatalf("%d token requests, want one agency refresh", n-before)
	}
	// Not approved: HighLevel's error comes back as *oauth2.RetrieveError.
	_, err = e.app.LocationToken(ctx, "co-1", "loc-elsewhere")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest {
		t.Fatalf("unapproved location: %v", err)
	}
}

func TestGHLTestScopeCheck(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	e.installLocation(t, ghltest.ScopeContactsReadOnly)
	ts := e.source(t, e.app, "loc-1")
	c := e.client(t, ts)
	e.srv.ResetRequests()

	_, err := c.Do(context.Background(), &ghl.Request{Method: http.MethodPost, Path: "/contacts/", Body: map[string]string{"locationId": "loc-1", "firstName": "Ada"}}, nil)
	var se *ghl.ScopeError
	if !errors.As(err, &se) || se.Scope != "contacts.write" || !strings.Contains(err.Error(), "contacts.write") {
		t.Fatalf("err = %v, want a *ghl.ScopeError naming contacts.write", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached the server; the write must fail before sending", n)
	}
	if err := e.listContacts(t, ts, "loc-1"); err != nil {
		t.Fatalf("a read with the read-only token: %v", err)
	}
}
