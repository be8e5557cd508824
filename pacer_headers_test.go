package ghl

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// headerTransport answers every request 200 with header, in memory, and
// records when each request reached it.
type headerTransport struct {
	header http.Header
	starts []time.Time
}

func (t *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.starts = append(t.starts, time.Now())
	return &http.Response{StatusCode: http.StatusOK, Header: t.header.Clone(), Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

// TestNoRateHeadersNoPause holds the promise that the pacer pauses only
// when HighLevel says nothing remains (X-RateLimit-Remaining: 0): a response
// without rate-limit headers (a proxy, an endpoint that sends none) leaves
// the next request free to start at once. Inside a synctest bubble the clock
// moves only when every goroutine waits, so "at once" is exact: the fake
// clock must not move at all. Fails if a missing Remaining header pauses
// the pacer (it would then wait one interval, 10 s of fake time).
func TestNoRateHeadersNoPause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		header http.Header
		gap    time.Duration // between one start and the next
	}{
		{"no rate-limit headers", http.Header{"Content-Type": {"application/json"}}, 0},
		{"limits without Remaining", http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Max": {"100"}, "X-Ratelimit-Interval-Milliseconds": {"10000"}}, 0},
		// The contrast that shows the test can see a pause.
		{"nothing remains", http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Interval-Milliseconds": {"10000"}}, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := &headerTransport{header: tc.header}
				c, err := NewClient(WithToken("t"), WithTransport(tr), WithRateLimit(DefaultRateLimit, DefaultRateInterval))
				if err != nil {
					t.Fatal(err)
				}
				for range 3 {
					if _, err := c.Do(context.Background(), &Request{Path: "/contacts/c1"}, nil); err != nil {
						t.Fatal(err)
					}
				}
				if len(tr.starts) != 3 {
					t.Fatalf("%d requests sent, want 3", len(tr.starts))
				}
				for i := 1; i < len(tr.starts); i++ {
					if gap := tr.starts[i].Sub(tr.starts[i-1]); gap != tc.gap {
						t.Errorf("request %d started %v after the one before, want %v", i+1, gap, tc.gap)
					}
				}
			})
		})
	}
}
