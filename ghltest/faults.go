package ghltest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a failure injected into the requests that match Method and
// Path. Register it with Server.Fail. Exactly one of Status, Drop and
// AfterWrite may be set; Latency can be combined with any of them or used
// alone (the request is then delayed and served normally).
//
// Faults are checked before authentication, in the order they were added;
// the first one that matches is used.
//
// Note that net/http's Transport may itself resend an idempotent request
// (GET, HEAD, OPTIONS) once when a reused connection is dropped: such a
// resend is a new request here and may match the fault again.
type Fault struct {
	// Method matches the request method ("" matches any).
	Method string
	// Path matches the request path segment by segment: "*" matches one
	// segment and a final "**" matches any number of trailing segments,
	// so "/contacts/*/tasks" matches the task list of every contact and
	// "/contacts/**" every path under /contacts. "" matches any path. A
	// trailing slash is ignored.
	Path string
	// Count is how many matching requests fail; 0 means every matching
	// request until ClearFaults.
	Count int
	// Ratio, when in (0, 1], makes each matching request fail with that
	// probability (drawn from the server's seed, so runs repeat). Only
	// requests that fail count against Count.
	Ratio float64

	// Status answers with this status code (429, 500, 502, 503...) and a
	// HighLevel-style error body, or Body when set.
	Status int
	// Body replaces the default JSON error body of Status.
	Body string
	// RetryAfter sets the Retry-After header, rounded up to whole seconds.
	// A 429 always carries Retry-After ("0" when RetryAfter is zero).
	RetryAfter time.Duration
	// Drop closes the connection without any response.
	Drop bool
	// AfterWrite serves the request normally (so a create is stored and
	// its webhooks emitted), then drops the connection instead of
	// sending the response: the client cannot know whether it worked.
	AfterWrite bool
	// Latency delays the request before anything else.
	Latency time.Duration
}

type faultState struct {
	f         Fault
	remaining int // -1: unlimited
}

// Fail registers a fault. It panics if the fault is inconsistent (several
// of Status, Drop, AfterWrite; nothing to do; a Ratio outside [0, 1]).
func (s *Server) Fail(f Fault) {
	kinds := 0
	if f.Status != 0 {
		kinds++
		if f.Status < 400 || f.Status > 599 {
			panic(fmt.Sprintf("ghltest: Fail: Status %d is not an error status", f.Status))
		}
	}
	if f.Drop {
		kinds++
	}
	if f.AfterWrite {
		kinds++
	}
	switch {
	case kinds > 1:
		panic("ghltest: Fail: set only one of Status, Drop and AfterWrite")
	case kinds == 0 && f.Latency <= 0:
		panic("ghltest: Fail: the fault does nothing; set Status, Drop, AfterWrite or Latency")
	case f.Ratio < 0 || f.Ratio > 1:
		panic(fmt.Sprintf("ghltest: Fail: Ratio %v is outside [0, 1]", f.Ratio))
	case f.Count < 0:
		panic(fmt.Sprintf("ghltest: Fail: negative Count %d", f.Count))
	}
	st := &faultState{f: f, remaining: f.Count}
	if f.Count == 0 {
		st.remaining = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, st)
}

// ClearFaults removes every registered fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the fault to apply to a request, consuming one of its
// uses.
func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, st := range s.faults {
		if st.f.Method != "" && !strings.EqualFold(st.f.Method, method) {
			continue
		}
		if !matchPathPattern(st.f.Path, path) {
			continue
		}
		if st.f.Ratio > 0 && s.faultRand.Float64() >= st.f.Ratio {
			continue
		}
		if st.remaining > 0 {
			st.remaining--
			if st.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return st.f, true
	}
	return Fault{}, false
}

// matchPathPattern matches a fault path pattern; see Fault.Path.
func matchPathPattern(pattern, path string) bool {
	if pattern == "" {
		return true
	}
	pat := strings.Split(strings.Trim(pattern, "/"), "/")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range pat {
		if p == "**" && i == len(pat)-1 {
			return true
		}
		if i >= len(segs) {
			return false
		}
		if p != "*" && p != segs[i] {
			return false
		}
	}
	return len(pat) == len(segs)
}

// applyFault applies f to a request; it reports whether the request should
// still be served normally (latency-only faults).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, body []byte, f Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	switch {
	case f.Drop:
		drop(w)
	case f.AfterWrite:
		rec := &discardWriter{header: http.Header{}}
		s.serve(rec, r, body)
		drop(w)
	case f.Status != 0:
		if f.Status == http.StatusTooManyRequests || f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
		if f.Body != "" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(f.Body))
		} else {
			writeError(w, f.Status, http.StatusText(f.Status))
		}
	default:
		return true
	}
	return false
}

// drop closes the client connection without a response.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// No hijacking (HTTP/2, or mounted under a recorder): make net/http
	// abort the response instead.
	panic(http.ErrAbortHandler)
}

// discardWriter swallows the response of an AfterWrite request.
type discardWriter struct {
	header http.Header
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
