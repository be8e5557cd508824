package webhook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for MemoryDedupe.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestDedupe(max int) (*MemoryDedupe, *fakeClock) {
	c := &fakeClock{t: testNow}
	return newMemoryDedupe(max, c.Now), c
}

func TestMemoryDedupeTwoPhase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, _ := newTestDedupe(10)
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
	ctx := context.Background()
	m, clock := newTestDedupe(10)
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	m.Commit(ctx, "a")
	if err := m.Reserve(ctx, "b", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // exactly a's expiry: still held
	if err := m.Reserve(ctx, "a", time.Minute); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("at expiry: %v, want ErrDuplicate", err)
	}
	clock.Advance(time.Nanosecond)
	if err := m.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if err := m.Reserve(ctx, "b", time.Minute); !errors.Is(err, ErrInProgress) {
		t.Fatalf("b before its expiry: %v, want ErrInProgress", err)
	}
	clock.Advance(3 * time.Minute)
	if n := m.Len(); n != 0 {
		t.Fatalf("Len after everything expired = %d", n)
	}
}

func TestMemoryDedupeBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, _ := newTestDedupe(3)
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
	ctx := context.Background()
	m, clock := newTestDedupe(50)
	// Interleave reserves, releases and expiry; the map and the heap must
	// always agree.
	for i := range 500 {
		id := fmt.Sprint(i % 70)
		switch i % 7 {
		case 3:
			m.Release(ctx, fmt.Sprint((i*13)%70))
		case 5:
			clock.Advance(time.Second)
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

func TestDefaultStoreUsesVerifierClock(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: testNow}
	edPub, _ := TestPublicKeys()
	v, err := NewVerifier(WithEd25519PublicKeys(edPub), WithClock(clock.Now), WithTolerance(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	store := v.dedupe.(*MemoryDedupe)
	ctx := context.Background()
	body := taskBody("clock", testNow)
	h := sign(t, body, true, false)
	if _, err := v.Verify(ctx, body, h); err != nil {
		t.Fatal(err)
	}
	// Within the window the replay is a duplicate...
	clock.Advance(time.Minute)
	if _, err := v.Verify(ctx, body, h); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("replay within window: %v", err)
	}
	// ...after it, the timestamp check rejects it, and the store has let go
	// of the id once the margin passed.
	clock.Advance(time.Millisecond)
	if _, err := v.Verify(ctx, body, h); !errors.Is(err, ErrTooOld) {
		t.Fatalf("replay after window: %v", err)
	}
	if store.Len() != 1 {
		t.Fatalf("Len = %d inside the margin, want 1", store.Len())
	}
	clock.Advance(dedupeMargin)
	if store.Len() != 0 {
		t.Fatalf("Len = %d after the margin, want 0", store.Len())
	}
}
