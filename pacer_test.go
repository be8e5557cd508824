package ghl

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

func TestPacerSlidingWindow(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	p := newPacer(3, 10*time.Second)
	for i := range 3 {
		if until := p.reserve(now.Add(time.Duration(i) * time.Second)); !until.IsZero() {
			t.Fatalf("start %d held until %v", i, until)
		}
	}
	// The fourth start must wait for the first to leave the window.
	if until := p.reserve(now.Add(3 * time.Second)); !until.Equal(now.Add(10 * time.Second)) {
		t.Fatalf("fourth start may go at %v, want %v", until, now.Add(10*time.Second))
	}
	if until := p.reserve(now.Add(10 * time.Second)); !until.IsZero() {
		t.Fatalf("start after the window held until %v", until)
	}
	// Next oldest is the start at +1s.
	if until := p.reserve(now.Add(10 * time.Second)); !until.Equal(now.Add(11 * time.Second)) {
		t.Fatalf("held until %v, want +11s", until)
	}
}

// The pacer reads the clock; inside a synctest bubble time stands still
// until every goroutine waits, so now stays now.
func TestPacerLearnsFromHeaders(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testPacerLearnsFromHeaders)
}

func testPacerLearnsFromHeaders(t *testing.T) {
	now := time.Now()
	p := newPacer(100, 10*time.Second)
	for range 5 {
		p.reserve(now)
	}
	// HighLevel announces a smaller window: 2 per second.
	h := http.Header{}
	h.Set("X-RateLimit-Max", "2")
	h.Set("X-RateLimit-Interval-Milliseconds", "1000")
	h.Set("X-RateLimit-Remaining", "1")
	p.observe(parseRateState(h))
	if p.max != 2 || p.interval != time.Second || len(p.starts) != 2 {
		t.Fatalf("max %d interval %v kept %d starts", p.max, p.interval, len(p.starts))
	}
	if until := p.reserve(now); !until.Equal(now.Add(time.Second)) {
		t.Fatalf("held until %v, want +1s", until)
	}
	// Remaining 0 (another process used the quota) pauses for an interval.
	h.Set("X-RateLimit-Remaining", "0")
	p.observe(parseRateState(h))
	if until := p.reserve(now.Add(999 * time.Millisecond)); !until.Equal(now.Add(time.Second)) {
		t.Fatalf("paused until %v, want +1s", until)
	}
	// Missing headers change nothing.
	p.observe(parseRateState(http.Header{}))
	if p.max != 2 || p.interval != time.Second {
		t.Fatal("missing headers changed the limits")
	}
}

func TestPacerWaitHonoursContext(t *testing.T) {
	t.Parallel()
	p := newPacer(1, time.Hour)
	if err := p.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// wait holds a start until the window has room, on synctest's fake clock.
func TestPacerWaitHoldsUntilTheWindowHasRoom(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(2, time.Minute)
		start := time.Now()
		for i := range 5 {
			if err := p.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Starts 0 and 1 go at once, 2 and 3 a window later, 4 two.
			if got, want := time.Since(start), time.Duration(i/2)*time.Minute; got != want {
				t.Fatalf("start %d after %v, want %v", i, got, want)
			}
		}
	})
}

func TestNoLoggerMeansNoLogging(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	// go-retryablehttp logs to stderr when it has a logger.
	if c.http.Logger != nil {
		t.Fatalf("retry layer has logger %T", c.http.Logger)
	}
}
