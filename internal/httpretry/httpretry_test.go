package httpretry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		got, ok := RetryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q = %v %v, want %v %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	min, max := 100*time.Millisecond, time.Second
	resp := &http.Response{Header: http.Header{"Retry-After": {"3600"}}}
	if got := Backoff(min, max, 0, resp); got != max {
		t.Errorf("Retry-After not capped: %v", got)
	}
	resp.Header.Set("Retry-After", "0")
	if got := Backoff(min, max, 0, resp); got != 0 {
		t.Errorf("Retry-After 0 = %v", got)
	}
	for attempt := range 10 {
		ceiling := min << attempt
		if ceiling > max {
			ceiling = max
		}
		for range 50 {
			got := Backoff(min, max, attempt, nil)
			if got < min/2 || got > ceiling {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, got, min/2, ceiling)
			}
		}
	}
	// Jitter: not every wait is the same.
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[Backoff(min, max, 3, nil)] = true
	}
	if len(seen) < 2 {
		t.Error("no jitter")
	}
	if got := Backoff(min, max, 1000, nil); got > max {
		t.Errorf("huge attempt = %v", got)
	}
}

func TestCheckRetryClassifiesErrors(t *testing.T) {
	t.Parallel()
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://x", Err: err} }
	get := func(err error) error { return &url.Error{Op: "Get", URL: "https://x", Err: err} }
	ctx := context.Background()
	cases := []struct {
		name    string
		ctx     context.Context
		err     error
		retry   bool
		unknown bool
	}{
		{"post dial", ctx, post(&net.OpError{Op: "dial", Err: errors.New("refused")}), true, false},
		{"post dns", ctx, post(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host"}}), true, false},
		{"post read", ctx, post(&net.OpError{Op: "read", Err: errors.New("reset")}), false, true},
		{"post timeout", ctx, post(context.DeadlineExceeded), false, true},
		{"marked post read", MarkIdempotent(ctx), post(&net.OpError{Op: "read", Err: errors.New("reset")}), true, false},
		{"get read", ctx, get(&net.OpError{Op: "read", Err: errors.New("reset")}), true, false},
		{"get bad scheme", ctx, get(errors.New("unsupported protocol scheme \"ftp\"")), false, false},
	}
	for _, tc := range cases {
		retry, err := CheckRetry(tc.ctx, nil, tc.err)
		if retry != tc.retry || errors.Is(err, ErrOutcomeUnknown) != tc.unknown {
			t.Errorf("%s: retry %v err %v", tc.name, retry, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if retry, err := CheckRetry(cancelled, nil, get(errors.New("x"))); retry || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: retry %v err %v", retry, err)
	}
}

func TestPolicyDefaults(t *testing.T) {
	t.Parallel()
	p := Policy{}.WithDefaults()
	if p.MaxRetries != DefaultMaxRetries || p.MinWait != DefaultMinWait || p.MaxWait != DefaultMaxWait {
		t.Errorf("%+v", p)
	}
	if p := (Policy{MaxRetries: -1}).WithDefaults(); p.MaxRetries != 0 {
		t.Errorf("negative MaxRetries = %d", p.MaxRetries)
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	words := map[string]bool{"contacts": true, "tasks": true, "search": true}
	for path, want := range map[string]string{
		"":                            "/",
		"/":                           "/",
		"/contacts/":                  "/contacts/",
		"/contacts/search":            "/contacts/search",
		"/contacts/a%2Fb/tasks/t1":    "/contacts/{id}/tasks/{id}",
		"/contacts/ada@example.com":   "/contacts/{id}",
		"/prefix/contacts/c1/tasks":   "/{id}/contacts/{id}/tasks",
		"/contacts/c1/tasks/t1/other": "/contacts/{id}/tasks/{id}/{id}",
	} {
		if got := Route(path, words); got != want {
			t.Errorf("Route(%q) = %q, want %q", path, got, want)
		}
	}
}
