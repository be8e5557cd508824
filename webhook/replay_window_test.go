package webhook

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestHandlerReplayWindowDefaultTolerance holds the promise that a
// webhookId is remembered for as long as its timestamp passes the check
// (tolerance + margin), not just for the margin: with the default 5-minute
// tolerance, the same delivery 3 minutes later, and again at the very edge
// of the window, is a duplicate (acknowledged, never processed twice); just
// past it, the timestamp check refuses it. Fails if the id is kept for the
// 1-minute margin only. Written against the Handler, where dedupe stays
// whether or not Verify does it.
func TestHandlerReplayWindowDefaultTolerance(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: testNow}
	edPub, _ := TestPublicKeys()
	v, err := NewVerifier(WithEd25519PublicKeys(edPub), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	srv := httptest.NewServer(Handler(v, rec.fn))
	defer srv.Close()
	body := taskBody("replay-window", testNow)
	h := sign(t, body, true, false)

	if resp := post(t, srv.URL, body, h); resp.StatusCode != 200 || rec.count() != 1 {
		t.Fatalf("first delivery: status %d, %d calls", resp.StatusCode, rec.count())
	}
	for _, step := range []struct {
		advance time.Duration
		status  int
	}{
		{3 * time.Minute, 200},  // 3 minutes later: a duplicate
		{2 * time.Minute, 200},  // exactly the tolerance old: still a duplicate
		{time.Millisecond, 400}, // past the tolerance: too old
	} {
		clock.Advance(step.advance)
		if resp := post(t, srv.URL, body, h); resp.StatusCode != step.status {
			t.Errorf("replay %v after the timestamp: status %d, want %d", clock.Now().Sub(testNow), resp.StatusCode, step.status)
		}
		if n := rec.count(); n != 1 {
			t.Fatalf("replay %v after the timestamp reached the handler function: %d calls, want 1", clock.Now().Sub(testNow), n)
		}
	}
}
