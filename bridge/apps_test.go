package bridge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/oauth"
	"github.com/ghlkit/ghl/webhook"
)

const (
	appClientID = "6650aaaabbbbccccddddeeee-lx1abcd"
	appSecret   = "app-secret"
	appPublic   = "https://bridge.example.com"
)

// appEnv is app mode's install flow against a ghltest server.
type appEnv struct {
	t      *testing.T
	hl     *ghltest.Server
	tokens *BoltTokenStore
	srv    *httptest.Server
	clock  *testClock
	signer *mattermost.Signer
	client *http.Client // does not follow redirects
	apps   *apps
}

// newAppEnv starts the install flow; hlOpts add to (and override) the
// ghltest server's options, which are a test clock and no rate limit.
func newAppEnv(t *testing.T, userType string, hlOpts ...ghltest.Option) *appEnv {
	t.Helper()
	clk := &testClock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
	hl := ghltest.NewServer(append([]ghltest.Option{ghltest.WithClock(clk.now), ghltest.WithoutRateLimit()}, hlOpts...)...)
	t.Cleanup(hl.Close)
	hl.AddOAuthClient(appClientID, appSecret)
	signer, err := mattermost.NewSigner([]byte(testSecret), mattermost.WithSignerClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		GHLBaseURL: hl.URL,
		PublicURL:  appPublic,
		OAuth:      &OAuthConfig{ClientID: appClientID, ClientSecret: appSecret, UserType: userType},
	}
	// The bridge's own bbolt store keeps the tokens, sealed.
	db, err := OpenBoltStore(filepath.Join(t.TempDir(), "state.db"), clk.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, err := oauth.NewSealer(oauth.EncryptionKey{ID: 1, Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := NewBoltTokenStore(db, sealer)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApps(cfg, tokens, signer, db, options{now: clk.now, log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// The webhook as routes() mounts it in app mode.
	pub, _ := ghltest.WebhookPublicKeys()
	v, err := webhook.NewVerifier(webhook.WithEd25519PublicKeys(pub), webhook.WithClock(clk.now), webhook.WithDedupe(db))
	if err != nil {
		t.Fatal(err)
	}
	hook, err := webhook.NewHandler(v, a.accept)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+PathWebhook, retryLater(hook))
	a.routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hl.SetWebhookTarget(srv.URL + PathWebhook)
	return &appEnv{t: t, hl: hl, tokens: tokens, srv: srv, clock: clk, signer: signer, apps: a,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (e *appEnv) get(path string, cookies ...*http.Cookie) page {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, string(b)}
}

// start begins an install and returns the state HighLevel would send back
// and the browser's state cookie.
func (e *appEnv) start(wantScope string) (string, *http.Cookie) {
	e.t.Helper()
	p := e.get(PathInstall)
	if p.status != http.StatusFound {
		e.t.Fatalf("install: %d %s", p.status, p.body)
	}
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	q := u.Query()
	if base := u.Scheme + "://" + u.Host + u.Path; base != oauth.AuthURLStandard {
		e.t.Errorf("redirect to %s, want %s", base, oauth.AuthURLStandard)
	}
	for k, want := range map[string]string{"response_type": "code", "client_id": appClientID,
		"redirect_uri": appPublic + PathCallback, "scope": wantScope, "loginWindowOpenMode": "self"} {
		if q.Get(k) != want {
			e.t.Errorf("redirect %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if got := p.header.Get("Cache-Control"); got != "no-store" {
		e.t.Errorf("Cache-Control %q", got)
	}
	cs := (&http.Response{Header: p.header}).Cookies()
	if len(cs) != 1 {
		e.t.Fatalf("cookies %v", cs)
	}
	c := cs[0]
	if c.Name != stateCookie || c.Path != PathCallback || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 600 || c.Value == "" {
		e.t.Errorf("state cookie %+v", c)
	}
	if strings.Contains(q.Get("state"), c.Value) {
		e.t.Errorf("the state shows the nonce in clear? state %q cookie %q", q.Get("state"), c.Value)
	}
	return q.Get("state"), &http.Cookie{Name: c.Name, Value: c.Value}
}

func (e *appEnv) callback(code, state string, c *http.Cookie) page {
	e.t.Helper()
	q := url.Values{"code": {code}, "state": {state}}
	if c == nil {
		return e.get(PathCallback + "?" + q.Encode())
	}
	return e.get(PathCallback+"?"+q.Encode(), c)
}

func (e *appEnv) wantToken(key, locationID, companyID string) *oauth.Token {
	e.t.Helper()
	tok, err := e.tokens.Load(context.Background(), key)
	if err != nil {
		e.t.Fatalf("token for %s: %v", key, err)
	}
	if tok.LocationID != locationID || tok.CompanyID != companyID {
		e.t.Fatalf("token for %s: location %q company %q", key, tok.LocationID, tok.CompanyID)
	}
	return tok
}

// contactsStatus calls GET /contacts/ of locationID with tok.
func (e *appEnv) contactsStatus(tok *oauth.Token, locationID string) int {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.hl.URL+"/contacts/?locationId="+locationID, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Version", ghltest.APIVersion)
	resp, err := testClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAppInstallLocation(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "")
	state, cookie := e.start("contacts.readonly contacts.write")
	code := e.hl.Authorize(ghltest.Install{ClientID: appClientID, LocationID: "locA", CompanyID: "co1",
		Scopes: locationScopes, RedirectURI: appPublic + PathCallback})

	p := e.callback(code, state, cookie)
	if p.status != 200 || !strings.Contains(p.body, "installed for location locA") || !strings.Contains(p.body, "/ghl connect locA") {
		t.Fatalf("callback: %d %q", p.status, p.body)
	}
	if ct := p.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || p.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("page Content-Type %q", ct)
	}
	if c := (&http.Response{Header: p.header}).Cookies(); len(c) != 1 || c[0].Name != stateCookie || c[0].MaxAge != -1 {
		t.Errorf("the state cookie is not cleared: %v", c)
	}
	tok := e.wantToken("locA", "locA", "co1")
	if tok.UserType != oauth.UserTypeLocation || tok.RefreshToken == "" {
		t.Errorf("token %v", tok)
	}
	if got := e.contactsStatus(tok, "locA"); got != 200 {
		t.Fatalf("the stored token does not work: %d", got)
	}
	if strings.Contains(p.body, tok.AccessToken) || strings.Contains(p.body, tok.RefreshToken) {
		t.Fatal("the page shows a token")
	}

	// The same state again, even with a new, valid code, installs nothing.
	n := e.hl.TokenRequests()
	code2 := e.hl.Authorize(ghltest.Install{ClientID: appClientID, LocationID: "locB", RedirectURI: appPublic + PathCallback})
	p = e.callback(code2, state, cookie)
	if p.status != 400 || !strings.Contains(p.body, "already used") {
		t.Fatalf("replayed state: %d %q", p.status, p.body)
	}
	if e.hl.TokenRequests() != n {
		t.Fatal("a replayed state reached HighLevel's token endpoint")
	}
	if _, err := e.tokens.Load(context.Background(), "locB"); err == nil {
		t.Fatal("a replayed state installed a location")
	}
}

func TestAppInstallRefusesBadState(t *testing.T) {
	t.Parallel()
	other, err := mattermost.NewSigner([]byte(strings.Repeat("z", 40)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(e *appEnv, state string, c *http.Cookie) (string, *http.Cookie)
		want string
	}{
		{"no state", func(_ *appEnv, _ string, c *http.Cookie) (string, *http.Cookie) { return "", c }, "no state"},
		{"other key", func(_ *appEnv, _ string, c *http.Cookie) (string, *http.Cookie) {
			s, _ := other.SignBound(kindOAuthState, browserHash(c.Value), nil, mattermost.Binding{OneTime: true}, time.Minute)
			return s, c
		}, "not valid"},
		{"dialog state", func(e *appEnv, _ string, c *http.Cookie) (string, *http.Cookie) {
			s, _ := e.signer.SignBound(mattermost.KindDialog, browserHash(c.Value), nil, mattermost.Binding{OneTime: true}, time.Minute)
			return s, c
		}, "not valid"},
		{"reusable", func(e *appEnv, _ string, c *http.Cookie) (string, *http.Cookie) {
			s, _ := e.signer.Sign(kindOAuthState, browserHash(c.Value), nil, time.Minute)
			return s, c
		}, "not valid"},
		{"altered", func(_ *appEnv, s string, c *http.Cookie) (string, *http.Cookie) { return s[:len(s)-2] + "AA", c }, "not valid"},
		{"expired", func(e *appEnv, s string, c *http.Cookie) (string, *http.Cookie) {
			e.clock.add(stateTTL + time.Second)
			return s, c
		}, "expired"},
		{"no cookie", func(_ *appEnv, s string, _ *http.Cookie) (string, *http.Cookie) { return s, nil }, "not started in this browser"},
		{"other browser", func(_ *appEnv, s string, c *http.Cookie) (string, *http.Cookie) {
			return s, &http.Cookie{Name: c.Name, Value: oauth.NewState()}
		}, "not started in this browser"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newAppEnv(t, "")
			state, cookie := e.start("contacts.readonly contacts.write")
			code := e.hl.Authorize(ghltest.Install{ClientID: appClientID, LocationID: "locA", RedirectURI: appPublic + PathCallback})
			state, cookie = tc.mod(e, state, cookie)
			p := e.callback(code, state, cookie)
			if p.status != 400 || !strings.Contains(p.body, tc.want) {
				t.Fatalf("got %d %q, want 400 with %q", p.status, p.body, tc.want)
			}
			if e.hl.TokenRequests() != 0 {
				t.Fatal("the code was exchanged")
			}
		})
	}
}

func TestAppInstallExchangeFails(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "")
	state, cookie := e.start("contacts.readonly contacts.write")
	p := e.callback("not-a-code", state, cookie)
	if p.status != http.StatusBadGateway || !strings.Contains(p.body, "nothing was installed") {
		t.Fatalf("got %d %q", p.status, p.body)
	}
	if e.hl.TokenRequests() != 1 {
		t.Fatalf("token requests %d", e.hl.TokenRequests())
	}
	// HighLevel's refusal of the consent.
	state, cookie = e.start("contacts.readonly contacts.write")
	p = e.get(PathCallback+"?error=access_denied&state="+url.QueryEscape(state), cookie)
	if p.status != 400 || !strings.Contains(p.body, "did not install") {
		t.Fatalf("got %d %q", p.status, p.body)
	}
}

func TestAppInstallAgency(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "Company")
	// Agency co1 has 105 locations (two pages of installed locations);
	// the app is approved in all but loc104; co2's locations are not its.
	var approved []string
	for i := range 105 {
		id := fmt.Sprintf("loc%03d", i)
		e.hl.AddLocation(ghltest.Location{ID: id, CompanyID: "co1"})
		if i != 104 {
			approved = append(approved, id)
		}
	}
	e.hl.AddLocation(ghltest.Location{ID: "locX", CompanyID: "co2"})
	state, cookie := e.start("contacts.readonly contacts.write oauth.readonly oauth.write")
	code := e.hl.Authorize(ghltest.Install{ClientID: appClientID, UserType: "Company", CompanyID: "co1",
		Scopes: companyScopes, RedirectURI: appPublic + PathCallback, ApprovedLocations: approved})

	p := e.callback(code, state, cookie)
	if p.status != 200 || !strings.Contains(p.body, "agency co1: 104 location(s) ready") {
		t.Fatalf("callback: %d %q", p.status, p.body)
	}
	agency := e.wantToken("co1", "", "co1")
	if agency.UserType != oauth.UserTypeCompany {
		t.Fatalf("agency token %v", agency)
	}
	for _, id := range approved {
		tok := e.wantToken(id, id, "co1")
		if id == "loc000" || id == "loc103" {
			if got := e.contactsStatus(tok, id); got != 200 {
				t.Fatalf("token of %s: %d", id, got)
			}
		}
	}
	for _, id := range []string{"loc104", "locX"} {
		if _, err := e.tokens.Load(context.Background(), id); err == nil {
			t.Fatalf("a token was stored for %s, where the app is not installed", id)
		}
	}
	var pages []string
	for _, r := range e.hl.Requests() {
		if r.Path == "/oauth/installedLocations" {
			pages = append(pages, url.Values(r.Query).Get("skip")+"/"+url.Values(r.Query).Get("limit")+"/"+url.Values(r.Query).Get("isInstalled")+"/"+url.Values(r.Query).Get("appId"))
		}
	}
	if want := []string{"/100/true/6650aaaabbbbccccddddeeee", "100/100/true/6650aaaabbbbccccddddeeee"}; !slices.Equal(pages, want) {
		t.Fatalf("installedLocations requests %q, want %q", pages, want)
	}
}

func TestAppModeConfig(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{
			EnvClientID: appClientID, EnvClientSecret: appSecret,
			EnvTokenKey:         "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
			EnvWebhookKey:       "",
			EnvWebhookLegacyRSA: "true",
			EnvMattermostURL:    "https://chat.example.com", EnvMattermostToken: "mm",
			EnvCommandTokens: "tok", EnvPublicURL: appPublic, EnvSecret: testSecret,
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cfg, err := ConfigFromEnv(env())
	if err != nil {
		t.Fatalf("app mode without %s: %v", EnvLocationID, err)
	}
	if !cfg.appMode() || cfg.OAuth.UserType != "" {
		t.Fatalf("appMode %v, %+v", cfg.appMode(), cfg.OAuth)
	}
	if cfg, err = ConfigFromEnv(env(EnvLocationID, "locA", EnvTokenDir, t.TempDir())); err != nil || cfg.appMode() {
		t.Fatalf("one location with OAuth: appMode %v, %v", cfg.appMode(), err)
	}
	// GHL_TOKEN_DIR imports one location's token: meaningless in app mode.
	_, err = ConfigFromEnv(env(EnvTokenDir, t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), EnvTokenDir+" imports the token of one location") {
		t.Fatalf("app mode with a token dir: %v", err)
	}
	if cfg, err = ConfigFromEnv(env(EnvAppUserType, "Company")); err != nil || cfg.OAuth.UserType != "Company" {
		t.Fatalf("Company: %v", err)
	}
	_, err = ConfigFromEnv(env(EnvAppUserType, "Agency"))
	if err == nil || !strings.Contains(err.Error(), `GHL_APP_USER_TYPE="Agency" is neither Location nor Company`) {
		t.Fatalf("bad user type: %v", err)
	}
	// A default channel would show every location's events to one channel.
	_, err = ConfigFromEnv(env(EnvChannelID, "abcdefghijklmnopqrstuvwxyz"))
	if err == nil || !strings.Contains(err.Error(), EnvChannelID+" is set in app mode") {
		t.Fatalf("app mode with a default channel: %v", err)
	}
	if _, err = ConfigFromEnv(env(EnvChannelID, "abcdefghijklmnopqrstuvwxyz", EnvLocationID, "locA", EnvTokenDir, t.TempDir())); err != nil {
		t.Fatalf("one location with a default channel: %v", err)
	}
	_, err = ConfigFromEnv(env(EnvClientID, "", EnvClientSecret, "", EnvTokenDir, "", EnvTokenKey, ""))
	if err == nil || !strings.Contains(err.Error(), EnvLocationID+" is missing") {
		t.Fatalf("no OAuth and no location: %v", err)
	}
}

func (e *appEnv) hasToken(key string) bool {
	e.t.Helper()
	_, err := e.tokens.Load(context.Background(), key)
	if err != nil && !errors.Is(err, oauth.ErrNotFound) {
		e.t.Fatal(err)
	}
	return err == nil
}

func TestAppInstallWebhooks(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "Company")
	e.hl.AddOAuthClient("otherapp", "x")
	for _, id := range []string{"locA", "locB"} {
		e.hl.AddLocation(ghltest.Location{ID: id, CompanyID: "co1"})
	}
	state, cookie := e.start("contacts.readonly contacts.write oauth.readonly oauth.write")
	code := e.hl.Authorize(ghltest.Install{ClientID: appClientID, UserType: "Company", CompanyID: "co1",
		Scopes: companyScopes, RedirectURI: appPublic + PathCallback})
	if p := e.callback(code, state, cookie); p.status != 200 {
		t.Fatalf("callback %d %q", p.status, p.body)
	}

	// The agency adds the app to a new sub-account: its token is fetched
	// with the agency's.
	e.hl.InstallLocation(appClientID, "co1", "locC")
	e.hl.FlushWebhooks()
	if !e.hasToken("locC") {
		t.Fatal("INSTALL of locC: no token")
	}
	if got := e.contactsStatus(e.wantToken("locC", "locC", "co1"), "locC"); got != 200 {
		t.Fatalf("locC's token: %d", got)
	}

	// Another app's UNINSTALL, signed with the same key, removes nothing.
	e.hl.Authorize(ghltest.Install{ClientID: "otherapp", LocationID: "locB", CompanyID: "co1"})
	e.hl.Uninstall("otherapp", "locB")
	// Ours removes locA's token, and only it.
	e.hl.Uninstall(appClientID, "locA")
	e.hl.FlushWebhooks()
	if e.hasToken("locA") || !e.hasToken("locB") || !e.hasToken("locC") || !e.hasToken("co1") {
		t.Fatalf("after UNINSTALL of locA: locA %v locB %v locC %v co1 %v", e.hasToken("locA"), e.hasToken("locB"), e.hasToken("locC"), e.hasToken("co1"))
	}
	// The agency's uninstall removes the agency token.
	e.hl.UninstallCompany(appClientID, "co1")
	e.hl.FlushWebhooks()
	if e.hasToken("co1") {
		t.Fatal("agency token kept after the agency's UNINSTALL")
	}
	for _, d := range e.hl.WebhookDeliveries() {
		if d.StatusCode != 200 {
			t.Errorf("%s answered %d", d.Type, d.StatusCode)
		}
	}
	// A location that installs on its own gets its token from the callback,
	// not the webhook.
	e.hl.Authorize(ghltest.Install{ClientID: appClientID, LocationID: "locZ", CompanyID: "co9"})
	e.hl.FlushWebhooks()
	if e.hasToken("locZ") {
		t.Fatal("a token for locZ without its callback")
	}
}

func TestAppInstallWebhookRetriedWhenTokenFails(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "Company")
	e.hl.AddLocation(ghltest.Location{ID: "locA", CompanyID: "co1"})
	state, cookie := e.start("contacts.readonly contacts.write oauth.readonly oauth.write")
	code := e.hl.Authorize(ghltest.Install{ClientID: appClientID, UserType: "Company", CompanyID: "co1",
		Scopes: companyScopes, RedirectURI: appPublic + PathCallback})
	if p := e.callback(code, state, cookie); p.status != 200 {
		t.Fatalf("callback %d %q", p.status, p.body)
	}
	e.hl.Fail(ghltest.Fault{Method: "POST", Path: "/oauth/locationToken", Status: 502, Count: 1})
	e.hl.InstallLocation(appClientID, "co1", "locC")
	e.hl.FlushWebhooks()
	ds := e.hl.WebhookDeliveries()
	if last := ds[len(ds)-1]; last.Type != "INSTALL" || last.StatusCode != http.StatusServiceUnavailable || last.Header.Get("X-GHL-Signature") == "" {
		t.Fatalf("INSTALL whose token failed answered %d; HighLevel must redeliver", last.StatusCode)
	}
	if e.hasToken("locC") {
		t.Fatal("token stored though HighLevel failed")
	}
	// HighLevel's redelivery (same webhookId, same signature) succeeds.
	if got := redeliver(t, e.srv.URL, ds[len(ds)-1]); got != 200 || !e.hasToken("locC") {
		t.Fatalf("redelivery: %d, token %v", got, e.hasToken("locC"))
	}
}

func TestAppInstallAgencyLocationFails(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "Company")
	for _, id := range []string{"locA", "locB"} {
		e.hl.AddLocation(ghltest.Location{ID: id, CompanyID: "co1"})
	}
	state, cookie := e.start("contacts.readonly contacts.write oauth.readonly oauth.write")
	code := e.hl.Authorize(ghltest.Install{ClientID: appClientID, UserType: "Company", CompanyID: "co1",
		Scopes: companyScopes, RedirectURI: appPublic + PathCallback})
	e.hl.Fail(ghltest.Fault{Method: "POST", Path: "/oauth/locationToken", Status: 502, Count: 1}) // locA's
	p := e.callback(code, state, cookie)
	if p.status != 200 || !strings.Contains(p.body, "1 location(s) ready.\n  locB\n") ||
		!strings.Contains(p.body, "1 location(s) could not get a token now (see the bridge's log); install again to retry them: locA") {
		t.Fatalf("callback %d %q", p.status, p.body)
	}
	if e.hasToken("locA") || !e.hasToken("locB") {
		t.Fatalf("locA %v locB %v", e.hasToken("locA"), e.hasToken("locB"))
	}
}

// TestAppModeNew builds the Bridge from an app mode configuration: it
// serves the install flow with its own store's tokens and nonces, and the
// webhook; commands wait for channels to be connected to locations.
func TestAppModeNew(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
	hl := ghltest.NewServer(ghltest.WithClock(clk.now), ghltest.WithoutRateLimit())
	t.Cleanup(hl.Close)
	hl.AddOAuthClient(appClientID, appSecret)
	pub, _ := ghltest.WebhookPublicKeys()
	cfg := Config{
		GHLBaseURL:       hl.URL,
		WebhookPublicKey: base64.StdEncoding.EncodeToString(pub),
		OAuth: &OAuthConfig{ClientID: appClientID, ClientSecret: appSecret,
			TokenKey: Secret(base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))},
		MattermostURL:   "http://127.0.0.1:1",
		MattermostToken: "mm-token",
		CommandTokens:   []Secret{"cmd"},
		PublicURL:       appPublic,
		Secret:          testSecret,
		DataPath:        filepath.Join(t.TempDir(), "state.db"),
	}
	b, err := New(cfg, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	hl.SetWebhookTarget(srv.URL + PathWebhook)
	e := &appEnv{t: t, hl: hl, srv: srv, clock: clk,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	state, cookie := e.start("contacts.readonly contacts.write")
	code := hl.Authorize(ghltest.Install{ClientID: appClientID, LocationID: "locA", RedirectURI: appPublic + PathCallback, Scopes: locationScopes})
	if p := e.callback(code, state, cookie); p.status != 200 {
		t.Fatalf("callback %d %q", p.status, p.body)
	}
	// The token is in the bridge's state file, sealed.
	tokens, _, err := openOAuthStore(context.Background(), cfg, b.Store(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := tokens.Load(context.Background(), "locA"); err != nil || tok.LocationID != "locA" {
		t.Fatalf("stored token: %v %v", tok, err)
	}
	// The store recorded the state: a replay is refused.
	code = hl.Authorize(ghltest.Install{ClientID: appClientID, LocationID: "locB", RedirectURI: appPublic + PathCallback})
	if p := e.callback(code, state, cookie); p.status != 400 || !strings.Contains(p.body, "already used") {
		t.Fatalf("replay: %d %q", p.status, p.body)
	}
	// The webhook is served (UNINSTALL removes the token)...
	hl.Uninstall(appClientID, "locA")
	hl.FlushWebhooks()
	if _, err := tokens.Load(context.Background(), "locA"); !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("token after UNINSTALL: %v", err)
	}
	// ... and so is the slash command, in the location of its channel
	// (connect_test.go).
	resp, err := http.PostForm(srv.URL+PathCommand, url.Values{"token": {"cmd"}, "text": {"status"},
		"channel_id": {"abcdefghijklmnopqrstuvwxyz"}, "user_id": {"bcdefghijklmnopqrstuvwxyza"}, "command": {"/ghl"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "not connected to a HighLevel location") {
		t.Fatalf("command in app mode: %d %s", resp.StatusCode, body)
	}
	if p := e.get(PathHealth); p.status != 200 {
		t.Fatalf("health %d", p.status)
	}
	// Probes, readiness and metrics have no single location to ask.
	var hlProbe *ProbeResult
	for _, r := range b.Probe(context.Background()) {
		if r.Part == PartHighLevel {
			hlProbe = &r
		}
	}
	if hlProbe == nil || !hlProbe.OK || !strings.Contains(hlProbe.Detail, "app mode") {
		t.Fatalf("HighLevel probe in app mode: %+v", hlProbe)
	}
	if p := e.get(PathMetrics); p.status != 200 || !strings.Contains(p.body, "ghlkit_highlevel_rate_remaining -1") {
		t.Fatalf("metrics %d %.300q", p.status, p.body)
	}
}
