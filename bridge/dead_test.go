package bridge

import (
	"context"
	"testing"
	"time"
)

// suiteRetryDead: a dead event is listed, and once put back it takes the
// lead of its contact again (it is older than the contact's waiting
// event), and the counters follow.
func suiteRetryDead(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	store := newStore(t, func() time.Time { return now })
	s, ok := store.(interface {
		Store
		DeadLetters
	})
	if !ok {
		t.Fatalf("%T does not keep dead letters", store)
	}
	enqueueT(t, s, now, "w1", "c1")
	enqueueT(t, s, now, "w2", "c1")
	claimed, err := s.Claim(ctx, now, 10, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].WebhookID != "w1" {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	first := claimed[0]
	if err := s.Settle(ctx, []Outcome{{Seq: first.Seq, Claims: first.Claims, Dead: true, Err: "404", NextTry: now}}); err != nil {
		t.Fatal(err)
	}
	// w2 leads now; it fails and waits an hour.
	claimed, _ = s.Claim(ctx, now, 10, time.Minute)
	if len(claimed) != 1 || claimed[0].WebhookID != "w2" {
		t.Fatalf("after w1 died: %+v", claimed)
	}
	if err := s.Settle(ctx, []Outcome{{Seq: claimed[0].Seq, Claims: claimed[0].Claims, Err: "503", NextTry: now.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	dead, err := s.DeadEvents(ctx)
	if err != nil || len(dead) != 1 || dead[0].Seq != first.Seq || dead[0].WebhookID != "w1" || dead[0].LastError != "404" || dead[0].Attempts != 1 {
		t.Fatalf("DeadEvents = %+v, %v", dead, err)
	}
	if n, err := s.RetryDead(ctx, first.Seq+100, now); n != 0 || err != nil {
		t.Errorf("an unknown id: %d %v", n, err)
	}
	if n, err := s.RetryDead(ctx, first.Seq, now); n != 1 || err != nil {
		t.Fatalf("RetryDead: %d %v", n, err)
	}
	if dead, err := s.DeadEvents(ctx); err != nil || len(dead) != 0 {
		t.Errorf("DeadEvents after the retry = %+v, %v", dead, err)
	}
	st, _ := s.OutboxStats(ctx)
	if st.Pending != 2 || st.Dead != 0 || st.Retrying != 1 {
		t.Errorf("stats: %+v", st)
	}
	claimed, _ = s.Claim(ctx, now, 10, time.Minute)
	if len(claimed) != 1 || claimed[0].WebhookID != "w1" || claimed[0].Attempts != 0 || claimed[0].LastError != "" {
		t.Fatalf("after the retry, w1 leads again: %+v", claimed)
	}
	if err := s.Settle(ctx, []Outcome{{Seq: claimed[0].Seq, Claims: claimed[0].Claims, Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	// Delivered: w2 takes the lead, at its own next try.
	if claimed, _ = s.Claim(ctx, now.Add(time.Hour), 10, time.Minute); len(claimed) != 1 || claimed[0].WebhookID != "w2" {
		t.Errorf("then w2: %+v", claimed)
	}

	// "all": every dead event moves back, and the counters follow.
	enqueueT(t, s, now, "w3", "c2")
	enqueueT(t, s, now, "w4", "")
	// (w2's claim above has lapsed by then.)
	claimed, _ = s.Claim(ctx, now.Add(2*time.Hour), 10, time.Minute)
	var outs []Outcome
	for _, ev := range claimed {
		outs = append(outs, Outcome{Seq: ev.Seq, Claims: ev.Claims, Dead: true, Err: "403", NextTry: now})
	}
	if len(outs) != 3 {
		t.Fatalf("claimed %s, want w2, w3, w4", ids(claimed))
	}
	if err := s.Settle(ctx, outs); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 0 || st.Dead != 3 || st.Retrying != 0 {
		t.Errorf("stats with 3 dead: %+v", st)
	}
	if n, err := s.RetryDead(ctx, 0, now.Add(3*time.Hour)); n != 3 || err != nil {
		t.Fatalf("RetryDead(all) = %d, %v", n, err)
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 3 || st.Dead != 0 || st.Retrying != 0 {
		t.Errorf("stats after retrying all: %+v", st)
	}
	if n, err := s.RetryDead(ctx, 0, now); n != 0 || err != nil {
		t.Errorf("RetryDead(all) of none = %d, %v", n, err)
	}
	if claimed, _ = s.Claim(ctx, now.Add(3*time.Hour), 10, time.Minute); ids(claimed) != "[w2 w3 w4]" {
		t.Errorf("after retrying all: %s", ids(claimed))
	}
}
