package bridge

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

// claimAfterSettle is a Store that, after recording a failed attempt's
// outcome, holds the settling goroutine until the deliverer has claimed
// that event again (or a second has passed): the interleaving in which a
// claim comes between the store letting go of the lease and the deliverer
// forgetting the event is in flight. Left to the scheduler it happens now
// and then, and stalled a retry for a whole lease.
type claimAfterSettle struct {
	Store
	mu      sync.Mutex
	waiting map[uint64]chan struct{} // settled seq → closed once claimed again
}

func (s *claimAfterSettle) Claim(ctx context.Context, now time.Time, max int, lease time.Duration) ([]OutboxEvent, error) {
	evs, err := s.Store.Claim(ctx, now, max, lease)
	s.mu.Lock()
	for _, ev := range evs {
		if ch, ok := s.waiting[ev.Seq]; ok {
			close(ch)
			delete(s.waiting, ev.Seq)
		}
	}
	s.mu.Unlock()
	return evs, err
}

// SettleTake is Settle, taking no event: the deliverer claims them.
func (s *claimAfterSettle) SettleTake(ctx context.Context, outcomes []Outcome, _ time.Time, _ int, _ time.Duration) ([]OutboxEvent, error) {
	return nil, s.Settle(ctx, outcomes)
}

func (s *claimAfterSettle) Settle(ctx context.Context, outcomes []Outcome) error {
	claimed := make(chan struct{})
	retried := false // an outcome whose event is to be tried again
	s.mu.Lock()
	for _, o := range outcomes {
		if !o.Delivered && !o.Dead && !o.Deferred {
			s.waiting[o.Seq], retried = claimed, true
		}
	}
	s.mu.Unlock()
	if err := s.Store.Settle(ctx, outcomes); err != nil || !retried {
		return err
	}
	select {
	case <-claimed:
	case <-time.After(time.Second):
		s.mu.Lock()
		for seq, ch := range s.waiting {
			if ch == claimed {
				delete(s.waiting, seq)
			}
		}
		s.mu.Unlock()
	}
	return nil
}

// TestRetryClaimedWhileSettling holds the promise that an event Mattermost
// refused is retried after its backoff, whenever the deliverer's next claim
// happens to run: a claim landing after the store released the lease but
// before the deliverer forgot the event was in flight used to be dropped
// while keeping the new lease, so the event waited a whole lease (60 s)
// before its next attempt.
func TestRetryClaimedWhileSettling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun())
	bolt := openStoreT(t, "bbolt")
	e.runOn(&claimAfterSettle{Store: bolt, waiting: make(map[uint64]chan struct{})})

	e.mm.Fail(mattermosttestStatus("POST", "/api/v4/posts", http.StatusBadRequest, -1))
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Rejected", DueDate: time.Now().Add(time.Hour)})
	e.hl.FlushWebhooks()
	e.waitFor("five attempts and the dead letter", func() bool {
		st, err := bolt.OutboxStats(context.Background())
		return err == nil && st.Dead == 1 && st.Pending == 0
	})
}

// refuseBatches is a Store whose Settle refuses every batch of outcomes
// and, alone, the outcome of seq bad; it notes the outcomes it records.
type refuseBatches struct {
	Store
	bad      uint64
	mu       sync.Mutex
	recorded []uint64
}

func (s *refuseBatches) SettleTake(ctx context.Context, outcomes []Outcome, _ time.Time, _ int, _ time.Duration) ([]OutboxEvent, error) {
	return nil, s.Settle(ctx, outcomes)
}

func (s *refuseBatches) Settle(ctx context.Context, outcomes []Outcome) error {
	if len(outcomes) > 1 || outcomes[0].Seq == s.bad {
		return errors.New("refused")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recorded = append(s.recorded, outcomes[0].Seq)
	return nil
}

// TestRecordOutcomesOneByOneWhenABatchFails: outcomes waiting together are
// recorded in one Settle; when the store refuses it, each is recorded on
// its own, so that one the store refuses costs the others nothing.
func TestRecordOutcomesOneByOneWhenABatchFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun())
	store := &refuseBatches{Store: e.b.Store(), bad: 2}
	e.b.store = store
	d := e.b.deliver
	d.mu.Lock()
	for seq := range uint64(3) {
		d.inflight[seq+1] = true
	}
	d.mu.Unlock()
	// Three outcomes come while one is being recorded: they wait, and go
	// in the next Settle together.
	q := &d.outcomes
	q.mu.Lock()
	q.running = true
	q.mu.Unlock()
	for seq := range uint64(3) {
		d.settle(Outcome{Seq: seq + 1, Delivered: true})
	}
	q.loops.Add(1)
	go q.loop()
	q.wait()
	if !slices.Equal(store.recorded, []uint64{1, 3}) {
		t.Errorf("recorded %v, want [1 3]", store.recorded)
	}
	if len(d.inflight) != 0 || len(q.pending) != 0 || q.running {
		t.Errorf("left: in flight %v, waiting %v, recording %v", d.inflight, q.pending, q.running)
	}
}
