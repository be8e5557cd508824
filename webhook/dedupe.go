package webhook

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// DedupeStore remembers webhookIds so that a replayed or redelivered event is
// processed once. It is a two-phase claim: Reserve before processing, then
// Commit when processing succeeded or Release when it failed, so that
// HighLevel's retry of a failed delivery (same webhookId) is processed rather
// than dropped as a duplicate, and a retry that arrives while the first
// attempt is still running is told to come back later instead of being
// acknowledged for work that may yet fail.
//
// Implementations must be safe for concurrent use, and Reserve must be
// atomic: of several concurrent Reserve calls for one id, exactly one
// succeeds. MemoryDedupe serves one process; several replicas behind a load
// balancer need a shared store (for example Redis SET NX with an expiry).
type DedupeStore interface {
	// Reserve claims id for ttl. It returns nil when the claim is new,
	// ErrDuplicate when id was committed, and ErrInProgress when id is
	// reserved but neither committed nor released. Other errors mean the
	// store failed; the delivery is then neither accepted nor rejected.
	Reserve(ctx context.Context, id string, ttl time.Duration) error
	// Commit marks a reserved id as processed, keeping its expiry; later
	// Reserve calls return ErrDuplicate until it expires. Committing an id
	// that is no longer held (expired, released or evicted) is not an error.
	Commit(ctx context.Context, id string) error
	// Release forgets id, reserved or committed, so that a later delivery
	// with that id is processed. Releasing an unknown id is not an error.
	Release(ctx context.Context, id string) error
}

// DefaultDedupeSize is the number of webhookIds the Verifier's default
// MemoryDedupe remembers at most; about 100 bytes each.
const DefaultDedupeSize = 100_000

// MemoryDedupe is an in-memory DedupeStore for a single process. It holds at
// most a fixed number of ids; each is forgotten when its time to live ends,
// and when the store is full the id closest to expiry is forgotten first. Only
// deliveries whose signature verified reach the store, so a forger cannot
// flood it.
type MemoryDedupe struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[string]*dedupeEntry
	byExp   expiryHeap
}

type dedupeEntry struct {
	id      string
	expires time.Time
	done    bool // committed
	index   int  // position in byExp
}

// NewMemoryDedupe returns a MemoryDedupe remembering at most max ids;
// max <= 0 means DefaultDedupeSize.
func NewMemoryDedupe(max int) *MemoryDedupe {
	return newMemoryDedupe(max, time.Now)
}

func newMemoryDedupe(max int, now func() time.Time) *MemoryDedupe {
	if max <= 0 {
		max = DefaultDedupeSize
	}
	return &MemoryDedupe{max: max, now: now, entries: make(map[string]*dedupeEntry)}
}

// Reserve implements DedupeStore.
func (m *MemoryDedupe) Reserve(ctx context.Context, id string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if e, ok := m.entries[id]; ok {
		if e.done {
			return ErrDuplicate
		}
		return ErrInProgress
	}
	for len(m.entries) >= m.max {
		m.remove(m.byExp[0])
	}
	e := &dedupeEntry{id: id, expires: now.Add(ttl)}
	m.entries[id] = e
	heap.Push(&m.byExp, e)
	return nil
}

// Commit implements DedupeStore.
func (m *MemoryDedupe) Commit(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[id]; ok {
		e.done = true
	}
	return nil
}

// Release implements DedupeStore.
func (m *MemoryDedupe) Release(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[id]; ok {
		m.remove(e)
	}
	return nil
}

// Len returns the number of ids currently remembered, expired ones excluded.
func (m *MemoryDedupe) Len() int {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	return len(m.entries)
}

// expire drops every entry whose expiry is before now. An entry is kept up
// to and including its expiry instant.
func (m *MemoryDedupe) expire(now time.Time) {
	for len(m.byExp) > 0 && m.byExp[0].expires.Before(now) {
		m.remove(m.byExp[0])
	}
}

func (m *MemoryDedupe) remove(e *dedupeEntry) {
	heap.Remove(&m.byExp, e.index)
	delete(m.entries, e.id)
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []*dedupeEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*dedupeEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
