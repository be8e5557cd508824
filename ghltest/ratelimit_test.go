package ghltest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func rateHeaders(r result) [5]string {
	return [5]string{
		r.header.Get("X-RateLimit-Limit-Daily"),
		r.header.Get("X-RateLimit-Daily-Remaining"),
		r.header.Get("X-RateLimit-Interval-Milliseconds"),
		r.header.Get("X-RateLimit-Max"),
		r.header.Get("X-RateLimit-Remaining"),
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clk := newClock() // 07:08:09 UTC
	srv := newServer(t, ghltest.WithRateLimit(3, 10*time.Second, 5), ghltest.WithClock(clk.Now))
	srv.AddToken("other-loc", "loc2", ghltest.ScopeContactsReadOnly)
	get := func() result { return do(t, srv, "GET", "/contacts/?locationId=loc1", tokRO, nil) }
	const tooMany = `{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests"}`

	for i, want := range [][5]string{
		{"5", "4", "10000", "3", "2"},
		{"5", "3", "10000", "3", "1"},
		{"5", "2", "10000", "3", "0"},
	} {
		r := get()
		wantStatus(t, r, 200)
		if got := rateHeaders(r); got != want {
			t.Fatalf("request %d: headers %v, want %v", i+1, got, want)
		}
	}
	r := get()
	wantJSON(t, r, 429, tooMany)
	if got := r.header.Get("Retry-After"); got != "10" {
		t.Fatalf("Retry-After = %q, want 10", got)
	}
	if got := rateHeaders(r); got != [5]string{"5", "2", "10000", "3", "0"} {
		t.Fatalf("429 headers %v", got)
	}
	// Tokens of another location have their own budget; the same
	// location shares it across tokens.
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=loc2", "other-loc", nil), 200)
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=loc1", tokRW, nil), 429)

	clk.Advance(4 * time.Second)
	r = get()
	wantStatus(t, r, 429)
	if got := r.header.Get("Retry-After"); got != "6" {
		t.Fatalf("Retry-After after 4s = %q, want 6", got)
	}
	clk.Advance(6 * time.Second)
	r = get()
	wantStatus(t, r, 200)
	if got := rateHeaders(r); got[1] != "1" || got[4] != "2" {
		t.Fatalf("new window headers %v", got)
	}
	wantStatus(t, get(), 200) // daily budget now used up
	r = get()
	wantJSON(t, r, 429, tooMany)
	untilMidnight := time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC).Sub(clk.Now())
	if got, want := r.header.Get("Retry-After"), strconv.Itoa(int(untilMidnight.Seconds())); got != want {
		t.Fatalf("daily Retry-After = %q, want %q", got, want)
	}
	clk.Advance(untilMidnight)
	r = get()
	wantStatus(t, r, 200)
	if got := rateHeaders(r); got[1] != "4" {
		t.Fatalf("next day headers %v", got)
	}

	// Requests without a valid token are not counted and get no headers.
	r = do(t, srv, "GET", "/contacts/?locationId=loc1", "bad", nil)
	wantStatus(t, r, http.StatusUnauthorized)
	if got := r.header.Get("X-RateLimit-Max"); got != "" {
		t.Fatalf("401 carries X-RateLimit-Max %q", got)
	}
}

func TestRateLimitDefaults(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddToken(tokRO, loc, ghltest.ScopeContactsReadOnly)
	r := do(t, srv, "GET", "/contacts/x", tokRO, nil)
	wantStatus(t, r, 400) // not found; limits apply to every authenticated response
	if got := rateHeaders(r); got != [5]string{"200000", "199999", "10000", "100", "99"} {
		t.Fatalf("default headers %v", got)
	}

	off := newServer(t) // WithoutRateLimit
	r = do(t, off, "GET", "/contacts/x", tokRO, nil)
	if got := rateHeaders(r); got != [5]string{} {
		t.Fatalf("headers with limits off: %v", got)
	}
}
