package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/bridge"
	"github.com/ghlkit/ghl/bridge/pgtest"
)

// TestDeadSubcommandsPostgres: with BRIDGE_DATABASE_URL, dead list and
// dead retry work on PostgreSQL while a bridge (here its store) keeps it
// open, and the running bridge sees the events back with the counters
// right. No bbolt file is made.
func TestDeadSubcommandsPostgres(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.Schema(t)
	env, _, _ := checkEnv(t)
	env[bridge.EnvDatabaseURL] = dbURL
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()

	// The running bridge's store stays open throughout.
	s, err := bridge.OpenPGStore(ctx, dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"w1", "w2", "w3"} {
		ev := bridge.OutboxEvent{WebhookID: id, Type: "NoteCreate", ContactID: "c-" + id, Payload: []byte(`{}`), Received: now, NextTry: now}
		if _, _, err := s.Enqueue(ctx, ev, now.Add(time.Hour), bridge.Take{}); err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.Claim(ctx, now, 10, time.Minute)
	if err != nil || len(due) != 3 {
		t.Fatalf("claim: %+v %v", due, err)
	}
	var outcomes []bridge.Outcome
	for _, ev := range due[:2] {
		outcomes = append(outcomes, bridge.Outcome{Seq: ev.Seq, Claims: ev.Claims, Dead: true, Err: "mattermost: 404 channel gone", NextTry: now})
	}
	outcomes = append(outcomes, bridge.Outcome{Seq: due[2].Seq, Claims: due[2].Claims, Delivered: true})
	if err := s.Settle(ctx, outcomes); err != nil {
		t.Fatal(err)
	}

	var out, errOut syncBuffer
	if code := run(ctx, []string{"dead", "list"}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"ID  RECEIVED", "1   2026-12-01T10:00:00Z  NoteCreate  c-w1     1         mattermost: 404 channel gone", "2   2026-12-01T10:00:00Z  NoteCreate  c-w2", "2 dead events"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(ctx, []string{"dead", "retry", "2"}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("retry 2: exit %d: %s", code, errOut.String())
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Dead != 1 || st.Pending != 1 || st.Retrying != 0 {
		t.Errorf("after retry 2: %+v %v", st, err)
	}
	errOut = syncBuffer{}
	if code := run(ctx, []string{"dead", "retry", "2"}, getenv, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no dead event 2") {
		t.Errorf("retry 2 again: exit %d: %s", code, errOut.String())
	}
	if code := run(ctx, []string{"dead", "retry", "all"}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("retry all: exit %d: %s", code, errOut.String())
	}
	dead, _ := s.DeadEvents(ctx)
	st, _ := s.OutboxStats(ctx)
	// Oldest next try first: w2 went back first.
	due, _ = s.Claim(ctx, time.Now(), 10, time.Minute)
	if len(dead) != 0 || st.Dead != 0 || st.Pending != 2 || len(due) != 2 || due[0].WebhookID != "w2" || due[1].WebhookID != "w1" || due[1].Attempts != 0 || due[1].LastError != "" {
		t.Errorf("after retry all: dead %v, stats %+v, due %+v", dead, st, due)
	}
	out = syncBuffer{}
	if code := run(ctx, []string{"dead", "list"}, getenv, &out, &errOut); code != 0 || !strings.Contains(out.String(), "no dead events") {
		t.Errorf("list after retry all: exit %d: %s", code, out.String())
	}
	if _, err := os.Stat(env[bridge.EnvData]); !os.IsNotExist(err) {
		t.Errorf("a bbolt file was made at %s: %v", filepath.Base(env[bridge.EnvData]), err)
	}
}
