package ghl

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// HighLevel's documented burst limit: 100 requests per 10 seconds per app
// and location (or company).
const (
	DefaultRateLimit    = 100
	DefaultRateInterval = 10 * time.Second
)

// RateState is what HighLevel's X-RateLimit-* headers said on a response.
// Fields the response did not carry are -1 (counts) or 0 (Interval).
type RateState struct {
	Max            int           // X-RateLimit-Max: requests allowed per Interval
	Remaining      int           // X-RateLimit-Remaining: left in the current interval
	Interval       time.Duration // X-RateLimit-Interval-Milliseconds
	DailyLimit     int           // X-RateLimit-Limit-Daily
	DailyRemaining int           // X-RateLimit-Daily-Remaining
}

// The X-RateLimit-* names in canonical form, so lookups skip
// canonicalizing (and allocating) on every response.
var (
	hdrRateMax       = http.CanonicalHeaderKey("X-RateLimit-Max")
	hdrRateRemaining = http.CanonicalHeaderKey("X-RateLimit-Remaining")
	hdrRateInterval  = http.CanonicalHeaderKey("X-RateLimit-Interval-Milliseconds")
	hdrRateDaily     = http.CanonicalHeaderKey("X-RateLimit-Limit-Daily")
	hdrRateDailyLeft = http.CanonicalHeaderKey("X-RateLimit-Daily-Remaining")
)

func parseRateState(h http.Header) RateState {
	num := func(name string) int {
		vs := h[name]
		if len(vs) == 0 || vs[0] == "" {
			return -1
		}
		v := vs[0]
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	rs := RateState{
		Max:            num(hdrRateMax),
		Remaining:      num(hdrRateRemaining),
		DailyLimit:     num(hdrRateDaily),
		DailyRemaining: num(hdrRateDailyLeft),
	}
	if ms := num(hdrRateInterval); ms > 0 {
		rs.Interval = time.Duration(ms) * time.Millisecond
	}
	return rs
}

// pacer keeps a process under HighLevel's burst limit: it lets at most max
// requests start in any sliding window of interval, which also satisfies a
// fixed window on the server's side. It learns max and interval from the
// response headers, and when HighLevel says nothing remains (other processes
// share the quota) it pauses new requests for one interval.
type pacer struct {
	mu       sync.Mutex
	max      int
	interval time.Duration
	starts   []time.Time // ring of the last max start times
	next     int         // oldest entry once the ring is full
	paused   time.Time
}

func newPacer(max int, interval time.Duration) *pacer {
	return &pacer{max: max, interval: interval, starts: make([]time.Time, 0, min(max, 128))}
}

// wait blocks until a request may start, or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := time.Now()
		until := p.reserve(now)
		p.mu.Unlock()
		if until.IsZero() {
			return nil
		}
		t := time.NewTimer(until.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// reserve records a start at now and returns the zero time, or returns when
// to try again.
func (p *pacer) reserve(now time.Time) time.Time {
	if now.Before(p.paused) {
		return p.paused
	}
	if len(p.starts) < p.max {
		p.starts = append(p.starts, now)
		return time.Time{}
	}
	oldest := p.starts[p.next]
	if free := oldest.Add(p.interval); now.Before(free) {
		return free
	}
	p.starts[p.next] = now
	p.next = (p.next + 1) % p.max
	return time.Time{}
}

// observe adapts to the limits a response announced.
func (p *pacer) observe(rs RateState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rs.Interval > 0 {
		p.interval = rs.Interval
	}
	if rs.Max > 0 && rs.Max != p.max {
		p.resize(rs.Max)
	}
	if rs.Remaining == 0 {
		p.paused = time.Now().Add(p.interval)
	}
}

// resize keeps the most recent starts that fit the new limit.
func (p *pacer) resize(max int) {
	ordered := make([]time.Time, 0, len(p.starts))
	if len(p.starts) == p.max {
		ordered = append(ordered, p.starts[p.next:]...)
		ordered = append(ordered, p.starts[:p.next]...)
	} else {
		ordered = append(ordered, p.starts...)
	}
	if len(ordered) > max {
		ordered = ordered[len(ordered)-max:]
	}
	p.max = max
	p.starts = append(make([]time.Time, 0, max), ordered...)
	p.next = 0
}

// pacedTransport paces every attempt, retries included, and feeds the
// response headers back to the pacer.
type pacedTransport struct {
	next  http.RoundTripper
	pacer *pacer
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.pacer.wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		t.pacer.observe(parseRateState(resp.Header))
	}
	return resp, err
}
