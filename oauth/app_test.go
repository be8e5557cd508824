package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl/oauth"
)

var errDiskFull = errors.New("disk full")

// flakyStore wraps a store and fails saves on demand.
type flakyStore struct {
	oauth.TokenStore
	failSave atomic.Bool
	saves    atomic.Int64
	loads    atomic.Int64
}

func (s *flakyStore) Save(ctx context.Context, key string, tok *oauth.Token) error {
	s.saves.Add(1)
	if s.failSave.Load() {
		return errDiskFull
	}
	return s.TokenStore.Save(ctx, key, tok)
}

func (s *flakyStore) Load(ctx context.Context, key string) (*oauth.Token, error) {
	s.loads.Add(1)
	return s.TokenStore.Load(ctx, key)
}

type env struct {
	srv   *fakeHL
	clock *clock
	store *flakyStore
	app   *oauth.App
	logs  *bytes.Buffer
}

func setup(t *testing.T, mod ...func(*oauth.Config)) *env {
	t.Helper()
	e := &env{srv: newFakeHL(t), clock: newClock(), store: &flakyStore{TokenStore: oauth.NewMemoryStore()}, logs: new(bytes.Buffer)}
	cfg := oauth.Config{
		ClientID:     e.srv.clientID,
		ClientSecret: e.srv.secret,
		RedirectURL:  "https://app.example.com/oauth/callback",
		Scopes:       []string{"contacts.readonly", "contacts.write"},
		BaseURL:      e.srv.URL,
		Store:        e.store,
		Now:          e.clock.Now,
		Logger:       slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, nil)),
	}
	for _, m := range mod {
		m(&cfg)
	}
	app, err := oauth.NewApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.app = app
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var locGrant = grant{userType: "Location", locationID: "loc-1", companyID: "co-1", scopes: "contacts.readonly contacts.write"}

// install exchanges a fresh code for loc-1 and returns the token.
func (e *env) install(t *testing.T) *oauth.Token {
	t.Helper()
	e.srv.addCode("code-1", locGrant)
	tok, err := e.app.Exchange(context.Background(), "code-1", oauth.UserTypeLocation)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

func TestNewAppValidates(t *testing.T) {
	t.Parallel()
	good := oauth.Config{ClientID: "id", ClientSecret: "s", Store: oauth.NewMemoryStore()}
	tests := []struct {
		name string
		mod  func(*oauth.Config)
		want string
	}{
		{"no client id", func(c *oauth.Config) { c.ClientID = " " }, "ClientID is empty"},
		{"no secret", func(c *oauth.Config) { c.ClientSecret = "" }, "ClientSecret is empty"},
		{"no store", func(c *oauth.Config) { c.Store = nil }, "Store is nil"},
		{"scope with space", func(c *oauth.Config) { c.Scopes = []string{"contacts.readonly contacts.write"} }, "invalid scope"},
		{"empty scope", func(c *oauth.Config) { c.Scopes = []string{""} }, "invalid scope"},
		{"negative skew", func(c *oauth.Config) { c.RefreshBefore = -time.Second }, "RefreshBefore is negative"},
		{"relative redirect", func(c *oauth.Config) { c.RedirectURL = "/callback" }, "RedirectURL"},
		{"bad base", func(c *oauth.Config) { c.BaseURL = "ftp://x" }, "BaseURL"},
		{"bad auth url", func(c *oauth.Config) { c.AuthURL = "nohost" }, "AuthURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mod(&cfg)
			_, err := oauth.NewApp(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewApp error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := oauth.NewApp(good); err != nil {
		t.Fatalf("NewApp(good) = %v", err)
	}
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mod      func(*oauth.Config)
		opts     []oauth2.AuthCodeOption
		wantBase string
		extra    url.Values
	}{
		{"standard", nil, nil, "https://marketplace.gohighlevel.com/v2/oauth/chooselocation", nil},
		{"white label", func(c *oauth.Config) { c.WhiteLabel = true }, nil, "https://marketplace.leadconnectorhq.com/v2/oauth/chooselocation", nil},
		{"override", func(c *oauth.Config) { c.AuthURL = "http://127.0.0.1:9/oauth/chooselocation" }, nil, "http://127.0.0.1:9/oauth/chooselocation", nil},
		{"same tab", nil, []oauth2.AuthCodeOption{oauth.LoginInSameTab()}, "https://marketplace.gohighlevel.com/v2/oauth/chooselocation", url.Values{"loginWindowOpenMode": {"self"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := oauth.Config{
				ClientID: "client-1", ClientSecret: "secret", Store: oauth.NewMemoryStore(),
				RedirectURL: "https://app.example.com/cb?x=1",
				Scopes:      []string{"contacts.readonly", "contacts.write"},
			}
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			app, err := oauth.NewApp(cfg)
			if err != nil {
				t.Fatal(err)
			}
			raw := app.AuthCodeURL("st-123", tt.opts...)
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != tt.wantBase {
				t.Errorf("base = %q, want %q", got, tt.wantBase)
			}
			want := url.Values{
				"response_type": {"code"},
				"client_id":     {"client-1"},
				"redirect_uri":  {"https://app.example.com/cb?x=1"},
				"scope":         {"contacts.readonly contacts.write"},
				"state":         {"st-123"},
			}
			for k, v := range tt.extra {
				want[k] = v
			}
			if got := u.Query(); got.Encode() != want.Encode() {
				t.Errorf("query = %v, want %v", got, want)
			}
		})
	}
}

func TestState(t *testing.T) {
	t.Parallel()
	a, b := oauth.NewState(), oauth.NewState()
	if len(a) < 22 || a == b {
		t.Fatalf("NewState gave %q and %q; want distinct values of at least 128 bits", a, b)
	}
	if !oauth.VerifyState(a, a) {
		t.Error("VerifyState(a, a) = false")
	}
	// One spelling only: a case-folded, padded or spaced state decodes to the
	// same base32 bytes under a lenient decoder, and is still refused.
	respelled := [][2]string{{strings.ToLower(a), a}, {a + "=", a}, {a + "======", a}, {" " + a, a}, {a + "\n", a}}
	for _, tc := range append([][2]string{{b, a}, {"", a}, {a[:len(a)-1], a}, {"", ""}, {a, ""}}, respelled...) {
		if oauth.VerifyState(tc[0], tc[1]) {
			t.Errorf("VerifyState(%q, %q) = true", tc[0], tc[1])
		}
	}
}

func TestExchange(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.install(t)

	reqs := e.srv.log()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/oauth/token" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
	if h := r.Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q; client credentials belong in the body", h)
	}
	wantForm := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"code-1"},
		"user_type":     {"Location"},
		"redirect_uri":  {"https://app.example.com/oauth/callback"},
		"client_id":     {"client-1"},
		"client_secret": {"secret-1"},
	}
	if r.Form.Encode() != wantForm.Encode() {
		t.Errorf("form = %v, want %v", r.Form, wantForm)
	}

	now := e.clock.Now()
	if tok.AccessToken != "at-1" || tok.RefreshToken != "rt-1" || tok.TokenType != "Bearer" {
		t.Errorf("token = %+v", *tok)
	}
	if !tok.Expiry.Equal(now.Add(86399*time.Second)) || !tok.IssuedAt.Equal(now) {
		t.Errorf("Expiry = %v, IssuedAt = %v; want now+86399s and now (%v)", tok.Expiry, tok.IssuedAt, now)
	}
	if tok.UserType != oauth.UserTypeLocation || tok.LocationID != "loc-1" || tok.CompanyID != "co-1" || tok.UserID != "user-1" {
		t.Errorf("metadata = %v %q %q %q", tok.UserType, tok.LocationID, tok.CompanyID, tok.UserID)
	}
	if !tok.HasScope("contacts.write") || !tok.HasScope("contacts.readonly") || tok.HasScope("contacts") || len(tok.Scopes) != 2 {
		t.Errorf("Scopes = %q", tok.Scopes)
	}
	if tok.Key() != "loc-1" {
		t.Errorf("Key = %q", tok.Key())
	}
	stored, err := e.store.Load(context.Background(), "loc-1")
	if err != nil || stored.RefreshToken != "rt-1" || stored.AccessToken != "at-1" {
		t.Fatalf("stored = %v, %v", stored, err)
	}
}

func TestExchangeCompany(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.addCode("c", grant{userType: "Company", companyID: "co-9", scopes: "oauth.write"})
	tok, err := e.app.Exchange(context.Background(), "c", oauth.UserTypeCompany)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Key() != "co-9" || tok.UserType != oauth.UserTypeCompany {
		t.Fatalf("Key = %q, UserType = %q", tok.Key(), tok.UserType)
	}
	if _, err := e.store.Load(context.Background(), "co-9"); err != nil {
		t.Fatalf("company token not stored under its company: %v", err)
	}
}

func TestExchangeBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		code string
		ut   oauth.UserType
	}{{"", oauth.UserTypeLocation}, {"  ", oauth.UserTypeLocation}, {"c", ""}, {"c", "location"}} {
		if _, err := e.app.Exchange(ctx, tc.code, tc.ut); err == nil {
			t.Errorf("Exchange(%q, %q) = nil error", tc.code, tc.ut)
		}
	}
	if n := len(e.srv.log()); n != 0 {
		t.Fatalf("%d requests sent for bad input", n)
	}
}

func TestExchangeRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := e.app.Exchange(context.Background(), "unknown", oauth.UserTypeLocation)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || re.Response.StatusCode != http.StatusBadRequest {
		t.Fatalf("err = %v; want *oauth2.RetrieveError invalid_grant 400", err)
	}
	if strings.Contains(err.Error(), e.srv.secret) {
		t.Fatalf("error reveals the client secret: %v", err)
	}
	if _, err := e.store.Load(context.Background(), "loc-1"); !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("store has a token after a refused exchange: %v", err)
	}
}

func TestExchangeCanceled(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.addCode("code-1", locGrant)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.app.Exchange(ctx, "code-1", oauth.UserTypeLocation); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestExchangeSaveFails(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.store.failSave.Store(true)
	e.srv.addCode("code-1", locGrant)
	tok, err := e.app.Exchange(context.Background(), "code-1", oauth.UserTypeLocation)
	if !errors.Is(err, oauth.ErrTokenNotSaved) || !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want ErrTokenNotSaved wrapping the store's error", err)
	}
	if tok == nil || tok.AccessToken != "at-1" {
		t.Fatalf("token = %v; Exchange must return the unsaved token", tok)
	}
	ts, _ := e.app.TokenSource(context.Background(), "loc-1")
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrTokenNotSaved) {
		t.Fatalf("Token while the store fails = %v, want ErrTokenNotSaved", err)
	}
	e.store.failSave.Store(false)
	got, err := ts.Token()
	if err != nil || got.AccessToken != "at-1" {
		t.Fatalf("Token after the store recovered = %v, %v", got, err)
	}
	if stored, err := e.store.Load(context.Background(), "loc-1"); err != nil || stored.RefreshToken != "rt-1" {
		t.Fatalf("stored = %v, %v", stored, err)
	}
	if n := e.srv.tokenCalls.Load(); n != 1 {
		t.Fatalf("%d token calls, want 1", n)
	}
}

func TestTokenRedaction(t *testing.T) {
	t.Parallel()
	tok := oauth.Token{AccessToken: "secret-access", RefreshToken: "secret-refresh", LocationID: "loc-1", UserType: oauth.UserTypeLocation}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("tok", "token", tok, "ptr", &tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", &tok, tok, tok, &tok), logBuf.String()} {
		if strings.Contains(s, "secret-") {
			t.Errorf("output reveals a secret: %s", s)
		}
		if !strings.Contains(s, "loc-1") {
			t.Errorf("output lacks the location: %s", s)
		}
	}
	k := oauth.EncryptionKey{ID: 1, Key: []byte("0123456789abcdef0123456789abcdef")}
	if s := fmt.Sprintf("%v %+v %#v", k, k, k); strings.Contains(s, "0123456789") {
		t.Errorf("EncryptionKey printed its key: %s", s)
	}
}

func TestTokenOAuth2(t *testing.T) {
	t.Parallel()
	exp := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := &oauth.Token{
		AccessToken: "a", RefreshToken: "r", Expiry: exp, Scopes: []string{"contacts.readonly", "contacts.write"},
		UserType: oauth.UserTypeLocation, LocationID: "loc", CompanyID: "co", UserID: "u",
	}
	ot := tok.OAuth2()
	if ot.AccessToken != "a" || ot.RefreshToken != "" || ot.Type() != "Bearer" || !ot.Expiry.Equal(exp) {
		t.Fatalf("OAuth2() = %+v; want the access token, no refresh token", ot)
	}
	for k, want := range map[string]string{"scope": "contacts.readonly contacts.write", "userType": "Location", "locationId": "loc", "companyId": "co", "userId": "u"} {
		if got := ot.Extra(k); got != want {
			t.Errorf("Extra(%q) = %v, want %q", k, got, want)
		}
	}
}
