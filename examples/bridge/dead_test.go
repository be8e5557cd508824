package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/bridge"
)

// TestDeadSubcommands lists the dead events of the configured store and
// puts them back in the outbox, one by id, then all.
func TestDeadSubcommands(t *testing.T) {
	t.Parallel()
	env, _, _ := checkEnv(t)
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	s, err := bridge.OpenBoltStore(env[bridge.EnvData], nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"w1", "w2", "w3"} {
		if _, _, err := s.Enqueue(ctx, bridge.OutboxEvent{WebhookID: id, Type: "NoteCreate", ContactID: "c-" + id, Received: now, NextTry: now}, now.Add(time.Hour), bridge.Take{}); err != nil {
			t.Fatal(err)
		}
	}
	due, _ := s.Claim(ctx, now, 10, time.Minute)
	var outcomes []bridge.Outcome
	for _, ev := range due[:2] {
		outcomes = append(outcomes, bridge.Outcome{Seq: ev.Seq, Claims: ev.Claims, Dead: true, Err: "mattermost: 404 channel gone", NextTry: now})
	}
	if err := s.Settle(ctx, outcomes); err != nil {
		t.Fatal(err)
	}
	s.Close()

	var out, errOut syncBuffer
	if code := run(ctx, []string{"dead", "list"}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"ID  RECEIVED", "1   2026-12-01T10:00:00Z  NoteCreate  c-w1     1         mattermost: 404 channel gone", "2 dead events"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(ctx, []string{"dead", "retry", "2"}, getenv, &out, &errOut); code != 0 {
		t.Errorf("retry 2: exit %d: %s", code, errOut.String())
	}
	errOut = syncBuffer{}
	if code := run(ctx, []string{"dead", "retry", "2"}, getenv, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no dead event 2") {
		t.Errorf("retry 2 again: exit %d: %s", code, errOut.String())
	}
	for _, bad := range [][]string{{"dead"}, {"dead", "retry"}, {"dead", "retry", "x"}, {"dead", "bury", "1"}, {"undead"}} {
		if code := run(ctx, bad, getenv, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
	if code := run(ctx, []string{"dead", "retry", "all"}, getenv, &out, &errOut); code != 0 {
		t.Errorf("retry all: exit %d", code)
	}

	s, err = bridge.OpenBoltStore(env[bridge.EnvData], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dead, _ := s.DeadEvents(ctx)
	st, _ := s.OutboxStats(ctx)
	due, _ = s.Claim(ctx, time.Now(), 10, time.Minute)
	if len(dead) != 0 || st.Dead != 0 || st.Pending != 3 || len(due) != 3 || due[0].Attempts != 0 || due[0].LastError != "" {
		t.Errorf("after retry: dead %v, stats %+v, due %+v", dead, st, due)
	}
}
