package ghl_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
)

// TestObserverAndRetryLogs checks that an observer sees every attempt with
// its number and route, and that a failure retried twice logs exactly two
// WARN lines and no go-retryablehttp line.
func TestObserverAndRetryLogs(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 2 {
			http.Error(w, `{"message":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"tasks":[]}`))
	}))
	defer srv.Close()

	var mu sync.Mutex
	var seen []ghl.RequestInfo
	var logs bytes.Buffer
	c, err := ghl.NewClient(
		ghl.WithToken("secret-token-value"),
		ghl.WithBaseURL(srv.URL),
		ghl.WithoutRateLimit(),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
		ghl.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		ghl.WithObserver(func(ri ghl.RequestInfo) {
			mu.Lock()
			seen = append(seen, ri)
			mu.Unlock()
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), &ghl.Request{Method: http.MethodGet, Path: "/contacts/abc123/tasks", Query: struct {
		Email string `url:"email"`
	}{"ada@example.com"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("observed %d attempts, want 3: %+v", len(seen), seen)
	}
	for i, ri := range seen {
		wantStatus := http.StatusServiceUnavailable
		if i == 2 {
			wantStatus = http.StatusOK
		}
		if ri.Method != http.MethodGet || ri.Route != "/contacts/{id}/tasks" || ri.Attempt != i+1 || ri.Status != wantStatus || ri.Err != nil || ri.Duration <= 0 {
			t.Errorf("attempt %d: %+v", i+1, ri)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 2 {
		t.Errorf("%d WARN lines, want 2:\n%s", n, out)
	}
	for _, want := range []string{"attempt=1", "attempt=2", "route=/contacts/{id}/tasks", "status=503"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"level=ERROR", "performing request", "ada@example.com", "secret-token-value"} {
		if strings.Contains(out, bad) {
			t.Errorf("logs contain %q:\n%s", bad, out)
		}
	}
	if _, err := ghl.NewClient(ghl.WithToken("x"), ghl.WithObserver(nil)); err == nil {
		t.Error("WithObserver(nil) accepted")
	}
}

// TestObserverTransportError reports an attempt without an answer.
func TestObserverTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var got []ghl.RequestInfo
	c, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL(url), ghl.WithoutRateLimit(),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: -1}),
		ghl.WithObserver(func(ri ghl.RequestInfo) { got = append(got, ri) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), &ghl.Request{Path: "/contacts/search/duplicate"}, nil); err == nil {
		t.Fatal("no error from a closed server")
	}
	if len(got) != 1 || got[0].Status != 0 || got[0].Err == nil || got[0].Route != "/contacts/search/duplicate" || got[0].Attempt != 1 {
		t.Errorf("observed %+v", got)
	}
}
