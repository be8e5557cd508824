package ghltest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

const (
	loc   = "loc1"
	tokRW = "token-rw"
	tokRO = "token-ro"
)

// newServer starts a server with a read-write and a read-only token for
// loc; rate limits are off unless opts turn them on again.
func newServer(t *testing.T, opts ...ghltest.Option) *ghltest.Server {
	t.Helper()
	srv := ghltest.NewServer(append([]ghltest.Option{ghltest.WithoutRateLimit()}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddToken(tokRW, loc, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	srv.AddToken(tokRO, loc, ghltest.ScopeContactsReadOnly)
	return srv
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// obj decodes the body as a JSON object.
func (r result) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

func noVersion(r *http.Request) { r.Header.Del("Version") }

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// do sends one request with the token and Version header. body is nil, a
// string (sent raw) or a value encoded as JSON.
func do(t *testing.T, srv *ghltest.Server, method, path, tok string, body any, opts ...reqOpt) result {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Version", ghltest.APIVersion)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

// wantJSON checks status and that the body equals want (a JSON text).
func wantJSON(t *testing.T, r result, status int, want string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var got, exp any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("body =\n%s\nwant\n%s", r.body, want)
	}
}

// wantStatus checks the status only.
func wantStatus(t *testing.T, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
