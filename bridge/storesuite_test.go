package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/webhook"
)

// newStoreFunc opens an empty store whose expiries follow now; the test
// closes it.
type newStoreFunc func(t *testing.T, now func() time.Time) Store

// runStoreSuite is the conformance suite every Store passes: BoltStore and
// PGStore run the same tests.
func runStoreSuite(t *testing.T, newStore newStoreFunc) {
	tests := []struct {
		name string
		fn   func(*testing.T, newStoreFunc)
	}{
		{"Dedupe", suiteDedupe},
		{"DedupeRace", suiteDedupeRace},
		{"OutboxOrder", suiteOutboxOrder},
		{"OutboxLease", suiteOutboxLease},
		{"OutboxSettleTake", suiteOutboxSettleTake},
		{"OutboxEnqueueTake", suiteOutboxEnqueueTake},
		{"OutboxEnqueueTakeRoute", suiteOutboxEnqueueTakeRoute},
		{"OutboxSettleTakeMany", suiteOutboxSettleTakeMany},
		{"OutboxDeadAndStats", suiteOutboxDeadAndStats},
		{"OutboxClaimRace", suiteOutboxClaimRace},
		{"OutboxEnqueueSettleRace", suiteOutboxEnqueueSettleRace},
		{"Threads", suiteThreads},
		{"Subscriptions", suiteSubscriptions},
		{"Route", suiteRoute},
		{"Completions", suiteCompletions},
		{"OwnMarks", suiteOwnMarks},
		{"Lock", suiteLock},
		{"Closed", suiteClosed},
		// store_trust_test.go
		{"Nonces", suiteNonces},
		{"OwnMarksTaken", suiteOwnMarksTaken},
		{"CompletionDropAndPrune", suiteCompletionDropAndPrune},
		{"Suspensions", suiteSuspensions},
		// store_links_test.go
		{"ChannelLinks", suiteChannelLinks},
		{"ChannelLinksRace", suiteChannelLinksRace},
		// taskposts_test.go
		{"TaskPosts", suiteTaskPosts},
		// dead_test.go, writes_test.go
		{"RetryDead", suiteRetryDead},
		{"Writes", suiteWrites},
		{"RouteOwnUnlessWriting", suiteRouteOwnUnlessWriting},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore)
		})
	}
}

func enqueueT(t *testing.T, s Store, now time.Time, id, contact string) OutboxEvent {
	t.Helper()
	ev := OutboxEvent{WebhookID: id, Type: "TaskCreate", ContactID: contact, Payload: json.RawMessage(`{"id":"` + id + `"}`), Received: now, NextTry: now}
	added, _, err := s.Enqueue(context.Background(), ev, now.Add(time.Hour), Take{})
	if err != nil || !added {
		t.Fatalf("Enqueue(%s) = %v, %v", id, added, err)
	}
	return ev
}

// suiteOutboxSettleTakeMany: delivered events settled together hand over
// their contacts' next events, for the first max of them, when due; the
// rest lead, for Claim. The counters follow.
func suiteOutboxSettleTakeMany(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	for _, e := range [][2]string{{"a1", "a"}, {"b1", "b"}, {"c1", "c"}, {"d1", "d"}, {"a2", "a"}, {"c2", "c"}, {"d2", "d"}} {
		enqueueT(t, s, now, e[0], e[1])
	}
	later := OutboxEvent{WebhookID: "b2", Type: "TaskCreate", ContactID: "b", Payload: json.RawMessage(`{}`), Received: now, NextTry: now.Add(time.Hour)}
	if added, _, err := s.Enqueue(ctx, later, now.Add(2*time.Hour), Take{}); err != nil || !added {
		t.Fatalf("Enqueue(b2) = %v, %v", added, err)
	}
	first := claimT(t, s, now, 10)
	if ids(first) != "[a1 b1 c1 d1]" {
		t.Fatalf("Claim = %s", ids(first))
	}
	var outcomes []Outcome
	for _, ev := range first {
		outcomes = append(outcomes, Outcome{Seq: ev.Seq, Claims: ev.Claims, Delivered: true})
	}
	taken, err := s.SettleTake(ctx, outcomes, now, 2, time.Minute)
	if err != nil || ids(taken) != "[a2]" {
		t.Fatalf("SettleTake(4 delivered, max 2) = %s, %v; want [a2] (b2 not due, c1 and d1 past max)", ids(taken), err)
	}
	for _, ev := range taken {
		if ev.Claims != 1 || !ev.NextTry.Equal(now) || ev.Attempts != 0 {
			t.Errorf("taken %+v, want it as Claim returns it", ev)
		}
	}
	if got := claimT(t, s, now, 10); ids(got) != "[c2 d2]" {
		t.Errorf("Claim = %s, want [c2 d2] (a2 leased, b2 not due)", ids(got))
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 4 {
		t.Errorf("stats = %+v, %v; want 4 pending", st, err)
	}
}

// suiteOutboxEnqueueTakeRoute: an event Enqueue takes comes with its
// route as Route reads it right after the write: thread, subscribers, the
// location's channels, suspensions, a write under way (the own-change mark
// then kept), the own-change mark taken (once). An event not taken has
// none.
func suiteOutboxEnqueueTakeRoute(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	for _, sub := range [][2]string{{"a", "s2"}, {"a", "s1"}, {"b", "s3"}} {
		if _, err := s.Subscribe(ctx, sub[0], sub[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"l2", "L1"}, {"l1", "L1"}, {"l3", "L2"}} {
		if _, err := s.LinkChannel(ctx, l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SuspendDestination(ctx, Suspension{ChannelID: "x", Since: now.UTC(), Failures: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveThread(ctx, "a", Thread{ChannelID: "ch", RootID: "r1", Notes: map[string]string{"n1": "p1"}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k1", "k2"} {
		if err := s.MarkOwn(ctx, k, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.BeginWrite(ctx, "b", "w1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	enqueue := func(id, contact string, take Take) []OutboxEvent {
		t.Helper()
		ev := OutboxEvent{WebhookID: id, Type: "TaskCreate", ContactID: contact, Payload: json.RawMessage(`{}`), Received: now, NextTry: now}
		added, taken, err := s.Enqueue(ctx, ev, now.Add(time.Hour), take)
		if err != nil || !added {
			t.Fatalf("Enqueue(%s) = %v, %v", id, added, err)
		}
		return taken
	}
	until := now.Add(time.Minute)
	taken := enqueue("a1", "a", Take{Until: until, LocationID: "L1", OwnKey: "k1"})
	want := Route{Suspended: []string{"x"}, Thread: Thread{ChannelID: "ch", RootID: "r1", Notes: map[string]string{"n1": "p1"}}, HasThread: true,
		Subscribers: []string{"s1", "s2"}, Linked: []string{"l1", "l2"}, Own: true}
	if len(taken) != 1 || taken[0].Route == nil || fmt.Sprintf("%+v", *taken[0].Route) != fmt.Sprintf("%+v", want) {
		t.Fatalf("Enqueue(a1) took %+v; want its route %+v", taken, want)
	}
	if r, err := s.Route(ctx, "a", "L1", "k1"); err != nil || r.Own {
		t.Errorf("Route after the take = own %v, %v; want the mark taken already", r.Own, err)
	}
	if taken := enqueue("a2", "a", Take{Until: until, LocationID: "L1", OwnKey: "k2"}); len(taken) != 0 {
		t.Errorf("Enqueue(a2) behind a1 took %+v", taken)
	}
	// A write under way for b: the event waits, its mark kept.
	taken = enqueue("b1", "b", Take{Until: until, LocationID: "L2", OwnKey: "k2"})
	want = Route{Suspended: []string{"x"}, Subscribers: []string{"s3"}, Linked: []string{"l3"}, Writing: true}
	if len(taken) != 1 || taken[0].Route == nil || fmt.Sprintf("%+v", *taken[0].Route) != fmt.Sprintf("%+v", want) {
		t.Fatalf("Enqueue(b1) took %+v; want its route %+v", taken, want)
	}
	if own, err := s.IsOwn(ctx, "k2"); err != nil || !own {
		t.Fatalf("IsOwn(k2) = %v, %v", own, err)
	}
	if r, err := s.Route(ctx, "c", "", "k2"); err != nil || !r.Own {
		t.Errorf("Route(k2) after b1 = own %v, %v; want the mark still there", r.Own, err)
	}
	// Without a lease: nothing taken, no route.
	if taken := enqueue("c1", "c", Take{LocationID: "L1", OwnKey: "k3"}); len(taken) != 0 {
		t.Errorf("Enqueue(c1) without a lease took %+v", taken)
	}
	if got := claimT(t, s, now, 10); len(got) != 1 || got[0].WebhookID != "c1" || got[0].Route != nil {
		t.Errorf("Claim = %+v; want c1, without a route", got)
	}
}

// suiteOutboxEnqueueTake: Enqueue with a lease takes an event that leads
// its contact for the caller, as Claim would; an event behind its
// contact's earlier ones, or a duplicate, is not taken.
func suiteOutboxEnqueueTake(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	until := now.Add(time.Minute)
	enq := func(id, contact string) (bool, []OutboxEvent) {
		t.Helper()
		ev := OutboxEvent{WebhookID: id, Type: "TaskCreate", ContactID: contact, Payload: json.RawMessage(`{"id":"` + id + `"}`), Received: now, NextTry: now}
		added, taken, err := s.Enqueue(ctx, ev, now.Add(time.Hour), Take{Until: until})
		if err != nil {
			t.Fatalf("Enqueue(%s): %v", id, err)
		}
		return added, taken
	}
	added, taken := enq("a1", "a")
	if !added || len(taken) != 1 || taken[0].WebhookID != "a1" || taken[0].Seq == 0 || taken[0].Claims != 1 ||
		taken[0].ContactID != "a" || string(taken[0].Payload) != `{"id":"a1"}` || !taken[0].NextTry.Equal(now) || !taken[0].Received.Equal(now) {
		t.Fatalf("Enqueue(a1) with a lease = %v, %+v; want it taken", added, taken)
	}
	a1 := taken[0]
	if added, taken := enq("a2", "a"); !added || len(taken) != 0 {
		t.Errorf("Enqueue(a2) behind a1 = %v, %s; want added, not taken", added, ids(taken))
	}
	if added, taken := enq("n1", ""); !added || ids(taken) != "[n1]" {
		t.Errorf("Enqueue(n1) without a contact = %v, %s; want taken", added, ids(taken))
	}
	if added, taken := enq("a1", "a"); added || len(taken) != 0 {
		t.Errorf("Enqueue(a1) again = %v, %s; want neither added nor taken", added, ids(taken))
	}
	// Leased: no Claim returns them before the lease ends; then Claim
	// takes a1 over (a died replica), a2 still behind it.
	if got := claimT(t, s, now.Add(30*time.Second), 10); len(got) != 0 {
		t.Errorf("Claim within the lease = %s", ids(got))
	}
	over := claimT(t, s, until, 10)
	if ids(over) != "[a1 n1]" || over[0].Claims != 2 {
		t.Fatalf("Claim after the lease = %+v, want a1 (claims 2) and n1", over)
	}
	// The taken claim's outcome is stale now; the new one's counts.
	if err := s.Settle(ctx, []Outcome{{Seq: a1.Seq, Claims: a1.Claims, Err: "late", NextTry: until.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Settle(ctx, []Outcome{{Seq: a1.Seq, Claims: over[0].Claims, Delivered: true}, {Seq: over[1].Seq, Claims: over[1].Claims, Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	if got := claimT(t, s, until, 10); ids(got) != "[a2]" {
		t.Errorf("Claim after a1 was delivered = %s, want [a2]", ids(got))
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 1 || st.Retrying != 0 {
		t.Errorf("stats = %+v, %v; want 1 pending, none retrying", st, err)
	}
}

func claimT(t *testing.T, s Store, now time.Time, max int) []OutboxEvent {
	t.Helper()
	evs, err := s.Claim(context.Background(), now, max, time.Minute)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return evs
}

func ids(evs []OutboxEvent) string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.WebhookID)
	}
	return fmt.Sprint(out)
}

func suiteDedupe(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)

	if err := s.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "a", time.Minute); !errors.Is(err, webhook.ErrInProgress) {
		t.Errorf("second Reserve = %v, want ErrInProgress", err)
	}
	if err := s.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "a", time.Minute); err != nil {
		t.Errorf("Reserve after Release = %v", err)
	}
	if err := s.Commit(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "a", time.Minute); !errors.Is(err, webhook.ErrDuplicate) {
		t.Errorf("Reserve after Commit = %v, want ErrDuplicate", err)
	}
	if err := s.Release(ctx, "never-seen"); err != nil {
		t.Errorf("Release of an unknown id = %v", err)
	}
	if err := s.Commit(ctx, "never-seen"); err != nil {
		t.Errorf("Commit of an unknown id = %v", err)
	}
	if err := s.Reserve(ctx, "", time.Minute); err == nil {
		t.Error("Reserve of an empty id accepted")
	}

	// Enqueue records the id in the outbox's transaction, also while it is
	// reserved (by the caller).
	if err := s.Reserve(ctx, "b", time.Minute); err != nil {
		t.Fatal(err)
	}
	enqueueT(t, s, clock.now(), "b", "c1")
	if added, _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "b", Payload: json.RawMessage(`{}`)}, clock.now().Add(time.Hour), Take{}); added || err != nil {
		t.Errorf("second Enqueue = %v, %v; want not added", added, err)
	}
	if err := s.Commit(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "b", time.Minute); !errors.Is(err, webhook.ErrDuplicate) {
		t.Errorf("Reserve of an enqueued id = %v", err)
	}
	if _, _, err := s.Enqueue(ctx, OutboxEvent{Payload: json.RawMessage(`{}`)}, clock.now(), Take{}); err == nil {
		t.Error("Enqueue without webhookId accepted")
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 1 {
		t.Errorf("pending = %d, want 1", st.Pending)
	}

	// Expiry: a reservation after its ttl, a committed id after its time.
	if err := s.Reserve(ctx, "c", time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.add(2 * time.Minute)
	for id, want := range map[string]error{"a": nil, "b": webhook.ErrDuplicate, "c": nil} {
		if err := s.Reserve(ctx, id, time.Minute); !errors.Is(err, want) && err != want {
			t.Errorf("2 minutes on, Reserve(%s) = %v, want %v", id, err, want)
		}
	}
	if err := s.Sweep(ctx, clock.now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "b", time.Minute); !errors.Is(err, webhook.ErrDuplicate) {
		t.Errorf("Sweep dropped a live id: Reserve(b) = %v", err)
	}
	clock.add(2 * time.Hour)
	if err := s.Sweep(ctx, clock.now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "b", time.Minute); err != nil {
		t.Errorf("Reserve(b) after its time = %v", err)
	}
	// An expired id is no duplicate: Enqueue takes it again.
	if added, _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "a", Payload: json.RawMessage(`{}`), NextTry: clock.now()}, clock.now().Add(time.Hour), Take{}); !added || err != nil {
		t.Errorf("Enqueue of an expired id = %v, %v", added, err)
	}
}

// suiteDedupeRace: of concurrent Reserve calls for one id, one wins; of
// concurrent Enqueue calls for one id, one stores it.
func suiteDedupeRace(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	var won, enq atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			err := s.Reserve(ctx, "r", time.Minute)
			switch {
			case err == nil:
				won.Add(1)
			case !errors.Is(err, webhook.ErrInProgress):
				t.Errorf("Reserve: %v", err)
			}
			added, _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "e", ContactID: fmt.Sprint("c", i), Payload: json.RawMessage(`{}`), NextTry: time.Now()}, time.Now().Add(time.Hour), Take{})
			if err != nil {
				t.Errorf("Enqueue: %v", err)
			}
			if added {
				enq.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || enq.Load() != 1 {
		t.Errorf("%d Reserve and %d Enqueue won, want 1 each", won.Load(), enq.Load())
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 1 {
		t.Errorf("pending = %d, want 1", st.Pending)
	}
}

func suiteOutboxOrder(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	for i, c := range []string{"x", "y", "x", "z", "x", ""} {
		enqueueT(t, s, now, fmt.Sprint("w", i), c)
	}
	if got := claimT(t, s, now.Add(-time.Second), 10); len(got) != 0 {
		t.Errorf("Claim before anything is due = %s", ids(got))
	}
	// Only each contact's first event: x's w2 and w4 wait for w0.
	got := claimT(t, s, now, 2)
	if ids(got) != "[w0 w1]" || got[0].Seq == 0 || got[0].Seq >= got[1].Seq || got[0].Claims != 1 || string(got[0].Payload) != `{"id":"w0"}` || got[0].ContactID != "x" || !got[0].Received.Equal(now) {
		t.Fatalf("Claim(max 2) = %+v", got)
	}
	seq := map[string]uint64{"w0": got[0].Seq, "w1": got[1].Seq}
	rest := claimT(t, s, now, 10)
	if ids(rest) != "[w3 w5]" {
		t.Fatalf("second Claim = %s, want [w3 w5] (leased events and x's later ones left out)", ids(rest))
	}
	for _, ev := range rest {
		seq[ev.WebhookID] = ev.Seq
	}
	// w0 fails: x's later events still wait, now for w0's retry.
	err := s.Settle(ctx, []Outcome{
		{Seq: seq["w0"], Claims: 1, NextTry: now.Add(time.Minute), Err: "boom", Posted: []string{"ch/"}},
		{Seq: seq["w1"], Claims: 1, Delivered: true},
		{Seq: seq["w3"], Claims: 1, Delivered: true},
		{Seq: seq["w5"], Claims: 1, Delivered: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := claimT(t, s, now.Add(30*time.Second), 10); len(got) != 0 {
		t.Errorf("Claim while x's first event waits = %s", ids(got))
	}
	got = claimT(t, s, now.Add(time.Minute), 10)
	if ids(got) != "[w0]" || got[0].Attempts != 1 || got[0].LastError != "boom" || fmt.Sprint(got[0].Posted) != "[ch/]" || got[0].Claims != 2 {
		t.Fatalf("Claim at w0's retry = %+v", got)
	}
	// Deferred: no attempt counted, due again at its NextTry.
	if err := s.Settle(ctx, []Outcome{{Seq: seq["w0"], Claims: 2, Deferred: true, NextTry: now.Add(2 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if got := claimT(t, s, now.Add(time.Minute+time.Second), 10); len(got) != 0 {
		t.Errorf("Claim before the deferred time = %s", ids(got))
	}
	got = claimT(t, s, now.Add(2*time.Minute), 10)
	if ids(got) != "[w0]" || got[0].Attempts != 1 {
		t.Fatalf("Claim after defer = %+v", got)
	}
	if err := s.Settle(ctx, []Outcome{{Seq: seq["w0"], Claims: got[0].Claims, Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	// Then x's events one at a time, in order.
	for _, want := range []string{"w2", "w4"} {
		got = claimT(t, s, now.Add(2*time.Minute), 10)
		if ids(got) != "["+want+"]" {
			t.Fatalf("Claim = %s, want [%s]", ids(got), want)
		}
		if err := s.Settle(ctx, []Outcome{{Seq: got[0].Seq, Claims: got[0].Claims, Delivered: true}}); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := s.OutboxStats(ctx); err != nil || st != (OutboxStats{}) {
		t.Errorf("stats of an empty outbox = %+v, %v", st, err)
	}
	// Settling an unknown event is harmless.
	if err := s.Settle(ctx, []Outcome{{Seq: 999, Delivered: true}, {Seq: 998, NextTry: now}}); err != nil {
		t.Error(err)
	}
	if got, err := s.Claim(ctx, now, 0, time.Minute); len(got) != 0 || err != nil {
		t.Errorf("Claim(max 0) = %v, %v", got, err)
	}
}

// suiteOutboxLease: a claim that is not settled expires, and the outcome
// of the claim that lost it is then ignored; a release makes it due again.
func suiteOutboxLease(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	enqueueT(t, s, now, "a", "x")
	enqueueT(t, s, now, "b", "x")
	first := claimT(t, s, now, 10) // a, leased for a minute
	if ids(first) != "[a]" {
		t.Fatalf("Claim = %s", ids(first))
	}
	if got := claimT(t, s, now.Add(59*time.Second), 10); len(got) != 0 {
		t.Errorf("Claim during the lease = %s", ids(got))
	}
	second := claimT(t, s, now.Add(61*time.Second), 10)
	if ids(second) != "[a]" || second[0].Claims != 2 {
		t.Fatalf("Claim after the lease = %+v", second)
	}
	// The first claimer's failure comes late: ignored.
	if err := s.Settle(ctx, []Outcome{{Seq: first[0].Seq, Claims: 1, NextTry: now.Add(time.Hour), Err: "late"}}); err != nil {
		t.Fatal(err)
	}
	// The second claimer releases it (shutting down): due at once, no
	// attempt counted.
	if err := s.Settle(ctx, []Outcome{{Seq: second[0].Seq, Claims: 2, Deferred: true, NextTry: now}}); err != nil {
		t.Fatal(err)
	}
	third := claimT(t, s, now.Add(62*time.Second), 10)
	if ids(third) != "[a]" || third[0].Attempts != 0 || third[0].LastError != "" || third[0].Claims != 3 {
		t.Fatalf("Claim after release = %+v", third)
	}
	// A delivery is recorded whichever claim reports it.
	if err := s.Settle(ctx, []Outcome{{Seq: first[0].Seq, Claims: 1, Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	if got := claimT(t, s, now.Add(62*time.Second), 10); ids(got) != "[b]" {
		t.Errorf("Claim after a's delivery = %s, want [b]", ids(got))
	}
}

// suiteOutboxSettleTake: SettleTake takes, as Claim would, the events
// that the outcomes made their contact's first and that are due (by now,
// or when received), at most max. Taken or not, every event is delivered
// once, in its contact's order.
func suiteOutboxSettleTake(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	for _, e := range [][2]string{{"x1", "x"}, {"y1", "y"}, {"z1", "z"}, {"x2", "x"}, {"y2", "y"}, {"x3", "x"}} {
		enqueueT(t, s, now, e[0], e[1])
	}
	// z's next event is due only in an hour.
	late := OutboxEvent{WebhookID: "z2", Type: "TaskCreate", ContactID: "z", Payload: json.RawMessage(`{}`), Received: now, NextTry: now.Add(time.Hour)}
	if added, _, err := s.Enqueue(ctx, late, now.Add(2*time.Hour), Take{}); err != nil || !added {
		t.Fatalf("Enqueue(z2) = %v, %v", added, err)
	}
	first := claimT(t, s, now, 10)
	if ids(first) != "[x1 y1 z1]" {
		t.Fatalf("Claim = %s", ids(first))
	}
	if got, err := s.SettleTake(ctx, nil, now, 10, time.Minute); got != nil || err != nil {
		t.Errorf("SettleTake of nothing = %s, %v", ids(got), err)
	}
	// x1 delivered, y1 dead, z1 delivered; at most one taken: x2 or y2
	// (z2 is not due).
	taken, err := s.SettleTake(ctx, []Outcome{
		{Seq: first[0].Seq, Claims: 1, Delivered: true},
		{Seq: first[1].Seq, Claims: 1, Dead: true, Err: "gone", NextTry: now},
		{Seq: first[2].Seq, Claims: 1, Delivered: true},
	}, now, 1, time.Minute)
	if err != nil || len(taken) != 1 {
		t.Fatalf("SettleTake(max 1) = %s, %v; want one of x2, y2", ids(taken), err)
	}
	for _, ev := range taken {
		if (ev.WebhookID != "x2" && ev.WebhookID != "y2") || ev.Claims != 1 || ev.Attempts != 0 || !ev.NextTry.Equal(now) || !ev.Received.Equal(now) || string(ev.Payload) != `{"id":"`+ev.WebhookID+`"}` {
			t.Errorf("taken %+v, want x2 or y2 as Claim returns it", ev)
		}
	}
	// The rest is claimed as usual; what was taken is leased.
	rest := claimT(t, s, now, 10)
	if got := ids(append(slices.Clone(taken), rest...)); got != "[x2 y2]" && got != "[y2 x2]" {
		t.Fatalf("taken %s, then Claim %s; want x2 and y2 once", ids(taken), ids(rest))
	}
	if got := claimT(t, s, now.Add(59*time.Second), 10); len(got) != 0 {
		t.Errorf("Claim during the leases = %s", ids(got))
	}
	// A deferred or failed outcome takes nothing; max 0 takes nothing.
	byID := map[string]OutboxEvent{}
	for _, ev := range append(taken, rest...) {
		byID[ev.WebhookID] = ev
	}
	got, err := s.SettleTake(ctx, []Outcome{{Seq: byID["x2"].Seq, Claims: 1, Deferred: true, NextTry: now}}, now, 10, time.Minute)
	if err != nil || len(got) != 0 {
		t.Errorf("SettleTake(deferred) = %s, %v", ids(got), err)
	}
	got, err = s.SettleTake(ctx, []Outcome{{Seq: byID["y2"].Seq, Claims: 1, Delivered: true}}, now, 0, time.Minute)
	if err != nil || len(got) != 0 {
		t.Errorf("SettleTake(max 0) = %s, %v", ids(got), err)
	}
	x2 := claimT(t, s, now, 10)
	if ids(x2) != "[x2]" {
		t.Fatalf("Claim after x2 was deferred = %s", ids(x2))
	}
	taken, err = s.SettleTake(ctx, []Outcome{{Seq: x2[0].Seq, Claims: x2[0].Claims, Delivered: true}}, now, 10, time.Minute)
	if err != nil || ids(taken) != "[x3]" {
		t.Fatalf("SettleTake(x2) = %s, %v; want [x3]", ids(taken), err)
	}
	// An event received by a replica whose clock is ahead is due when
	// received: taken even though the settler's now is before it.
	ahead := now.Add(2 * time.Second)
	if added, _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "x4", Type: "TaskCreate", ContactID: "x", Payload: json.RawMessage(`{}`), Received: ahead, NextTry: ahead}, now.Add(time.Hour), Take{}); err != nil || !added {
		t.Fatalf("Enqueue(x4) = %v, %v", added, err)
	}
	taken, err = s.SettleTake(ctx, []Outcome{{Seq: taken[0].Seq, Claims: taken[0].Claims, Delivered: true}}, now, 10, time.Minute)
	if err != nil || ids(taken) != "[x4]" {
		t.Fatalf("SettleTake(x3) = %s, %v; want [x4], due when received", ids(taken), err)
	}
	if err := s.Settle(ctx, []Outcome{{Seq: taken[0].Seq, Claims: taken[0].Claims, Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.OutboxStats(ctx)
	if err != nil || st.Pending != 1 || st.Dead != 1 {
		t.Errorf("stats = %+v, %v; want z2 pending, y1 dead", st, err)
	}
	if got := claimT(t, s, now.Add(time.Hour), 10); ids(got) != "[z2]" {
		t.Errorf("Claim in an hour = %s, want [z2]", ids(got))
	}
}

func suiteOutboxDeadAndStats(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	enqueueT(t, s, now, "a", "x")
	enqueueT(t, s, now.Add(time.Second), "b", "x")
	enqueueT(t, s, now.Add(2*time.Second), "c", "y")
	st, err := s.OutboxStats(ctx)
	if err != nil || st.Pending != 3 || st.Retrying != 0 || st.Dead != 0 || !st.Oldest.Equal(now) {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	got := claimT(t, s, now.Add(2*time.Second), 10)
	if ids(got) != "[a c]" {
		t.Fatalf("Claim = %s", ids(got))
	}
	if err := s.Settle(ctx, []Outcome{{Seq: got[0].Seq, Claims: 1, NextTry: now.Add(time.Minute), Err: "503"}, {Seq: got[1].Seq, Claims: 1, NextTry: now.Add(time.Minute), Err: "503"}}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 3 || st.Retrying != 2 {
		t.Errorf("stats after two failures = %+v", st)
	}
	got = claimT(t, s, now.Add(time.Minute), 10)
	// a is dead: b takes the lead at once.
	if err := s.Settle(ctx, []Outcome{{Seq: got[0].Seq, Claims: 2, Dead: true, Err: "400", NextTry: now.Add(2 * time.Minute)}, {Seq: got[1].Seq, Claims: 2, NextTry: now.Add(2 * time.Minute), Err: "503"}}); err != nil {
		t.Fatal(err)
	}
	st, _ = s.OutboxStats(ctx)
	if st.Pending != 2 || st.Retrying != 1 || st.Dead != 1 || !st.Oldest.Equal(now.Add(time.Second)) {
		t.Errorf("stats after a dead letter = %+v", st)
	}
	if got := claimT(t, s, now.Add(time.Minute), 10); ids(got) != "[b]" {
		t.Errorf("Claim after x's first event died = %s, want [b]", ids(got))
	}
	// The dead letter is pruned DeadKept after its last attempt (its next
	// try), and the count follows.
	if err := s.Sweep(ctx, now.Add(2*time.Minute+DeadKept)); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.OutboxStats(ctx); st.Dead != 1 {
		t.Errorf("dead = %d after a sweep before DeadKept, want 1", st.Dead)
	}
	if err := s.Sweep(ctx, now.Add(3*time.Minute+DeadKept)); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.OutboxStats(ctx); st.Dead != 0 || st.Pending != 2 {
		t.Errorf("stats after the dead letter's pruning = %+v, want 0 dead, 2 pending", st)
	}
}

// suiteOutboxClaimRace: concurrent claimers never get the same event or
// two events of one contact at once, and every event is delivered once, in
// its contact's order.
func suiteOutboxClaimRace(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	const contacts, per = 8, 12
	for i := range per {
		for c := range contacts {
			enqueueT(t, s, now, fmt.Sprintf("c%d-%02d", c, i), fmt.Sprint("c", c))
		}
	}
	var mu sync.Mutex
	held := make(map[string]bool)      // contacts with an event in hand
	order := make(map[string][]string) // contact → delivered webhookIds
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100_000 {
				evs, err := s.Claim(ctx, now, 3, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(evs) == 0 {
					mu.Lock()
					done := len(held) == 0
					n := 0
					for _, o := range order {
						n += len(o)
					}
					mu.Unlock()
					if done && n == contacts*per {
						return
					}
					continue
				}
				mu.Lock()
				for _, ev := range evs {
					if held[ev.ContactID] {
						t.Errorf("two events of %s in hand at once", ev.ContactID)
					}
					held[ev.ContactID] = true
					order[ev.ContactID] = append(order[ev.ContactID], ev.WebhookID)
				}
				mu.Unlock()
				var outs []Outcome
				for _, ev := range evs {
					outs = append(outs, Outcome{Seq: ev.Seq, Claims: ev.Claims, Delivered: true})
				}
				mu.Lock()
				for _, ev := range evs {
					delete(held, ev.ContactID)
				}
				mu.Unlock()
				// Released from "held" before Settle: another claimer may
				// not get the next event until Settle commits, so a
				// violation of the order shows as a wrong order below.
				if err := s.Settle(ctx, outs); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	checkContactOrder(t, order, contacts, per)
}

// suiteOutboxEnqueueSettleRace enqueues a contact's events while its
// earlier ones are being claimed and settled, in batches of outcomes of
// several contacts at once (as the deliverer records them): an event
// stored while its contact's lead leaves must still lead in its turn, so
// every event is delivered, once, in order, with none stuck.
func suiteOutboxEnqueueSettleRace(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := newStore(t, func() time.Time { return now })
	const contacts, per = 4, 25
	var mu sync.Mutex
	order := make(map[string][]string) // contact → delivered webhookIds
	delivered := 0
	var wg sync.WaitGroup
	for c := range contacts {
		wg.Go(func() { // one sender per contact: its events in order
			for i := range per {
				ev := OutboxEvent{WebhookID: fmt.Sprintf("c%d-%02d", c, i), Type: "TaskCreate", ContactID: fmt.Sprint("c", c), Payload: json.RawMessage(`{}`), Received: now, NextTry: now}
				if _, _, err := s.Enqueue(ctx, ev, now.Add(time.Hour), Take{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			deadline := time.Now().Add(30 * time.Second) // a bound on a broken store, not a timing
			for time.Now().Before(deadline) {
				evs, err := s.Claim(ctx, now, 8, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, ev := range evs {
					order[ev.ContactID] = append(order[ev.ContactID], ev.WebhookID)
				}
				delivered += len(evs)
				done := delivered == contacts*per
				mu.Unlock()
				var outs []Outcome
				for _, ev := range evs {
					outs = append(outs, Outcome{Seq: ev.Seq, Claims: ev.Claims, Delivered: true})
				}
				if err := s.Settle(ctx, outs); err != nil {
					t.Error(err)
					return
				}
				if done {
					return
				}
			}
		})
	}
	wg.Wait()
	checkContactOrder(t, order, contacts, per)
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 0 {
		t.Errorf("stats after delivering everything: %+v, %v", st, err)
	}
}

// checkContactOrder checks that each contact cN's events cN-00, cN-01…
// were delivered once each, in order.
func checkContactOrder(t *testing.T, order map[string][]string, contacts, per int) {
	t.Helper()
	for c := range contacts {
		key := fmt.Sprint("c", c)
		var want []string
		for i := range per {
			want = append(want, fmt.Sprintf("c%d-%02d", c, i))
		}
		if !slices.Equal(order[key], want) {
			t.Errorf("contact %s delivered %v, want %v", key, order[key], want)
		}
	}
}

func suiteThreads(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	if _, ok, err := s.Thread(ctx, "c1"); ok || err != nil {
		t.Errorf("Thread of nobody = %v, %v", ok, err)
	}
	if err := s.SaveThread(ctx, "c1", Thread{ChannelID: "ch", RootID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddThreadNotes(ctx, "c1", "r1", map[string]string{"n1": "p1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddThreadNotes(ctx, "c1", "r1", map[string]string{"n3": "p3"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddThreadNotes(ctx, "c1", "old-root", map[string]string{"n2": "p2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddThreadNotes(ctx, "nobody", "r1", map[string]string{"n2": "p2"}); err != nil {
		t.Fatal(err)
	}
	th, ok, err := s.Thread(ctx, "c1")
	if !ok || err != nil || th.ChannelID != "ch" || th.RootID != "r1" || fmt.Sprint(th.Notes) != "map[n1:p1 n3:p3]" {
		t.Errorf("thread = %+v, %v, %v", th, ok, err)
	}
	if _, ok, _ := s.Thread(ctx, "nobody"); ok {
		t.Error("AddThreadNotes created a thread")
	}
	// Replacing the thread drops its notes.
	if err := s.SaveThread(ctx, "c1", Thread{ChannelID: "ch2", RootID: "r2"}); err != nil {
		t.Fatal(err)
	}
	if th, _, _ := s.Thread(ctx, "c1"); th.RootID != "r2" || len(th.Notes) != 0 {
		t.Errorf("replaced thread = %+v", th)
	}
	// An empty thread (forgotten) is still a record.
	if err := s.SaveThread(ctx, "c1", Thread{}); err != nil {
		t.Fatal(err)
	}
	if th, ok, _ := s.Thread(ctx, "c1"); !ok || th.RootID != "" {
		t.Errorf("forgotten thread = %+v, %v", th, ok)
	}
}

func suiteSubscriptions(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	if subs, err := s.Subscribers(ctx, "c1"); len(subs) != 0 || err != nil {
		t.Errorf("subscribers of nobody = %v, %v", subs, err)
	}
	for i, ch := range []string{"b", "a", "a"} {
		added, err := s.Subscribe(ctx, "c1", ch)
		if err != nil || added != (i < 2) {
			t.Errorf("Subscribe(%s) = %v, %v", ch, added, err)
		}
	}
	s.Subscribe(ctx, "c10", "z") // a prefix of another contact's ID
	if subs, _ := s.Subscribers(ctx, "c1"); fmt.Sprint(subs) != "[a b]" {
		t.Errorf("subscribers = %v", subs)
	}
	if removed, _ := s.Unsubscribe(ctx, "c1", "a"); !removed {
		t.Error("Unsubscribe a: not removed")
	}
	if removed, _ := s.Unsubscribe(ctx, "c1", "a"); removed {
		t.Error("second Unsubscribe: removed")
	}
	if subs, _ := s.Subscribers(ctx, "c1"); fmt.Sprint(subs) != "[b]" {
		t.Errorf("subscribers after Unsubscribe = %v", subs)
	}
}

// suiteRoute: Route answers what Suspensions, Thread, Subscribers and
// LocationChannels answer, in one read (its write and own-mark part:
// suiteRouteOwnUnlessWriting).
func suiteRoute(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	if r, err := s.Route(ctx, "c1", "L1", ""); err != nil || fmt.Sprintf("%+v", r) != fmt.Sprintf("%+v", Route{}) {
		t.Errorf("Route of nothing = %+v, %v", r, err)
	}
	for _, sub := range [][2]string{{"c1", "b"}, {"c1", "a"}, {"c10", "z"}} {
		if _, err := s.Subscribe(ctx, sub[0], sub[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"l2", "L1"}, {"l1", "L1"}, {"l3", "L10"}} {
		if _, err := s.LinkChannel(ctx, l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []string{"s2", "s1"} {
		if err := s.SuspendDestination(ctx, Suspension{ChannelID: ch, Since: time.Unix(1_700_000_000, 0).UTC(), Failures: 3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveThread(ctx, "c1", Thread{ChannelID: "ch", RootID: "r1", Notes: map[string]string{"n1": "p1"}}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Route(ctx, "c1", "L1", "")
	want := Route{Suspended: []string{"s1", "s2"}, Thread: Thread{ChannelID: "ch", RootID: "r1", Notes: map[string]string{"n1": "p1"}}, HasThread: true,
		Subscribers: []string{"a", "b"}, Linked: []string{"l1", "l2"}}
	if err != nil || fmt.Sprintf("%+v", r) != fmt.Sprintf("%+v", want) {
		t.Errorf("Route(c1, L1) = %+v, %v\nwant %+v", r, err, want)
	}
	// No location: no linked channels. A forgotten thread is still one.
	if err := s.SaveThread(ctx, "c1", Thread{}); err != nil {
		t.Fatal(err)
	}
	r, err = s.Route(ctx, "c1", "", "")
	want = Route{Suspended: []string{"s1", "s2"}, HasThread: true, Subscribers: []string{"a", "b"}}
	if err != nil || fmt.Sprintf("%+v", r) != fmt.Sprintf("%+v", want) {
		t.Errorf("Route(c1, \"\") = %+v, %v\nwant %+v", r, err, want)
	}
}

func suiteCompletions(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	at := time.Unix(1_700_000_000, 0).UTC()
	s := newStore(t, nil)
	if _, ok, err := s.Completion(ctx, "t1"); ok || err != nil {
		t.Errorf("Completion of nothing = %v, %v", ok, err)
	}
	first := Completion{TaskID: "t1", ContactID: "c1", UserID: "u1", UserName: "alice", At: at}
	if held, recorded, err := s.RecordCompletion(ctx, first); !recorded || err != nil || held != first {
		t.Errorf("RecordCompletion = %+v %v %v", held, recorded, err)
	}
	if held, recorded, _ := s.RecordCompletion(ctx, Completion{TaskID: "t1", UserName: "bob"}); recorded || held.UserName != "alice" || !held.At.Equal(at) {
		t.Errorf("second RecordCompletion = %+v %v", held, recorded)
	}
	if c, ok, _ := s.Completion(ctx, "t1"); !ok || c.UserName != "alice" || c.UserID != "u1" || c.ContactID != "c1" || !c.At.Equal(at) {
		t.Errorf("Completion = %+v", c)
	}
	// Racing clicks: one completion holds, and every caller is told which.
	var wg sync.WaitGroup
	var recorded atomic.Int32
	heldBy := make([]string, 16)
	for i := range heldBy {
		wg.Go(func() {
			held, rec, err := s.RecordCompletion(ctx, Completion{TaskID: "t2", UserName: fmt.Sprint("user", i), At: at})
			if err != nil {
				t.Error(err)
			}
			if rec {
				recorded.Add(1)
			}
			heldBy[i] = held.UserName
		})
	}
	wg.Wait()
	c, _, _ := s.Completion(ctx, "t2")
	if recorded.Load() != 1 {
		t.Errorf("%d racing completions recorded, want 1", recorded.Load())
	}
	for i, h := range heldBy {
		if h != c.UserName {
			t.Errorf("caller %d was told %s completed it; the store says %s", i, h, c.UserName)
		}
	}
}

func suiteOwnMarks(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)
	key := ownKey("TaskCreate", "t2")
	if own, err := s.IsOwn(ctx, key); own || err != nil {
		t.Errorf("IsOwn of nothing = %v, %v", own, err)
	}
	if err := s.MarkOwn(ctx, key, clock.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if own, _ := s.IsOwn(ctx, key); !own {
		t.Error("not own after MarkOwn")
	}
	if own, _ := s.IsOwn(ctx, ownKey("TaskCreate", "t3")); own {
		t.Error("another key is own")
	}
	clock.add(2 * time.Hour)
	if own, _ := s.IsOwn(ctx, key); own {
		t.Error("own after expiry")
	}
	if err := s.Sweep(ctx, clock.now()); err != nil {
		t.Fatal(err)
	}
	s.MarkOwn(ctx, key, clock.now().Add(time.Hour))
	if own, _ := s.IsOwn(ctx, key); !own {
		t.Error("not own after a new MarkOwn")
	}
	if err := s.ForgetOwn(ctx, key); err != nil {
		t.Fatal(err)
	}
	if own, _ := s.IsOwn(ctx, key); own {
		t.Error("own after ForgetOwn")
	}
	if err := s.ForgetOwn(ctx, key); err != nil {
		t.Errorf("ForgetOwn of nothing = %v", err)
	}
}

func suiteClosed(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if _, _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "x", Payload: json.RawMessage(`{}`)}, time.Now(), Take{}); err == nil {
		t.Error("Enqueue after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func suiteLock(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	unlock, err := s.Lock(ctx, "task/1")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		defer close(got)
		u, err := s.Lock(ctx, "task/1")
		if err != nil {
			t.Error(err)
			return
		}
		u()
	}()
	// Another key is free meanwhile.
	other, err := s.Lock(ctx, "task/2")
	if err != nil {
		t.Fatal(err)
	}
	other()
	select {
	case <-got:
		t.Fatal("a second Lock of a held key returned")
	case <-time.After(20 * time.Millisecond):
	}
	unlock()
	unlock() // a second call does nothing
	<-got
	// Waiting ends with ctx.
	unlock, err = s.Lock(ctx, "task/1")
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if u, err := s.Lock(wctx, "task/1"); err == nil {
		u()
		t.Error("Lock of a held key returned before ctx ended")
	}
	unlock()
	u, err := s.Lock(ctx, "task/1")
	if err != nil {
		t.Fatalf("Lock after a cancelled wait: %v", err)
	}
	u()
}
