package ghl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

const testToken = "pit-secret-token-123"

// fastRetry keeps retry waits in the millisecond range.
var fastRetry = ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}

// newMocked returns a client whose transport is an httpmock under the retry
// and pacing layers, so that those layers run in the test.
func newMocked(t *testing.T, opts ...ghl.Option) (*ghl.Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	base := []ghl.Option{
		ghl.WithToken(testToken),
		ghl.WithBaseURL("https://ghl.test"),
		ghl.WithHTTPClient(&http.Client{Transport: mock}),
		ghl.WithRetry(fastRetry),
		ghl.WithoutRateLimit(),
	}
	c, err := ghl.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mock
}

type listOpts struct {
	LocationID string `url:"locationId"`
	Limit      int    `url:"limit,omitempty"`
	Query      string `url:"query,omitempty"`
}

func TestDoSendsHeadersQueryAndJSON(t *testing.T) {
	t.Parallel()
	c, mock := newMocked(t)
	var got *http.Request
	var gotBody []byte
	mock.RegisterResponder(http.MethodPost, "https://ghl.test/contacts/abc/notes", func(r *http.Request) (*http.Response, error) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		return httpmock.NewStringResponse(201, `{"note":{"id":"n1"}}`), nil
	})
	var out struct {
		Note struct {
			ID string `json:"id"`
		} `json:"note"`
	}
	path, err := ghl.Path("/contacts/%s/notes", "abc")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), &ghl.Request{
		Method: http.MethodPost,
		Path:   path,
		Query:  listOpts{LocationID: "loc 1", Query: "a&b"},
		Body:   map[string]string{"body": "<b>hi</b> & bye"},
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || out.Note.ID != "n1" {
		t.Fatalf("status %d id %q", resp.StatusCode, out.Note.ID)
	}
	want := map[string]string{
		"Authorization": "Bearer " + testToken,
		"Version":       "2021-07-28",
		"Accept":        "application/json",
		"User-Agent":    "ghlkit/" + ghl.Version,
		"Content-Type":  "application/json",
	}
	for k, v := range want {
		if g := got.Header.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
	if q := got.URL.RawQuery; q != "locationId=loc+1&query=a%26b" {
		t.Errorf("query = %q", q)
	}
	if string(gotBody) != `{"body":"<b>hi</b> & bye"}` {
		t.Errorf("body = %s", gotBody)
	}
}

func TestGetSendsNoBodyOrContentType(t *testing.T) {
	t.Parallel()
	c, mock := newMocked(t, ghl.WithAPIVersion("2099-01-01"))
	mock.RegisterResponder(http.MethodGet, "https://ghl.test/contacts/x", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Content-Type") != "" || r.ContentLength > 0 {
			t.Errorf("GET carried a body: %q %d", r.Header.Get("Content-Type"), r.ContentLength)
		}
		if r.Header.Get("Version") != "2099-01-01" {
			t.Errorf("Version = %q", r.Header.Get("Version"))
		}
		return httpmock.NewStringResponse(200, ""), nil
	})
	var v map[string]any
	if _, err := c.Do(context.Background(), &ghl.Request{Method: "GET", Path: "/contacts/x"}, &v); err != nil {
		t.Fatalf("empty body must decode: %v", err)
	}
}

func TestPathEscapesSegments(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", ".", ".."} {
		if _, err := ghl.Path("/contacts/%s/tasks", bad); !errors.Is(err, ghl.ErrInvalidParam) {
			t.Errorf("Path(%q) err = %v, want ErrInvalidParam", bad, err)
		}
	}
	if _, err := ghl.Path("/contacts/%s/tasks/%s", "a"); err == nil {
		t.Error("a missing segment must fail")
	}

	// The server must see each ID inside its own segment.
	var seen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.RequestURI)
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(srv.URL), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"a/b":      "/contacts/a%2Fb/tasks",
		"../x":     "/contacts/..%2Fx/tasks",
		"x?y=1#z":  "/contacts/x%3Fy=1%23z/tasks",
		"%2e%2e":   "/contacts/%252e%252e/tasks",
		"id with ": "/contacts/id%20with%20/tasks",
	}
	for id, want := range cases {
		p, err := ghl.Path("/contacts/%s/tasks", id)
		if err != nil {
			t.Fatalf("Path(%q): %v", id, err)
		}
		if _, err := c.Do(context.Background(), &ghl.Request{Path: p}, nil); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := seen[len(seen)-1]
		mu.Unlock()
		if got != want {
			t.Errorf("ID %q reached %q, want %q", id, got, want)
		}
	}
}

func TestAPIErrorDecodesBothMessageShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		status   int
		body     string
		message  string
		messages []string
		errName  string
		is       error
	}{
		{"string", 401, `{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`,
			"Invalid token: access token is invalid", []string{"Invalid token: access token is invalid"}, "Unauthorized", ghl.ErrUnauthorized},
		{"array", 422, `{"statusCode":422,"message":["title must be a string","dueDate must be a valid ISO 8601 date string"],"error":"Unprocessable Entity"}`,
			"title must be a string; dueDate must be a valid ISO 8601 date string", []string{"title must be a string", "dueDate must be a valid ISO 8601 date string"}, "Unprocessable Entity", nil},
		{"not found", 404, `{"statusCode":404,"message":"Task not found"}`, "Task not found", []string{"Task not found"}, "", ghl.ErrNotFound},
		{"not json", 400, `<html>bad gateway</html>`, "", nil, "", nil},
		{"error only", 403, `{"error":"Forbidden"}`, "Forbidden", nil, "Forbidden", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mock := newMocked(t)
			mock.RegisterResponder("GET", "https://ghl.test/contacts/x", httpmock.NewStringResponder(tc.status, tc.body))
			_, err := c.Do(context.Background(), &ghl.Request{Path: "/contacts/x"}, nil)
			var apiErr *ghl.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Message != tc.message || apiErr.ErrorName != tc.errName ||
				strings.Join(apiErr.Messages, "|") != strings.Join(tc.messages, "|") || string(apiErr.Body) != tc.body {
				t.Errorf("got %+v", apiErr)
			}
			if apiErr.Method != "GET" || apiErr.Path != "/contacts/x" {
				t.Errorf("method/path = %s %s", apiErr.Method, apiErr.Path)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(err, %v) = false", tc.is)
			}
			if ghl.IsNotFound(err) != (tc.status == 404) || ghl.IsUnauthorized(err) != (tc.status == 401) {
				t.Errorf("helpers disagree with status %d", tc.status)
			}
		})
	}
}

// dialErr is what net/http returns when no connection could be opened.
var dialErr = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}

// resetErr is a failure after the request was written.
var resetErr = &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	type step struct {
		status int
		err    error
	}
	cases := []struct {
		name      string
		method    string
		readOnly  bool
		steps     []step // what each attempt gets; the last one repeats
		attempts  int
		wantErr   error
		wantAPI   int // status of the returned *APIError, 0 for none
		succeeded bool
	}{
		{"GET 500 then ok", "GET", false, []step{{status: 500}, {status: 200}}, 2, nil, 0, true},
		{"GET 502 exhausted", "GET", false, []step{{status: 502}}, 3, nil, 502, false},
		{"GET 503", "GET", false, []step{{status: 503}, {status: 200}}, 2, nil, 0, true},
		{"GET 504", "GET", false, []step{{status: 504}, {status: 200}}, 2, nil, 0, true},
		{"GET 429", "GET", false, []step{{status: 429}, {status: 200}}, 2, nil, 0, true},
		{"GET reset", "GET", false, []step{{err: resetErr}, {status: 200}}, 2, nil, 0, true},
		{"GET 400 not retried", "GET", false, []step{{status: 400}}, 1, nil, 400, false},
		{"GET 404 not retried", "GET", false, []step{{status: 404}}, 1, ghl.ErrNotFound, 404, false},
		{"GET 501 not retried", "GET", false, []step{{status: 501}}, 1, nil, 501, false},
		{"PUT 500", "PUT", false, []step{{status: 500}, {status: 200}}, 2, nil, 0, true},
		{"DELETE 503", "DELETE", false, []step{{status: 503}, {status: 200}}, 2, nil, 0, true},
		{"PUT reset", "PUT", false, []step{{err: resetErr}, {status: 200}}, 2, nil, 0, true},
		{"POST 429", "POST", false, []step{{status: 429}, {status: 201}}, 2, nil, 0, true},
		{"POST 429 exhausted", "POST", false, []step{{status: 429}}, 3, ghl.ErrRateLimited, 429, false},
		{"POST dial error", "POST", false, []step{{err: dialErr}, {status: 201}}, 2, nil, 0, true},
		{"POST DNS error", "POST", false, []step{{err: &net.DNSError{Err: "no such host", Name: "ghl.test"}}, {status: 201}}, 2, nil, 0, true},
		{"POST reset", "POST", false, []step{{err: resetErr}}, 1, ghl.ErrOutcomeUnknown, 0, false},
		{"POST EOF", "POST", false, []step{{err: io.ErrUnexpectedEOF}}, 1, ghl.ErrOutcomeUnknown, 0, false},
		{"POST 500", "POST", false, []step{{status: 500}}, 1, ghl.ErrOutcomeUnknown, 500, false},
		{"POST 502", "POST", false, []step{{status: 502}}, 1, ghl.ErrOutcomeUnknown, 502, false},
		{"POST 503", "POST", false, []step{{status: 503}}, 1, ghl.ErrOutcomeUnknown, 503, false},
		{"POST 504", "POST", false, []step{{status: 504}}, 1, ghl.ErrOutcomeUnknown, 504, false},
		{"POST 422", "POST", false, []step{{status: 422}}, 1, nil, 422, false},
		{"read-only POST 500", "POST", true, []step{{status: 500}, {status: 200}}, 2, nil, 0, true},
		{"read-only POST reset", "POST", true, []step{{err: resetErr}, {status: 200}}, 2, nil, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mock := newMocked(t)
			var calls atomic.Int32
			mock.RegisterResponder(tc.method, "https://ghl.test/contacts/search", func(r *http.Request) (*http.Response, error) {
				n := int(calls.Add(1))
				s := tc.steps[min(n, len(tc.steps))-1]
				if s.err != nil {
					return nil, s.err
				}
				return httpmock.NewStringResponse(s.status, `{"statusCode":`+http.StatusText(s.status)+`,"message":"m"}`), nil
			})
			_, err := c.Do(context.Background(), &ghl.Request{Method: tc.method, Path: "/contacts/search", Body: map[string]int{"pageLimit": 1}, ReadOnly: tc.readOnly}, nil)
			if got := int(calls.Load()); got != tc.attempts {
				t.Errorf("attempts = %d, want %d", got, tc.attempts)
			}
			if tc.succeeded != (err == nil) {
				t.Fatalf("err = %v, want success %v", err, tc.succeeded)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.wantErr)
			}
			if ghl.IsRateLimited(err) != (tc.wantAPI == http.StatusTooManyRequests) {
				t.Errorf("IsRateLimited(%v) = %v", err, ghl.IsRateLimited(err))
			}
			if tc.wantErr == nil && errors.Is(err, ghl.ErrOutcomeUnknown) {
				t.Errorf("err = %v must not claim an unknown outcome", err)
			}
			var apiErr *ghl.APIError
			if errors.As(err, &apiErr) != (tc.wantAPI != 0) || tc.wantAPI != 0 && apiErr.StatusCode != tc.wantAPI {
				t.Errorf("err = %v, want *APIError %d", err, tc.wantAPI)
			}
		})
	}
}

func TestRetryAfterIsCappedAndContextStopsTheWait(t *testing.T) {
	t.Parallel()
	// Retry-After says an hour; MaxWait caps it to milliseconds.
	c, mock := newMocked(t)
	var calls atomic.Int32
	mock.RegisterResponder("GET", "https://ghl.test/x", func(*http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			r := httpmock.NewStringResponse(429, `{}`)
			r.Header.Set("Retry-After", "3600")
			return r, nil
		}
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Do(ctx, &ghl.Request{Path: "/x"}, nil); err != nil {
		t.Fatalf("err = %v (Retry-After was not capped)", err)
	}

	// With a long MaxWait, cancelling the context ends the wait at once.
	c2, mock2 := newMocked(t, ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Hour, MaxWait: time.Hour}))
	ctx2, cancel2 := context.WithCancel(context.Background())
	mock2.RegisterResponder("GET", "https://ghl.test/x", func(*http.Request) (*http.Response, error) {
		cancel2()
		r := httpmock.NewStringResponse(503, `{}`)
		r.Header.Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
		return r, nil
	})
	_, err := c2.Do(ctx2, &ghl.Request{Path: "/x"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := mock2.GetTotalCallCount(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func TestCancelledContextReturnsCtxErr(t *testing.T) {
	t.Parallel()
	c, mock := newMocked(t)
	mock.RegisterResponder("GET", "https://ghl.test/x", httpmock.NewStringResponder(200, `{}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Do(ctx, &ghl.Request{Path: "/x"}, nil); err != context.Canceled {
		t.Fatalf("err = %#v, want context.Canceled itself", err)
	}
}

func TestRateLimitStateIsExposed(t *testing.T) {
	t.Parallel()
	c, mock := newMocked(t)
	if rs := c.RateLimit(); rs.DailyRemaining != -1 {
		t.Fatalf("before any response DailyRemaining = %d", rs.DailyRemaining)
	}
	mock.RegisterResponder("GET", "https://ghl.test/x", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, `{}`)
		r.Header.Set("X-RateLimit-Max", "100")
		r.Header.Set("X-RateLimit-Remaining", "97")
		r.Header.Set("X-RateLimit-Interval-Milliseconds", "10000")
		r.Header.Set("X-RateLimit-Limit-Daily", "200000")
		r.Header.Set("X-RateLimit-Daily-Remaining", "199990")
		return r, nil
	})
	resp, err := c.Do(context.Background(), &ghl.Request{Path: "/x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := ghl.RateState{Max: 100, Remaining: 97, Interval: 10 * time.Second, DailyLimit: 200000, DailyRemaining: 199990}
	if resp.Rate != want || c.RateLimit() != want {
		t.Errorf("rate = %+v / %+v, want %+v", resp.Rate, c.RateLimit(), want)
	}
}

func TestPacingHoldsRequestsToTheLimit(t *testing.T) {
	t.Parallel()
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://ghl.test/x", httpmock.NewStringResponder(200, `{}`))
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL("https://ghl.test"),
		ghl.WithHTTPClient(&http.Client{Transport: mock}), ghl.WithRateLimit(2, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.Do(context.Background(), &ghl.Request{Path: "/x"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The third request in the hour must wait; the context ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Do(ctx, &ghl.Request{Path: "/x"}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third request err = %v, want it held until the deadline", err)
	}
	if n := mock.GetTotalCallCount(); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

func TestScopeCheckRefusesWritesBeforeSending(t *testing.T) {
	t.Parallel()
	tok := (&oauth2.Token{AccessToken: "oauth-access", TokenType: "Bearer"}).
		WithExtra(map[string]any{"scope": "contacts.readonly locations.readonly"})
	mock := httpmock.NewMockTransport()
	mock.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
	c, err := ghl.NewClient(ghl.WithTokenSource(oauth2.StaticTokenSource(tok)), ghl.WithBaseURL("https://ghl.test"),
		ghl.WithHTTPClient(&http.Client{Transport: mock}), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		_, err := c.Do(context.Background(), &ghl.Request{Method: m, Path: "/contacts/a/tasks"}, nil)
		var se *ghl.ScopeError
		if !errors.As(err, &se) || se.Scope != "contacts.write" || !errors.Is(err, ghl.ErrMissingScope) ||
			!strings.Contains(err.Error(), "contacts.write") {
			t.Errorf("%s err = %v, want ScopeError naming contacts.write", m, err)
		}
	}
	if n := mock.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
	for _, r := range []*ghl.Request{{Path: "/contacts/a"}, {Method: "POST", Path: "/contacts/search", ReadOnly: true}} {
		if _, err := c.Do(context.Background(), r, nil); err != nil {
			t.Errorf("%s %s: %v", r.Method, r.Path, err)
		}
	}
}

// rotatingSource hands out a new token after InvalidateToken.
type rotatingSource struct {
	mu          sync.Mutex
	current     string
	invalidated []string
}

func (s *rotatingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &oauth2.Token{AccessToken: s.current}, nil
}

func (s *rotatingSource) InvalidateToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, tok)
	s.current = "fresh"
}

func TestUnauthorizedRenewsTokenOnce(t *testing.T) {
	t.Parallel()
	src := &rotatingSource{current: "stale"}
	mock := httpmock.NewMockTransport()
	var auths []string
	var mu sync.Mutex
	mock.RegisterResponder("POST", "https://ghl.test/contacts/a/notes", func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"body":"x"}` {
			t.Errorf("repeated body = %s", b)
		}
		if r.Header.Get("Authorization") == "Bearer fresh" {
			return httpmock.NewStringResponse(201, `{}`), nil
		}
		return httpmock.NewStringResponse(401, `{"statusCode":401,"message":"Invalid JWT"}`), nil
	})
	c, err := ghl.NewClient(ghl.WithTokenSource(src), ghl.WithBaseURL("https://ghl.test"),
		ghl.WithHTTPClient(&http.Client{Transport: mock}), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), &ghl.Request{Method: "POST", Path: "/contacts/a/notes", Body: map[string]string{"body": "x"}}, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Join(auths, ",") != "Bearer stale,Bearer fresh" || strings.Join(src.invalidated, ",") != "stale" {
		t.Errorf("auths %v invalidated %v", auths, src.invalidated)
	}

	// A token refused twice is reported, not retried forever.
	src.current = "also-bad"
	mock.RegisterResponder("GET", "https://ghl.test/x", httpmock.NewStringResponder(401, `{"message":"nope"}`))
	src2 := &rotatingSource{current: "bad"}
	c2, _ := ghl.NewClient(ghl.WithTokenSource(src2), ghl.WithBaseURL("https://ghl.test"),
		ghl.WithHTTPClient(&http.Client{Transport: mock}), ghl.WithoutRateLimit())
	before := mock.GetTotalCallCount()
	_, err = c2.Do(context.Background(), &ghl.Request{Path: "/x"}, nil)
	if !ghl.IsUnauthorized(err) || mock.GetTotalCallCount()-before != 2 {
		t.Errorf("err = %v after %d calls, want 401 after 2", err, mock.GetTotalCallCount()-before)
	}
}

func TestNoSecretInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mock := newMocked(t, ghl.WithLogger(logger))
	mock.RegisterResponder("GET", "https://ghl.test/a", httpmock.NewStringResponder(500, `{"message":"boom"}`))
	mock.RegisterResponder("GET", "https://ghl.test/b", httpmock.NewErrorResponder(resetErr))
	mock.RegisterResponder("POST", "https://ghl.test/c", httpmock.NewErrorResponder(resetErr))
	mock.RegisterResponder("GET", "https://ghl.test/d", httpmock.NewStringResponder(401, `{"message":"bad token"}`))
	var errs []string
	for _, r := range []*ghl.Request{{Path: "/a"}, {Path: "/b"}, {Method: "POST", Path: "/c"}, {Path: "/d"}} {
		_, err := c.Do(context.Background(), r, nil)
		if err == nil {
			t.Fatalf("%s: want an error", r.Path)
		}
		errs = append(errs, err.Error(), fmtV(err))
	}
	if logs.Len() == 0 {
		t.Fatal("the logger got nothing")
	}
	all := strings.Join(errs, "\n") + logs.String()
	if strings.Contains(all, testToken) {
		t.Fatalf("token leaked:\n%s", all)
	}
}

// WithLogger(nil) means "log nothing", as in every package: it is accepted,
// and it undoes an earlier WithLogger.
func TestWithLoggerNilLogsNothing(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mock := newMocked(t, ghl.WithLogger(logger), ghl.WithLogger(nil))
	mock.RegisterResponder("GET", "https://ghl.test/a", httpmock.NewStringResponder(500, `{"message":"boom"}`))
	if _, err := c.Do(context.Background(), &ghl.Request{Path: "/a"}, nil); err == nil {
		t.Fatal("want an error")
	}
	if logs.Len() != 0 {
		t.Errorf("logged after WithLogger(nil):\n%s", logs.String())
	}
}

func fmtV(err error) string {
	b, _ := json.Marshal(err)
	return string(b) + " " + strings.TrimSpace(err.Error())
}

func TestOptionsRefuseBadInput(t *testing.T) {
	t.Parallel()
	ok := ghl.WithToken("t")
	cases := map[string][]ghl.Option{
		"no credentials":      {},
		"empty token":         {ghl.WithToken(" ")},
		"both token kinds":    {ok, ghl.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"}))},
		"nil token source":    {ghl.WithTokenSource(nil)},
		"relative base URL":   {ok, ghl.WithBaseURL("services.example.com")},
		"ftp base URL":        {ok, ghl.WithBaseURL("ftp://example.com")},
		"base URL with query": {ok, ghl.WithBaseURL("https://example.com/?a=b")},
		"base URL with user":  {ok, ghl.WithBaseURL("https://u:p@example.com")},
		"empty version":       {ok, ghl.WithAPIVersion("")},
		"nil http client":     {ok, ghl.WithHTTPClient(nil)},
		"nil transport":       {ok, ghl.WithTransport(nil)},
		"negative wait":       {ok, ghl.WithRetry(ghl.RetryPolicy{MinWait: -1})},
		"min above max":       {ok, ghl.WithRetry(ghl.RetryPolicy{MinWait: time.Second, MaxWait: time.Millisecond})},
		"zero rate":           {ok, ghl.WithRateLimit(0, time.Second)},
		"zero interval":       {ok, ghl.WithRateLimit(10, 0)},
		"empty location":      {ok, ghl.WithLocationID("")},
		"nil option":          {ok, nil},
	}
	for name, opts := range cases {
		if c, err := ghl.NewClient(opts...); err == nil || c != nil {
			t.Errorf("%s: NewClient succeeded", name)
		} else if strings.Contains(err.Error(), "u:p") {
			t.Errorf("%s: error shows credentials: %v", name, err)
		}
	}
	c, err := ghl.NewClient(ok, ghl.WithLocationID("loc1"))
	if err != nil || c.LocationID() != "loc1" {
		t.Fatalf("valid options: %v", err)
	}
}

func TestWithHTTPClientDoesNotMutateCallersClient(t *testing.T) {
	t.Parallel()
	mock := httpmock.NewMockTransport()
	hc := &http.Client{Transport: mock, Timeout: time.Second}
	if _, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithHTTPClient(hc)); err != nil {
		t.Fatal(err)
	}
	if hc.Transport != mock {
		t.Fatal("caller's client was changed")
	}
}

func TestWithTransportIsUsed(t *testing.T) {
	t.Parallel()
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://ghl.test/x", httpmock.NewStringResponder(200, `{}`))
	c, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL("https://ghl.test/"), ghl.WithTransport(mock))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), &ghl.Request{Path: "/x"}, nil); err != nil || mock.GetTotalCallCount() != 1 {
		t.Fatalf("err %v calls %d", err, mock.GetTotalCallCount())
	}
}

func TestDoRefusesBadRequests(t *testing.T) {
	t.Parallel()
	c, mock := newMocked(t)
	for name, r := range map[string]*ghl.Request{
		"nil":           nil,
		"relative path": {Path: "contacts"},
		"bad query":     {Path: "/x", Query: 42},
		"bad body":      {Method: "POST", Path: "/x", Body: func() {}},
	} {
		if _, err := c.Do(context.Background(), r, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if mock.GetTotalCallCount() != 0 {
		t.Error("a bad request was sent")
	}
}

// A real connection dropped after the request arrived: a create must not be
// repeated, a read must.
func TestDroppedConnectionOnLoopback(t *testing.T) {
	t.Parallel()
	var hits, gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hits.Add(1)
		if r.Method == http.MethodPost || gets.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(srv.URL), ghl.WithRetry(fastRetry), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), &ghl.Request{Method: "POST", Path: "/contacts/a/tasks", Body: map[string]string{"title": "t"}}, nil)
	if !errors.Is(err, ghl.ErrOutcomeUnknown) || hits.Load() != 1 {
		t.Fatalf("POST: err = %v after %d hits, want ErrOutcomeUnknown after 1", err, hits.Load())
	}
	var v struct{ OK bool }
	if _, err := c.Do(context.Background(), &ghl.Request{Path: "/contacts/a/tasks"}, &v); err != nil || !v.OK || hits.Load() != 3 {
		t.Fatalf("GET: err = %v ok %v hits %d", err, v.OK, hits.Load())
	}
}

// Against a HighLevel that allows 3 requests per 40ms, a client that learns
// the limit from the first response's headers never sees a 429.
func TestPacingLearnsTheServersLimit(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer(ghltest.WithRateLimit(3, 40*time.Millisecond, 1000))
	defer srv.Close()
	srv.AddToken(testToken, "loc", ghltest.ScopeContactsReadOnly)
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(srv.URL),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: -1})) // a 429 would surface
	if err != nil {
		t.Fatal(err)
	}
	q := struct {
		LocationID string `url:"locationId"`
	}{"loc"}
	start := time.Now()
	for i := range 10 {
		if _, err := c.Do(context.Background(), &ghl.Request{Path: "/contacts/", Query: q}, nil); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	// 10 requests at 3 per 40ms need at least three full windows.
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("10 requests took %v: not paced", d)
	}
	if rs := c.RateLimit(); rs.Max != 3 || rs.Interval != 40*time.Millisecond || rs.DailyRemaining != 990 {
		t.Errorf("rate state %+v", rs)
	}
}
