package ghltest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// rateConfig holds the limits; see WithRateLimit.
type rateConfig struct {
	enabled bool
	max     int
	window  time.Duration
	daily   int
}

// bucket counts one app's requests to one location: a fixed burst window
// that opens with the first request, and a UTC calendar day.
type bucket struct {
	start    time.Time
	count    int
	day      time.Time
	dayCount int
}

// limit applies the rate limits to an authenticated request and sets the
// X-RateLimit-* headers HighLevel documents. Past a limit it writes 429
// with Retry-After and returns false. Requests rejected with 429 do not
// count.
func (s *Server) limit(w http.ResponseWriter, tok *token) bool {
	if !s.rate.enabled {
		return true
	}
	key := tok.clientID + "/" + tok.locationID
	if tok.locationID == "" {
		key = tok.clientID + "/company/" + tok.companyID
	}
	s.mu.Lock()
	now := s.clock()
	b, ok := s.buckets[key]
	if !ok {
		b = &bucket{}
		s.buckets[key] = b
	}
	if b.start.IsZero() || !now.Before(b.start.Add(s.rate.window)) {
		b.start, b.count = now, 0
	}
	if day := now.Truncate(24 * time.Hour); !b.day.Equal(day) {
		b.day, b.dayCount = day, 0
	}
	var wait time.Duration
	switch {
	case b.dayCount >= s.rate.daily:
		wait = b.day.Add(24 * time.Hour).Sub(now)
	case b.count >= s.rate.max:
		wait = b.start.Add(s.rate.window).Sub(now)
	default:
		b.count++
		b.dayCount++
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit-Daily", strconv.Itoa(s.rate.daily))
	h.Set("X-RateLimit-Daily-Remaining", strconv.Itoa(s.rate.daily-b.dayCount))
	h.Set("X-RateLimit-Interval-Milliseconds", strconv.FormatInt(s.rate.window.Milliseconds(), 10))
	h.Set("X-RateLimit-Max", strconv.Itoa(s.rate.max))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.rate.max-b.count))
	s.mu.Unlock()
	if wait > 0 {
		h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		writeError(w, http.StatusTooManyRequests, "Too Many Requests")
		return false
	}
	return true
}
