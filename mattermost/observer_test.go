package mattermost_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// TestObserver checks that every attempt is observed with its route and
// number, and that a retried failure logs once at WARN (with the token
// redacted) while a -v run logs each call once.
func TestObserver(t *testing.T) {
	t.Parallel()
	srv := mattermosttest.NewServer()
	defer srv.Close()
	bot, token := srv.AddBot("bridge")
	srv.Fail(mattermosttest.Fault{Method: http.MethodGet, Path: "/api/v4/users/me", Status: http.StatusBadGateway})

	var mu sync.Mutex
	var seen []mattermost.RequestInfo
	var logs bytes.Buffer
	c, err := mattermost.NewClient(srv.URL, token,
		mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
		mattermost.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		mattermost.WithObserver(func(ri mattermost.RequestInfo) {
			mu.Lock()
			seen = append(seen, ri)
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(context.Background())
	if err != nil || me.ID != bot.ID {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if _, err := c.GetPost(context.Background(), "abcdefghijklmnopqrstuvwxyz"); err == nil {
		t.Fatal("GetPost of a missing post worked")
	}
	want := []mattermost.RequestInfo{
		{Method: "GET", Route: "/api/v4/users/me", Status: http.StatusBadGateway, Attempt: 1},
		{Method: "GET", Route: "/api/v4/users/me", Status: http.StatusOK, Attempt: 2},
		{Method: "GET", Route: "/api/v4/posts/{id}", Status: http.StatusNotFound, Attempt: 1},
	}
	if len(seen) != len(want) {
		t.Fatalf("observed %+v", seen)
	}
	for i, w := range want {
		got := seen[i]
		if got.Method != w.Method || got.Route != w.Route || got.Status != w.Status || got.Attempt != w.Attempt || got.Err != nil {
			t.Errorf("attempt %d = %+v, want %+v", i, got, w)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 || !strings.Contains(out, "attempt=1") {
		t.Errorf("want one WARN for the retried 502:\n%s", out)
	}
	if n := strings.Count(out, "path=/api/v4/users/me"); n != 1 {
		t.Errorf("the successful call is logged %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, token) || strings.Contains(out, "performing request") {
		t.Errorf("logs show the token or go-retryablehttp's lines:\n%s", out)
	}
}
