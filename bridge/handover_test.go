package bridge

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// claimCounting counts the events Claim hands out, and the routes read.
type claimCounting struct {
	Store
	claimed, routes atomic.Int32
}

func (s *claimCounting) Route(ctx context.Context, contactID, locationID, ownKey string) (Route, error) {
	s.routes.Add(1)
	return s.Store.Route(ctx, contactID, locationID, ownKey)
}

func (s *claimCounting) Claim(ctx context.Context, now time.Time, max int, lease time.Duration) ([]OutboxEvent, error) {
	evs, err := s.Store.Claim(ctx, now, max, lease)
	s.claimed.Add(int32(len(evs)))
	return evs, err
}

// TestAcceptedEventsHandedOver: a webhook accepted by a bridge whose
// deliverer has room is taken in the write that stores it, with its
// route, and posted by that deliverer: no Claim hands it out and no other
// read finds its route (each a round trip per event on PostgreSQL), and
// the contact's later events follow in order. Fails if acceptEvent only
// pokes the deliverer, or if the deliverer reads the route again.
func TestAcceptedEventsHandedOver(t *testing.T) {
	t.Parallel()
	eachStoreKind(t, func(t *testing.T, kind string) {
		e := newEnv(t, withoutRun(), withoutWebhookTarget())
		store := &claimCounting{Store: openStoreT(t, kind)}
		e.runOn(store)
		e.waitDelivering()
		const n = 6
		for i := range n {
			// One at a time, each posted and settled before the next:
			// every one leads its contact when it arrives.
			id := fmt.Sprint("handed", i)
			if got := postWebhook(t, e, signedWebhook(t, e.srv.URL+PathWebhook, webhookBody(id, e.contact.ID, time.Now()))); got != http.StatusOK {
				t.Fatalf("webhook %s: %d", id, got)
			}
			e.waitFor(id+" posted", func() bool {
				st, err := store.OutboxStats(context.Background())
				return err == nil && st.Pending == 0 && len(e.posts(e.channel.ID)) == i+1
			})
		}
		if c := store.claimed.Load(); c != 0 {
			t.Errorf("Claim handed out %d events; want none (each taken as it was stored)", c)
		}
		if c := store.routes.Load(); c != 0 {
			t.Errorf("the deliverer read %d routes; want none (each read with the write that took its event)", c)
		}
		for i, p := range e.posts(e.channel.ID) {
			if want := fmt.Sprint("Task handed", i); !strings.Contains(postText(p), want) {
				t.Errorf("post %d = %q, want %q", i, postText(p), want)
			}
		}
	})
}

// handOverStopping runs e's deliverer, enqueues event id for it (taken,
// with own-change key ownKey), stops the deliverer while the event is in
// hand, then hands it over and waits for what the deliverer recorded. It
// returns the event as taken.
func handOverStopping(t *testing.T, e *env, id, ownKey string) OutboxEvent {
	t.Helper()
	d := e.b.deliver
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.run(ctx) }()
	var lease time.Time
	e.waitFor("the deliverer to run", func() bool { lease = d.reserve(); return !lease.IsZero() })
	now := time.Now()
	ev := OutboxEvent{WebhookID: id, Type: "TaskCreate", ContactID: e.contact.ID, Payload: webhookBody(id, e.contact.ID, now), Received: now, NextTry: now}
	added, taken, err := e.b.store.Enqueue(ctx, ev, now.Add(time.Hour), Take{Until: lease, OwnKey: ownKey})
	if err != nil || !added || len(taken) != 1 {
		t.Fatalf("Enqueue = %v, %d taken, %v", added, len(taken), err)
	}
	cancel() // stops while the event is in hand
	d.handOver(taken)
	<-done
	d.outcomes.wait()
	return taken[0]
}

// TestHandOverWhenStopping: an event the store took for a deliverer that
// stops before it is handed over goes back to the outbox, due at once,
// instead of staying leased to nobody until its lease ends. Fails if
// handOver drops the events of a stopped deliverer.
func TestHandOverWhenStopping(t *testing.T) {
	t.Parallel()
	eachStoreKind(t, func(t *testing.T, kind string) {
		e := newEnvOn(t, kind)
		handOverStopping(t, e, "stopping", "")
		got, err := e.b.store.Claim(context.Background(), time.Now(), 10, time.Minute)
		if err != nil || ids(got) != "[stopping]" {
			t.Errorf("Claim after the deliverer stopped = %s, %v; want the event back, due", ids(got), err)
		}
		if len(e.posts(e.channel.ID)) != 0 {
			t.Error("a stopped deliverer posted the event")
		}
	})
}

// TestHandOverOwnWhenStopping: an event taken with a route that says it is
// the bridge's own change (its own-change mark taken in that write) is
// done when the deliverer stops before posting it, not put back: read
// again, the mark gone, it would be announced. Fails if release gives it
// back.
func TestHandOverOwnWhenStopping(t *testing.T) {
	t.Parallel()
	eachStoreKind(t, func(t *testing.T, kind string) {
		e := newEnvOn(t, kind)
		key := ownKey(webhook.TypeTaskCreate, "task-own")
		if err := e.b.store.MarkOwn(context.Background(), key, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ev := handOverStopping(t, e, "own", key); ev.Route == nil || !ev.Route.Own {
			t.Fatalf("taken %+v; want its route own", ev)
		}
		if st, err := e.b.store.OutboxStats(context.Background()); err != nil || st.Pending != 0 {
			t.Errorf("outbox after the deliverer stopped = %+v, %v; want the own change done", st, err)
		}
		if len(e.posts(e.channel.ID)) != 0 {
			t.Error("the bridge's own change was posted")
		}
	})
}

// TestDeliveredWithoutPolling: with polling out of the picture (an hour),
// events still go out promptly: a contact's next event is handed over by
// the settle of the one before, and events a full deliverer had no room
// for are claimed as soon as room is made. Fails if the deliverer relies
// on its poll for either.
func TestDeliveredWithoutPolling(t *testing.T) {
	t.Parallel()
	eachStoreKind(t, func(t *testing.T, kind string) {
		e := newEnvOn(t, kind)
		e.stop()
		e.start(WithDeliveryPolicy(DeliveryPolicy{Batch: 1, Workers: 1, Poll: time.Hour, MinBackoff: time.Millisecond}))
		e.run()
		e.waitDelivering()
		other := e.hl.AddContact(ghltest.Contact{LocationID: testLocation, FirstName: "Grace"})
		var wg sync.WaitGroup
		for i := range 6 {
			contact := e.contact.ID
			if i%2 == 1 {
				contact = other.ID
			}
			id := fmt.Sprint("nopoll", i)
			wg.Go(func() {
				if got := postWebhook(t, e, signedWebhook(t, e.srv.URL+PathWebhook, webhookBody(id, contact, time.Now()))); got != http.StatusOK {
					t.Errorf("webhook %s: %d", id, got)
				}
			})
		}
		wg.Wait()
		e.waitFor("6 posts", func() bool { return len(e.posts(e.channel.ID)) == 6 })
	})
}

// openStoreT opens an empty store of the kind ("bbolt" or "postgres")
// that t closes.
func openStoreT(t *testing.T, kind string) Store {
	t.Helper()
	if kind == "postgres" {
		return openPGStoreT(t, newTestSchema(t), time.Now)
	}
	bolt, err := OpenBoltStore(filepath.Join(t.TempDir(), "bridge.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	return bolt
}

// runOn restarts e's bridge on store (a wrapper around a store, for
// tests that watch its calls) and runs it.
func (e *env) runOn(store Store) {
	e.t.Helper()
	e.stop()
	e.start(WithStore(store))
	e.run()
}

// waitDelivering waits until the bridge's deliverer runs.
func (e *env) waitDelivering() {
	e.t.Helper()
	e.waitFor("the deliverer to run", func() bool {
		d := e.b.deliver
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.ctx != nil
	})
}

// newEnvOn is an env whose bridge keeps its state in a store of the kind
// ("bbolt" or "postgres"), not yet running.
func newEnvOn(t *testing.T, kind string) *env {
	t.Helper()
	opts := []envOption{withoutRun(), withoutWebhookTarget()}
	if kind == "postgres" {
		opts = append(opts, withDatabase(newTestSchema(t)))
	}
	return newEnv(t, opts...)
}

// eachStoreKind runs test on bbolt and on PostgreSQL, in parallel.
func eachStoreKind(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range []string{"bbolt", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, kind)
		})
	}
}
