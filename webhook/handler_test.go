package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newHandler is NewHandler for tests.
func newHandler(t testing.TB, v *Verifier, fn func(context.Context, Event) error, opts ...HandlerOption) *Handler {
	t.Helper()
	h, err := NewHandler(v, fn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// recorder is the handler function of the tests: it records the events it
// is given and fails while fail is set.
type recorder struct {
	mu     sync.Mutex
	events []Event
	fail   atomic.Bool
}

func (r *recorder) fn(_ context.Context, e Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.fail.Load() {
		return errors.New("database unavailable")
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// post sends body with headers h to the handler over a real loopback
// server and returns the response (body drained). It may run in any
// goroutine: failures are reported with t.Error and a nil-safe zero response.
// testClient has a transport of its own: every httptest.Server.Close closes
// http.DefaultTransport's idle connections, which can break a parallel
// test's request that is just reusing one.
var testClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}

func post(t *testing.T, url string, body []byte, h http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return &http.Response{Header: http.Header{}}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := testClient.Do(req)
	if err != nil {
		t.Error(err)
		return &http.Response{Header: http.Header{}}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestHandlerStatuses(t *testing.T) {
	t.Parallel()
	fresh := taskBody("h-ok", testNow)
	stale := taskBody("h-stale", testNow.Add(-time.Hour))
	noID := []byte(`{"type":"NoteCreate","timestamp":"2025-01-28T14:35:00Z"}`)
	notJSON := []byte(`{"type":`)
	big := append(taskBody("h-big", testNow)[:0:0], taskBody("h-big", testNow)...)
	big = append(big[:len(big)-1], []byte(`,"pad":"`+strings.Repeat("x", 2048)+`"}`)...)
	tests := []struct {
		name     string
		method   string
		body     []byte
		h        http.Header
		status   int
		calledFn bool
	}{
		{name: "ok", body: fresh, h: sign(t, fresh, true, false), status: 200, calledFn: true},
		{name: "legacy ok", body: taskBody("h-legacy", testNow), h: sign(t, taskBody("h-legacy", testNow), false, true), status: 200, calledFn: true},
		{name: "GET", method: http.MethodGet, status: 405},
		{name: "PUT", method: http.MethodPut, body: fresh, h: sign(t, fresh, true, false), status: 405},
		{name: "no signature", body: fresh, h: http.Header{}, status: 401},
		{name: "bad base64", body: fresh, h: http.Header{HeaderSignature: {"***"}}, status: 401},
		{name: "altered body", body: bytes.Replace(fresh, []byte("Follow"), []byte("follow"), 1), h: sign(t, fresh, true, false), status: 401},
		{name: "stale", body: stale, h: sign(t, stale, true, false), status: 400},
		{name: "no webhookId", body: noID, h: sign(t, noID, true, false), status: 400},
		{name: "malformed JSON", body: notJSON, h: sign(t, notJSON, true, false), status: 400},
		{name: "too large", body: big, h: sign(t, big, true, false), status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			srv := httptest.NewServer(newHandler(t, newVerifier(t, true), rec.fn, WithMaxBodyBytes(2048)))
			defer srv.Close()
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, srv.URL, bytes.NewReader(tt.body))
			for k, v := range tt.h {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 405 && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", resp.Header.Get("Allow"))
			}
			if got := rec.count() == 1; got != tt.calledFn {
				t.Fatalf("fn called %d times", rec.count())
			}
		})
	}
}

// TestHandlerBodyOverCapWithoutContentLength streams a body of unknown
// length past the cap.
func TestHandlerBodyOverCapWithoutContentLength(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	h := newHandler(t, newVerifier(t, false), rec.fn, WithMaxBodyBytes(100))
	body := taskBody("chunked", testNow)
	req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(body)))
	req.ContentLength = -1
	for k, v := range sign(t, body, true, false) {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge || rec.count() != 0 {
		t.Fatalf("status %d, fn calls %d", w.Code, rec.count())
	}
}

func TestHandlerDefaultCapIsOneMiB(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	srv := httptest.NewServer(newHandler(t, newVerifier(t, false), rec.fn))
	defer srv.Close()
	pad := func(n int) []byte {
		b := taskBody("cap", testNow)
		b = append(b[:len(b)-1], `,"pad":"`...)
		b = append(b, bytes.Repeat([]byte("x"), n-len(b)-2)...)
		return append(b, `"}`...)
	}
	over := pad(DefaultMaxBodyBytes + 1)
	if resp := post(t, srv.URL, over, sign(t, over, true, false)); resp.StatusCode != 413 {
		t.Fatalf("1 MiB + 1: status %d", resp.StatusCode)
	}
	exact := pad(DefaultMaxBodyBytes)
	if resp := post(t, srv.URL, exact, sign(t, exact, true, false)); resp.StatusCode != 200 || rec.count() != 1 {
		t.Fatalf("1 MiB: status %d, calls %d", resp.StatusCode, rec.count())
	}
}

func TestHandlerDuplicateFailureAndRetry(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	srv := httptest.NewServer(newHandler(t, newVerifier(t, false), rec.fn))
	defer srv.Close()
	body := taskBody("retry-1", testNow)
	h := sign(t, body, true, false)

	// The handler fails: 500, so HighLevel retries.
	rec.fail.Store(true)
	if resp := post(t, srv.URL, body, h); resp.StatusCode != 500 {
		t.Fatalf("failing fn: status %d", resp.StatusCode)
	}
	// HighLevel's retry (same webhookId) is processed, not dropped.
	rec.fail.Store(false)
	if resp := post(t, srv.URL, body, h); resp.StatusCode != 200 {
		t.Fatalf("retry: status %d", resp.StatusCode)
	}
	if rec.count() != 2 {
		t.Fatalf("fn called %d times, want 2", rec.count())
	}
	// Now it is a duplicate: 200 without calling fn.
	for range 3 {
		if resp := post(t, srv.URL, body, h); resp.StatusCode != 200 {
			t.Fatalf("duplicate: status %d", resp.StatusCode)
		}
	}
	if rec.count() != 2 {
		t.Fatalf("duplicate reached fn: %d calls", rec.count())
	}
	// The same delivery signed with the legacy scheme only is still a
	// duplicate when legacy is off: it is rejected as unsigned first.
	if resp := post(t, srv.URL, body, sign(t, body, false, true)); resp.StatusCode != 401 {
		t.Fatalf("legacy-only replay with legacy off: status %d", resp.StatusCode)
	}
}

func TestHandlerConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var calls atomic.Int32
	fail := atomic.Bool{}
	fn := func(ctx context.Context, e Event) error {
		calls.Add(1)
		entered <- struct{}{}
		<-release
		if fail.Load() {
			return errors.New("boom")
		}
		return nil
	}
	srv := httptest.NewServer(newHandler(t, newVerifier(t, false), fn))
	defer srv.Close()
	body := taskBody("conc-1", testNow)
	h := sign(t, body, true, false)

	for _, failFirst := range []bool{true, false} {
		fail.Store(failFirst)
		first := make(chan int, 1)
		go func() { first <- post(t, srv.URL, body, h).StatusCode }()
		<-entered // the first attempt is inside fn
		resp := post(t, srv.URL, body, h)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("delivery racing an attempt: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		release <- struct{}{}
		want := 200
		if failFirst {
			want = 500
		}
		if got := <-first; got != want {
			t.Fatalf("first attempt: status %d, want %d", got, want)
		}
	}
	// First round failed (released), second succeeded (committed): fn ran
	// twice, and now the event is a duplicate.
	if resp := post(t, srv.URL, body, h); resp.StatusCode != 200 || calls.Load() != 2 {
		t.Fatalf("after commit: status %d, calls %d", resp.StatusCode, calls.Load())
	}
}

func TestHandlerExactlyOnceUnderLoad(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(newHandler(t, newVerifier(t, false), func(context.Context, Event) error {
		calls.Add(1)
		return nil
	}))
	defer srv.Close()
	body := taskBody("load", testNow)
	h := sign(t, body, true, false)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			resp := post(t, srv.URL, body, h)
			if resp.StatusCode != 200 && resp.StatusCode != 503 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("fn ran %d times, want 1", calls.Load())
	}
}

func TestHandlerPanicReleases(t *testing.T) {
	t.Parallel()
	store := NewMemoryDedupe(10)
	v := newVerifier(t, false, WithDedupe(store))
	h := newHandler(t, v, func(context.Context, Event) error { panic("bug") })
	body := taskBody("panic", testNow)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	for k, vals := range sign(t, body, true, false) {
		req.Header[k] = vals
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), req)
	}()
	if store.Len() != 0 {
		t.Fatal("webhookId still held after the handler panicked")
	}
}

func TestHandlerStoreFailure(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	v := newVerifier(t, false, WithDedupe(&recordingStore{err: errors.New("redis down")}))
	srv := httptest.NewServer(newHandler(t, v, rec.fn))
	defer srv.Close()
	body := taskBody("store", testNow)
	if resp := post(t, srv.URL, body, sign(t, body, true, false)); resp.StatusCode != 500 || rec.count() != 0 {
		t.Fatalf("status %d, calls %d", resp.StatusCode, rec.count())
	}
}

func TestHandlerWithoutDedupe(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	srv := httptest.NewServer(newHandler(t, newVerifier(t, false, WithoutDedupe()), rec.fn))
	defer srv.Close()
	body := taskBody("nodedupe", testNow)
	h := sign(t, body, true, false)
	for range 2 {
		if resp := post(t, srv.URL, body, h); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if rec.count() != 2 {
		t.Fatalf("calls = %d, want 2 (deduplication is off)", rec.count())
	}
}

func TestHandlerPassesRequestContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	var got any
	inner := newHandler(t, newVerifier(t, false), func(ctx context.Context, e Event) error {
		got = ctx.Value(key{})
		return nil
	})
	body := taskBody("ctx", testNow)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req = req.WithContext(context.WithValue(req.Context(), key{}, "v"))
	for k, vals := range sign(t, body, true, false) {
		req.Header[k] = vals
	}
	w := httptest.NewRecorder()
	inner.ServeHTTP(w, req)
	if w.Code != 200 || got != "v" {
		t.Fatalf("status %d, ctx value %v", w.Code, got)
	}
}

func TestHandlerLogsReasonsNotSecrets(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{}
	srv := httptest.NewServer(newHandler(t, newVerifier(t, false), rec.fn, WithLogger(logger)))
	defer srv.Close()

	const secret = "SECRET-CONTACT-DATA"
	body := bytes.Replace(taskBody("log-1", testNow), []byte("Follow up"), []byte(secret), 1)
	h := sign(t, body, true, false)
	sig := h.Get(HeaderSignature)
	rec.fail.Store(true)
	post(t, srv.URL, body, h)                                                                                   // 500
	post(t, srv.URL, body, http.Header{HeaderSignature: {base64.StdEncoding.EncodeToString(make([]byte, 64))}}) // 401
	stale := bytes.Replace(taskBody("log-2", testNow.Add(-time.Hour)), []byte("Follow up"), []byte(secret), 1)
	post(t, srv.URL, stale, sign(t, stale, true, false)) // 400
	rec.fail.Store(false)
	post(t, srv.URL, body, h) // 200, not logged
	post(t, srv.URL, body, h) // duplicate, logged

	out := buf.String()
	for _, want := range []string{`"status":500`, "database unavailable", `"webhookId":"log-1"`, `"type":"TaskCreate"`,
		`"status":401`, "signature does not match", `"status":400`, "timestamp outside tolerance", "duplicate"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, leak := range []string{secret, sig} {
		if strings.Contains(out, leak) {
			t.Errorf("log contains %q:\n%s", leak, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("%d log lines, want 4:\n%s", n, out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNewHandlerRefusesMisuse(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, Event) error { return nil }
	for name, build := range map[string]func() (*Handler, error){
		"nil verifier": func() (*Handler, error) { return NewHandler(nil, ok) },
		"nil fn":       func() (*Handler, error) { return NewHandler(newVerifier(t, false), nil) },
		"zero cap":     func() (*Handler, error) { return NewHandler(newVerifier(t, false), ok, WithMaxBodyBytes(0)) },
		"negative cap": func() (*Handler, error) { return NewHandler(newVerifier(t, false), ok, WithMaxBodyBytes(-1)) },
	} {
		if h, err := build(); err == nil || h != nil {
			t.Errorf("%s: NewHandler = %v, %v; want an error", name, h, err)
		}
	}
	// Nil options and a nil logger are no error: the logger logs nothing.
	if _, err := NewHandler(newVerifier(t, false), ok, nil, WithLogger(nil)); err != nil {
		t.Fatal(err)
	}
}

// TestHandlerDedupeByFunction: with WithDedupeByFunction the Handler holds
// no reservation of its own (the store is never touched, not even when
// fn panics), and answers fn's ErrDuplicate 200 as a duplicate, its
// ErrInProgress 503 with Retry-After, another error 500; a delivery
// without webhookId is still refused before fn.
func TestHandlerDedupeByFunction(t *testing.T) {
	t.Parallel()
	store := NewMemoryDedupe(10)
	v := newVerifier(t, false, WithDedupe(store))
	var mu sync.Mutex
	var outcomes []error
	calls := 0
	fn := func(_ context.Context, e Event) error {
		mu.Lock()
		calls++
		mu.Unlock()
		switch id := e.EventMeta().WebhookID; id {
		case "dup":
			return fmt.Errorf("%w: seen", ErrDuplicate)
		case "busy":
			return fmt.Errorf("%w: elsewhere", ErrInProgress)
		case "fail":
			return errors.New("disk full")
		case "panic":
			panic("bug")
		}
		return nil
	}
	h := newHandler(t, v, fn, WithDedupeByFunction(), WithOutcome(func(_ context.Context, _ Event, err error) {
		mu.Lock()
		outcomes = append(outcomes, err)
		mu.Unlock()
	}))
	serve := func(body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		for k, vals := range sign(t, body, true, false) {
			req.Header[k] = vals
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for _, tc := range []struct {
		id     string
		status int
		is     error
	}{{"ok", 200, nil}, {"ok", 200, nil}, {"dup", 200, ErrDuplicate}, {"busy", 503, ErrInProgress}, {"fail", 500, nil}} {
		w := serve(taskBody(tc.id, testNow))
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.id, w.Code, tc.status)
		}
		if tc.id == "busy" && w.Header().Get("Retry-After") != "5" {
			t.Errorf("busy: Retry-After %q", w.Header().Get("Retry-After"))
		}
		mu.Lock()
		last := outcomes[len(outcomes)-1]
		mu.Unlock()
		if tc.is != nil && !errors.Is(last, tc.is) || tc.id == "ok" && last != nil {
			t.Errorf("%s: outcome %v", tc.id, last)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		serve(taskBody("panic", testNow))
	}()
	noID := bytes.Replace(taskBody("x", testNow), []byte(`"webhookId":"x",`), nil, 1)
	if w := serve(noID); w.Code != http.StatusBadRequest {
		t.Errorf("no webhookId: status %d, want 400", w.Code)
	}
	if calls != 6 {
		t.Errorf("fn called %d times, want 6 (every delivery but the one without webhookId)", calls)
	}
	if store.Len() != 0 {
		t.Errorf("the Handler reserved %d webhookIds itself", store.Len())
	}
}
