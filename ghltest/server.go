package ghltest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl/internal/httpbody"
)

// APIVersion is the value of the Version header the server requires on
// every Contacts API request (the only one apps/contacts.json allows).
const APIVersion = "2021-07-28"

// Default rate limits, as HighLevel documents them: 100 requests per 10
// seconds and 200,000 per day, per location.
const (
	DefaultRateLimitMax    = 100
	DefaultRateLimitWindow = 10 * time.Second
	DefaultRateLimitDaily  = 200000
)

// DefaultAccessTokenLifetime is how long tokens issued by the OAuth
// endpoints stay valid: a day, as in HighLevel (expires_in 86399).
const DefaultAccessTokenLifetime = 86399 * time.Second

// maxBody caps request bodies; HighLevel rejects much smaller ones anyway.
const maxBody = 10 << 20

// Scopes the Contacts API knows. They are separate, as in HighLevel: a token
// with only contacts.write cannot read, one with only contacts.readonly
// cannot write.
const (
	ScopeContactsReadOnly = "contacts.readonly"
	ScopeContactsWrite    = "contacts.write"
	ScopeOAuthWrite       = "oauth.write"
	ScopeOAuthReadOnly    = "oauth.readonly"
)

// Server is an in-memory HighLevel Contacts API v2 server listening on
// loopback. Create it with NewServer and stop it with Close. All its
// methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, http://127.0.0.1:port, with no
	// trailing slash. Use it as the SDK's base URL.
	URL string

	ts            *httptest.Server
	now           func() time.Time
	rate          rateConfig
	tokenLifetime time.Duration
	hooks         *hookQueue

	mu            sync.Mutex
	ids           *idGen // resource IDs: contacts, tasks, notes...
	secrets       *idGen // tokens, codes, webhook IDs: kept apart so they do not shift resource IDs
	faultRand     *rand.Rand
	tokens        map[string]*token
	locations     map[string]*locationState
	contacts      map[string]*contactRec
	businesses    map[string]*Business
	requests      []Request
	faults        []*faultState
	buckets       map[string]*bucket
	oauth         oauthState
	tokenRequests int
}

// config collects what options set before the server starts.
type config struct {
	seed          int64
	now           func() time.Time
	rate          rateConfig
	tokenLifetime time.Duration
	hook          hookConfig
}

// Option configures a Server. Options panic on invalid values, since they
// are programming errors in a test.
type Option func(*config)

// WithSeed sets the seed of the ID generator (default 1). Two servers with
// the same seed that receive the same calls in the same order hand out the
// same IDs.
func WithSeed(seed int64) Option {
	return func(c *config) { c.seed = seed }
}

// WithClock sets the clock used for dates, token expiry, rate-limit windows
// and webhook timestamps (default time.Now). Tests move a fake clock to
// expire tokens or reset rate-limit windows without sleeping. It stays
// because testing/synctest cannot stand in: the server is a real loopback
// HTTP server, and a synctest bubble's clock does not advance while a
// goroutine waits on the network.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("ghltest: WithClock: nil clock")
	}
	return func(c *config) { c.now = now }
}

// WithRateLimit sets the per-location limits: max requests per window and
// daily requests per UTC day. The defaults are HighLevel's (100 per 10 s,
// 200,000 per day).
func WithRateLimit(max int, window time.Duration, daily int) Option {
	if max <= 0 || window <= 0 || daily <= 0 {
		panic(fmt.Sprintf("ghltest: WithRateLimit(%d, %v, %d): values must be positive", max, window, daily))
	}
	return func(c *config) { c.rate = rateConfig{enabled: true, max: max, window: window, daily: daily} }
}

// WithoutRateLimit turns rate limiting off; responses then carry no
// X-RateLimit-* headers.
func WithoutRateLimit() Option {
	return func(c *config) { c.rate.enabled = false }
}

// WithAccessTokenLifetime sets how long tokens issued by the OAuth
// endpoints stay valid (default DefaultAccessTokenLifetime). Tokens added
// with AddToken never expire.
func WithAccessTokenLifetime(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("ghltest: WithAccessTokenLifetime(%v): must be positive", d))
	}
	return func(c *config) { c.tokenLifetime = d }
}

// NewServer starts a server on 127.0.0.1 and returns it. Call Close when
// done, typically with t.Cleanup(srv.Close).
func NewServer(opts ...Option) *Server {
	cfg := config{
		seed:          1,
		now:           time.Now,
		rate:          rateConfig{enabled: true, max: DefaultRateLimitMax, window: DefaultRateLimitWindow, daily: DefaultRateLimitDaily},
		tokenLifetime: DefaultAccessTokenLifetime,
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		now:           cfg.now,
		rate:          cfg.rate,
		tokenLifetime: cfg.tokenLifetime,
		ids:           newIDGen(cfg.seed, 1),
		secrets:       newIDGen(cfg.seed, 2),
		faultRand:     rand.New(rand.NewPCG(uint64(cfg.seed), 3)),
		tokens:        make(map[string]*token),
		locations:     make(map[string]*locationState),
		contacts:      make(map[string]*contactRec),
		businesses:    make(map[string]*Business),
		buckets:       make(map[string]*bucket),
		oauth:         newOAuthState(),
	}
	s.hooks = newHookQueue(s, cfg.hook)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// Close shuts the server down, waits for in-flight requests and stops
// webhook delivery (events not yet delivered are dropped).
func (s *Server) Close() {
	s.ts.Close()
	s.hooks.close()
}

// Client returns an *http.Client configured for the server (no proxy).
func (s *Server) Client() *http.Client {
	return s.ts.Client()
}

// clock returns the current time of the server's clock, to the millisecond.
func (s *Server) clock() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}

// token is a bearer token the server accepts.
type token struct {
	value      string
	locationID string // empty for Company (agency) tokens
	companyID  string
	userType   string // "Location" or "Company"
	userID     string
	clientID   string // OAuth client that obtained it; empty for AddToken
	scopes     map[string]bool
	expires    time.Time // zero: never
	install    *Install  // OAuth install it came from; nil for AddToken
}

func (t *token) has(scope string) bool { return t.scopes[scope] }

func (t *token) scopeString() string {
	var b strings.Builder
	for _, sc := range sortedKeys(t.scopes) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sc)
	}
	return b.String()
}

// AddToken registers a bearer token for locationID with the given scopes
// (for example ScopeContactsReadOnly, ScopeContactsWrite). A token without
// contacts scopes is rejected on every Contacts route. Adding a token again
// replaces it.
func (s *Server) AddToken(tok, locationID string, scopes ...string) {
	if tok == "" || locationID == "" {
		panic("ghltest: AddToken: token and locationID must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.location(locationID)
	s.tokens[tok] = &token{value: tok, locationID: locationID, userType: "Location", scopes: scopeSet(scopes)}
}

// AddCompanyToken registers an agency (Company) bearer token for companyID,
// as obtained with user_type=Company. With ScopeOAuthWrite it can call
// POST /oauth/locationToken; it has no access to any location's contacts.
func (s *Server) AddCompanyToken(tok, companyID string, scopes ...string) {
	if tok == "" || companyID == "" {
		panic("ghltest: AddCompanyToken: token and companyID must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = &token{value: tok, companyID: companyID, userType: "Company", scopes: scopeSet(scopes)}
}

// RevokeToken makes an access or refresh token invalid, as an app
// uninstall does: the API then answers 401 and the token endpoint
// invalid_grant.
func (s *Server) RevokeToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tok)
	if rt, ok := s.oauth.refresh[tok]; ok {
		rt.used = true
	}
}

func scopeSet(scopes []string) map[string]bool {
	m := make(map[string]bool, len(scopes))
	for _, sc := range scopes {
		for _, f := range strings.Fields(sc) {
			m[f] = true
		}
	}
	return m
}

// Request is one request the server received, as recorded in its log.
// Secrets are redacted: the Authorization header's credentials, cookies,
// and the client_secret, code and refresh_token form fields of OAuth calls.
type Request struct {
	Method string
	Path   string // unescaped path, e.g. /contacts/abc/tasks
	Query  map[string][]string
	Header http.Header
	Body   []byte
	Time   time.Time // server clock when received
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = copyRequest(r)
	}
	return out
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func copyRequest(r Request) Request {
	q := make(map[string][]string, len(r.Query))
	for k, v := range r.Query {
		q[k] = append([]string(nil), v...)
	}
	r.Query = q
	r.Header = r.Header.Clone()
	r.Body = append([]byte(nil), r.Body...)
	return r
}

const redacted = "REDACTED"

func (s *Server) logRequest(r *http.Request, body []byte) {
	h := r.Header.Clone()
	if a := h.Get("Authorization"); a != "" {
		scheme, _, _ := strings.Cut(a, " ")
		h.Set("Authorization", scheme+" "+redacted)
	}
	for _, k := range []string{"Cookie", "Proxy-Authorization"} {
		if h.Get(k) != "" {
			h.Set(k, redacted)
		}
	}
	logged := append([]byte(nil), body...)
	if strings.HasPrefix(r.URL.Path, "/oauth/") {
		logged = redactForm(r.Header.Get("Content-Type"), logged)
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  q,
		Header: h,
		Body:   logged,
		Time:   s.clock(),
	})
}

// ServeHTTP serves the API. NewServer already listens; ServeHTTP lets the
// server also be mounted elsewhere (with httpmock, for example). Dropped
// connections need a ResponseWriter that implements http.Hijacker; without
// one the handler aborts with http.ErrAbortHandler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := httpbody.Read(r.Body, r.ContentLength, maxBody+1)
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read request body")
		return
	}
	s.logRequest(r, body)
	if len(body) > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "request entity too large")
		return
	}
	if f, ok := s.takeFault(r.Method, r.URL.Path); ok {
		if !s.applyFault(w, r, body, f) {
			return
		}
	}
	s.serve(w, r, body)
}

// serve routes one request through auth, rate limiting, the Version
// header check, scope check and its handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	switch r.URL.Path {
	case "/oauth/token":
		s.handleOAuthToken(w, r, body)
		return
	case "/oauth/locationToken":
		s.handleLocationToken(w, r, body)
		return
	case "/oauth/installedLocations":
		s.handleInstalledLocations(w, r)
		return
	}
	rt, params, ok := matchRoute(r.Method, r.URL.EscapedPath())
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
		return
	}
	tok, ok := s.authenticate(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, msgInvalidToken)
		return
	}
	if !s.limit(w, tok) {
		return
	}
	if !checkVersion(w, r) {
		return
	}
	need := ScopeContactsReadOnly
	if rt.write {
		need = ScopeContactsWrite
	}
	// The scopes are separate, as in HighLevel: contacts.write does not
	// grant reads.
	if !tok.has(need) {
		writeError(w, http.StatusUnauthorized, msgScope)
		return
	}
	if tok.locationID == "" {
		writeError(w, http.StatusForbidden, msgLocationAccess)
		return
	}
	c := &call{r: r, body: body, params: params, tok: tok}
	// Handlers run under the lock and render their response into c; it is
	// written after the lock is released so a slow client blocks no one.
	s.mu.Lock()
	rt.handler(s, c)
	s.mu.Unlock()
	c.flush(w)
}

// Error messages HighLevel returns.
const (
	msgInvalidToken   = "Invalid token: access token is invalid"
	msgScope          = "The token is not authorized for this scope."
	msgLocationAccess = "The token does not have access to this location."
	msgNoVersion      = "Version header was not found"
	msgBadVersion     = "Version header is invalid"
)

// authenticate finds the bearer token of r; expired tokens do not count.
func (s *Server) authenticate(r *http.Request) (*token, bool) {
	v, ok := bearer(r)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[v]
	if !ok {
		return nil, false
	}
	if !tok.expires.IsZero() && !s.clock().Before(tok.expires) {
		return nil, false
	}
	return tok, true
}

func bearer(r *http.Request) (string, bool) {
	a := r.Header.Get("Authorization")
	scheme, v, ok := strings.Cut(a, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

func checkVersion(w http.ResponseWriter, r *http.Request) bool {
	v := r.Header.Get("Version")
	switch v {
	case APIVersion:
		return true
	case "":
		writeError(w, http.StatusBadRequest, msgNoVersion)
	default:
		writeError(w, http.StatusBadRequest, msgBadVersion)
	}
	return false
}
