package oauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeHL is a minimal HighLevel token server for unit tests: rotating,
// single-use refresh tokens, authorization codes, /oauth/locationToken and a
// request log. The ghltest-based tests cover the shared fake server.
type fakeHL struct {
	*httptest.Server
	t        *testing.T
	clientID string
	secret   string
	lifetime int // seconds, expires_in

	tokenCalls    atomic.Int64
	locationCalls atomic.Int64

	mu       sync.Mutex
	n        int
	codes    map[string]grant
	refresh  map[string]grant // live refresh tokens
	access   map[string]grant // live access tokens
	requests []fakeRequest
	// block, when set, is received from before answering /oauth/token.
	block chan struct{}
	// failNext answers the next n /oauth/token calls with this status.
	failStatus int
	failCount  int
	failBody   string // the failure's body; default {"statusCode", "message": "boom"}
	// locationRefresh makes /oauth/locationToken include a refresh token.
	locationRefresh bool
}

type grant struct {
	userType   string
	locationID string
	companyID  string
	scopes     string
}

type fakeRequest struct {
	Method string
	Path   string
	Header http.Header
	Form   url.Values
}

func newFakeHL(t *testing.T) *fakeHL {
	t.Helper()
	f := &fakeHL{
		t: t, clientID: "client-1", secret: "secret-1", lifetime: 86399,
		codes: map[string]grant{}, refresh: map[string]grant{}, access: map[string]grant{},
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeHL) addCode(code string, g grant) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[code] = g
}

func (f *fakeHL) revokeAccess(at string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.access, at)
}

func (f *fakeHL) refreshLive(rt string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.refresh[rt]
	return ok
}

func (f *fakeHL) failNext(status, count int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failStatus, f.failCount = status, count
}

func (f *fakeHL) log() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *fakeHL) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: r.PostForm})
	block := f.block
	f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
		f.tokenCalls.Add(1)
		if block != nil {
			<-block
		}
		f.token(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/oauth/locationToken":
		f.locationCalls.Add(1)
		f.locationToken(w, r)
	case r.URL.Path == "/whoami":
		f.mu.Lock()
		g, ok := f.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Invalid JWT"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"locationId": g.locationID})
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeHL) issue(g grant, withRefresh bool) map[string]any {
	f.n++
	at := fmt.Sprintf("at-%d", f.n)
	f.access[at] = g
	resp := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   f.lifetime,
		"scope":        g.scopes,
		"userType":     g.userType,
		"companyId":    g.companyID,
		"userId":       "user-1",
	}
	if g.locationID != "" {
		resp["locationId"] = g.locationID
	}
	if withRefresh {
		rt := fmt.Sprintf("rt-%d", f.n)
		f.refresh[rt] = g
		resp["refresh_token"] = rt
	}
	return resp
}

func (f *fakeHL) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failCount > 0 {
		f.failCount--
		if f.failBody != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.failStatus)
			fmt.Fprint(w, f.failBody)
			return
		}
		writeJSON(w, f.failStatus, map[string]any{"statusCode": f.failStatus, "message": "boom"})
		return
	}
	if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.secret {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g, ok := f.codes[r.PostForm.Get("code")]
		if !ok || r.PostForm.Get("user_type") != g.userType {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "bad code"})
			return
		}
		delete(f.codes, r.PostForm.Get("code"))
		writeJSON(w, http.StatusOK, f.issue(g, true))
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		g, ok := f.refresh[rt]
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "Invalid refresh token"})
			return
		}
		delete(f.refresh, rt)
		writeJSON(w, http.StatusOK, f.issue(g, true))
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
	}
}

func (f *fakeHL) locationToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !ok || g.userType != "Company" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Invalid JWT", "error": "Unauthorized"})
		return
	}
	if r.Header.Get("Version") != "2021-07-28" || r.PostForm.Get("companyId") != g.companyID {
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": []string{"bad request"}, "error": "Bad Request"})
		return
	}
	lg := grant{userType: "Location", locationID: r.PostForm.Get("locationId"), companyID: g.companyID, scopes: g.scopes}
	resp := f.issue(lg, f.locationRefresh)
	delete(resp, "userType")
	delete(resp, "companyId")
	writeJSON(w, http.StatusOK, resp)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
