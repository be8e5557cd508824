package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func TestMemoryDedupeTwoPhase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemoryDedupe(10)
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.Reserve(ctx, "a", time.Minute); !errors.Is(err, ErrInProgress) {
		t.Fatalf("reserve while in progress: %v, want ErrInProgress", err)
	}
	// Processing failed: release, and the retry can reserve again.
	if err := m.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatalf("reserve after release: %v", err)
	}
	if err := m.Commit(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Reserve(ctx, "a", time.Minute); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("reserve after commit: %v, want ErrDuplicate", err)
	}
	// Release also forgets a committed id.
	if err := m.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatalf("reserve after releasing a committed id: %v", err)
	}
	// Unknown ids are no error.
	if err := m.Commit(ctx, "zzz"); err != nil {
		t.Fatal(err)
	}
	if err := m.Release(ctx, "zzz"); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 {
		t.Fatalf("Len = %d, want 1", m.Len())
	}
}

func TestMemoryDedupeExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testMemoryDedupeExpiry)
}

func testMemoryDedupeExpiry(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryDedupe(10)
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	m.Commit(ctx, "a")
	if err := m.Reserve(ctx, "b", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute) // exactly a's expiry: still held
	if err := m.Reserve(ctx, "a", time.Minute); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("at expiry: %v, want ErrDuplicate", err)
	}
	time.Sleep(time.Nanosecond)
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if err := m.Reserve(ctx, "b", time.Minute); !errors.Is(err, ErrInProgress) {
		t.Fatalf("b before its expiry: %v, want ErrInProgress", err)
	}
	time.Sleep(3 * time.Minute)
	if n := m.Len(); n != 0 {
		t.Fatalf("Len after everything expired = %d", n)
	}
}

func TestMemoryDedupeBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemoryDedupe(3)
	// Expiries: b soonest, then a, c, d.
	for id, ttl := range map[string]time.Duration{"a": 2 * time.Minute, "b": time.Minute, "c": 3 * time.Minute} {
		if err := m.Reserve(ctx, id, ttl); err != nil {
			t.Fatal(err)
		}
		m.Commit(ctx, id)
	}
	if err := m.Reserve(ctx, "d", 4*time.Minute); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 3 {
		t.Fatalf("Len = %d, want the bound 3", m.Len())
	}
	// b, closest to expiry, was evicted; the others are remembered.
	if err := m.Reserve(ctx, "b", time.Minute); err != nil {
		t.Fatalf("evicted id: %v", err)
	}
	// Reserving b evicted a (next soonest).
	for id, want := range map[string]error{"c": ErrDuplicate, "d": ErrInProgress, "b": ErrInProgress} {
		if err := m.Reserve(ctx, id, time.Minute); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", id, err, want)
		}
	}
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Errorf("a should have been evicted: %v", err)
	}
}

func TestMemoryDedupeHeapConsistency(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testMemoryDedupeHeapConsistency)
}

func testMemoryDedupeHeapConsistency(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryDedupe(50)
	// Interleave reserves, releases and expiry; the map and the heap must
	// always agree.
	for i := range 500 {
		id := fmt.Sprint(i % 70)
		switch i % 7 {
		case 3:
			m.Release(ctx, fmt.Sprint((i*13)%70))
		case 5:
			time.Sleep(time.Second)
		}
		_ = m.Reserve(ctx, id, time.Duration(i%11)*time.Second)
		m.mu.Lock()
		if len(m.entries) != len(m.byExp) || len(m.entries) > 50 {
			t.Fatalf("step %d: %d entries, %d in heap", i, len(m.entries), len(m.byExp))
		}
		for j, e := range m.byExp {
			if e.index != j || m.entries[e.id] != e {
				t.Fatalf("step %d: heap entry %d inconsistent", i, j)
			}
			if j > 0 && e.expires.Before(m.byExp[(j-1)/2].expires) {
				t.Fatalf("step %d: heap order broken at %d", i, j)
			}
		}
		m.mu.Unlock()
	}
}

func TestMemoryDedupeConcurrentReserve(t *testing.T) {
	t.Parallel()
	m := NewMemoryDedupe(0)
	const n = 64
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok int
	)
	for range n {
		wg.Go(func() {
			err := m.Reserve(context.Background(), "same", time.Minute)
			if err != nil && !errors.Is(err, ErrInProgress) {
				t.Errorf("unexpected: %v", err)
			}
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d concurrent reservations succeeded, want 1", ok)
	}
}

func TestMemoryDedupeCanceledContext(t *testing.T) {
	t.Parallel()
	m := NewMemoryDedupe(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Reserve(ctx, "a", time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Reserve with canceled context: %v", err)
	}
	if m.Len() != 0 {
		t.Fatal("canceled Reserve stored the id")
	}
}

// TestDedupeWindow runs the default Verifier (5-minute tolerance, the
// default MemoryDedupe on time.Now) on synctest's fake clock.
func TestDedupeWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testDedupeWindow)
}

func testDedupeWindow(t *testing.T) {
	edPub, _ := ghltest.WebhookPublicKeys()
	v, err := NewVerifier(WithEd25519PublicKeys(edPub))
	if err != nil {
		t.Fatal(err)
	}
	store := v.dedupe.(*MemoryDedupe)
	ctx := context.Background()
	ok := func(Event) error { return nil }
	body := taskBody("clock", time.Now())
	h := sign(t, body, true, false)
	if err := verifyAndProcess(ctx, v, body, h, ok); err != nil {
		t.Fatal(err)
	}
	// Three minutes later HighLevel's redelivery is within the tolerance:
	// the timestamp check passes it, the webhookId refuses it.
	time.Sleep(3 * time.Minute)
	if err := verifyAndProcess(ctx, v, body, h, ok); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("same webhookId 3 minutes later: %v, want ErrDuplicate", err)
	}
	time.Sleep(2 * time.Minute) // exactly the tolerance: still a duplicate
	if err := verifyAndProcess(ctx, v, body, h, ok); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("same webhookId at the tolerance: %v, want ErrDuplicate", err)
	}
	// After the window the timestamp check rejects it, and the store lets
	// go of the id once the margin passed.
	time.Sleep(time.Millisecond)
	if _, err := v.Verify(body, h); !errors.Is(err, ErrTooOld) {
		t.Fatalf("replay after window: %v, want ErrTooOld", err)
	}
	if store.Len() != 1 {
		t.Fatalf("Len = %d inside the margin, want 1", store.Len())
	}
	time.Sleep(dedupeMargin)
	if store.Len() != 0 {
		t.Fatalf("Len = %d after the margin, want 0", store.Len())
	}
}

// TestHandlerDedupeWindow is TestDedupeWindow through Handler: a failed
// attempt leaves the redelivery to be processed, a processed one makes the
// redelivery three minutes later a duplicate (200, not processed again).
func TestHandlerDedupeWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testHandlerDedupeWindow)
}

func testHandlerDedupeWindow(t *testing.T) {
	edPub, _ := ghltest.WebhookPublicKeys()
	v, err := NewVerifier(WithEd25519PublicKeys(edPub))
	if err != nil {
		t.Fatal(err)
	}
	calls, failNext := 0, true
	hd := newHandler(t, v, func(context.Context, Event) error {
		calls++
		if failNext {
			failNext = false
			return errors.New("disk full")
		}
		return nil
	})
	body := taskBody("hclock", time.Now())
	h := sign(t, body, true, false)
	deliver := func() int {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		for k, vals := range h {
			r.Header[k] = vals
		}
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, r)
		return w.Code
	}
	steps := []struct {
		after     time.Duration
		wantCode  int
		wantCalls int
	}{
		{0, http.StatusInternalServerError, 1},  // processing failed
		{time.Minute, http.StatusOK, 2},         // the redelivery is processed
		{3 * time.Minute, http.StatusOK, 2},     // then a duplicate: acknowledged, not processed
		{time.Minute, http.StatusOK, 2},         // 5 minutes after the timestamp: still a duplicate
		{time.Second, http.StatusBadRequest, 2}, // past the tolerance: too old
	}
	for i, st := range steps {
		time.Sleep(st.after)
		if code := deliver(); code != st.wantCode || calls != st.wantCalls {
			t.Fatalf("step %d: status %d after %d calls, want %d after %d", i, code, calls, st.wantCode, st.wantCalls)
		}
	}
}
