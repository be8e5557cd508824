package bridge

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestRetryDeadKeepsTheOutboxIndexes: a dead event put back takes the lead
// of its contact again (it is older than the contact's waiting event), and
// the counters follow.
func TestRetryDeadKeepsTheOutboxIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := OpenBoltStore(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"w1", "w2"} {
		if _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: id, Type: "NoteCreate", ContactID: "c1", Received: now, NextTry: now}, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
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
	if n, err := s.RetryDead(ctx, first.Seq+100, now); n != 0 || err != nil {
		t.Errorf("an unknown id: %d %v", n, err)
	}
	if n, err := s.RetryDead(ctx, first.Seq, now); n != 1 || err != nil {
		t.Fatalf("RetryDead: %d %v", n, err)
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
}
