package webhook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWithOutcome: every answered delivery reports once, with the reason
// as a sentinel error.
func TestWithOutcome(t *testing.T) {
	t.Parallel()
	type outcome struct {
		typ string
		err error
	}
	var got []outcome
	h, err := NewHandler(newVerifier(t, false, WithDedupe(NewMemoryDedupe(10))), func(context.Context, Event) error { return nil },
		WithOutcome(func(_ context.Context, e Event, err error) {
			o := outcome{err: err}
			if e != nil {
				o.typ = e.EventMeta().Type
			}
			got = append(got, o)
		}))
	if err != nil {
		t.Fatal(err)
	}
	send := func(body []byte, hdr http.Header) int {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	good := taskBody("w1", testNow)
	stale := taskBody("w2", testNow.Add(-time.Hour))
	send(good, sign(t, good, true, false))
	send(good, sign(t, good, true, false))
	send(good, nil)
	send(stale, sign(t, stale, true, false))
	send([]byte("{"), sign(t, []byte("{"), true, false))
	want := []struct {
		typ string
		err error
	}{
		{"TaskCreate", nil},
		{"TaskCreate", ErrDuplicate},
		{"", ErrNoSignature},
		{"", ErrTooOld},
		{"", ErrMalformedPayload},
	}
	if len(got) != len(want) {
		t.Fatalf("outcomes: %+v", got)
	}
	for i, w := range want {
		if got[i].typ != w.typ || (w.err == nil) != (got[i].err == nil) || w.err != nil && !errors.Is(got[i].err, w.err) {
			t.Errorf("delivery %d: %+v, want %+v", i+1, got[i], w)
		}
	}
}
