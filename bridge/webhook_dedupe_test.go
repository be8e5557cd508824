package bridge

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dedupeCounting counts the store calls webhooks cost.
type dedupeCounting struct {
	Store
	reserve, commit, release, enqueue atomic.Int32
}

func (s *dedupeCounting) Reserve(ctx context.Context, id string, ttl time.Duration) error {
	s.reserve.Add(1)
	return s.Store.Reserve(ctx, id, ttl)
}

func (s *dedupeCounting) Commit(ctx context.Context, id string) error {
	s.commit.Add(1)
	return s.Store.Commit(ctx, id)
}

func (s *dedupeCounting) Release(ctx context.Context, id string) error {
	s.release.Add(1)
	return s.Store.Release(ctx, id)
}

func (s *dedupeCounting) Enqueue(ctx context.Context, ev OutboxEvent, seenUntil time.Time, take Take) (bool, []OutboxEvent, error) {
	s.enqueue.Add(1)
	return s.Store.Enqueue(ctx, ev, seenUntil, take)
}

// TestWebhookStoredInOneWrite: an event the bridge stores costs the store
// one call, Enqueue, whose insert-if-absent of the webhookId is the dedupe
// (the handler leaves deduplication to acceptEvent: no Reserve before it,
// no Commit after), and still the same webhook delivered several times at
// once is answered 200 each time, only once stored, and posted once, the
// repeats counted as duplicates. A webhook the bridge does not store keeps
// the store's reservation: processed (counted) once. Fails if the
// handler's reservation and commit go to the store for stored events.
func TestWebhookStoredInOneWrite(t *testing.T) {
	t.Parallel()
	eachStoreKind(t, func(t *testing.T, kind string) {
		e := newEnv(t, withoutRun(), withoutWebhookTarget())
		store := &dedupeCounting{Store: openStoreT(t, kind)}
		e.runOn(store)
		url := e.srv.URL + PathWebhook

		body := webhookBody("once1", e.contact.ID, time.Now())
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				resp, err := testClient.Do(signedWebhook(t, url, body))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("one of 4 deliveries at once: %d, want 200", resp.StatusCode)
				}
			})
		}
		wg.Wait()
		if got := postWebhook(t, e, signedWebhook(t, url, body)); got != http.StatusOK {
			t.Errorf("redelivery: %d, want 200", got)
		}
		e.settle()
		if n := countContaining(e.texts(e.channel.ID), "Task once1"); n != 1 {
			t.Errorf("the event was posted %d times, want 1", n)
		}
		if r, c, rel, enq := store.reserve.Load(), store.commit.Load(), store.release.Load(), store.enqueue.Load(); r != 0 || c != 0 || rel != 0 || enq != 5 {
			t.Errorf("store calls for 5 deliveries of a stored event: Reserve %d, Commit %d, Release %d, Enqueue %d; want 0, 0, 0, 5", r, c, rel, enq)
		}
		_, m := scrape(t, e.srv.URL+PathMetrics, "")
		if a, d := m[`ghlkit_webhooks_total{result="accepted",type="TaskCreate"}`], m[`ghlkit_webhooks_total{result="duplicate",type="TaskCreate"}`]; a != 1 || d != 4 {
			t.Errorf("webhooks counted %v accepted and %v duplicate, want 1 and 4", a, d)
		}

		// Another location's webhook is not stored: the store's
		// reservation and commit deduplicate it.
		other := fmt.Appendf(nil, `{"type":"TaskCreate","locationId":"elsewhere","id":"t9","contactId":"c9","title":"x","dueDate":"2030-01-01T09:00:00.000Z","timestamp":%q,"webhookId":"other1"}`,
			time.Now().UTC().Format(time.RFC3339))
		for range 2 {
			if got := postWebhook(t, e, signedWebhook(t, url, other)); got != http.StatusOK {
				t.Errorf("another location's webhook: %d, want 200", got)
			}
		}
		if n := e.b.IgnoredWebhooks().OtherLocation; n != 1 {
			t.Errorf("another location's webhook ignored %d times, want 1 (the redelivery is a duplicate)", n)
		}
		if r, c, enq := store.reserve.Load(), store.commit.Load(), store.enqueue.Load(); r != 2 || c != 1 || enq != 5 {
			t.Errorf("store calls for another location's webhook twice: Reserve %d, Commit %d, Enqueue %d more; want 2, 1, 0", r, c, enq-5)
		}
	})
}
