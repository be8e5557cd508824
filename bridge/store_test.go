package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ghlkit/ghl/webhook"
)

func openStore(t *testing.T, path string, now func() time.Time) *BoltStore {
	t.Helper()
	s, err := OpenBoltStore(path, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreDedupe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	path := filepath.Join(t.TempDir(), "s.db")
	s := openStore(t, path, clock.now)

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
	// Enqueue records the id in the same transaction.
	added, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "b", Type: "TaskCreate", Payload: json.RawMessage(`{}`)}, clock.now().Add(time.Hour))
	if err != nil || !added {
		t.Fatalf("Enqueue = %v, %v", added, err)
	}
	if added, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "b", Payload: json.RawMessage(`{}`)}, clock.now().Add(time.Hour)); added || err != nil {
		t.Errorf("second Enqueue = %v, %v; want not added", added, err)
	}
	if err := s.Reserve(ctx, "b", time.Minute); !errors.Is(err, webhook.ErrDuplicate) {
		t.Errorf("Reserve of an enqueued id = %v", err)
	}

	// Committed ids survive a restart; reservations do not.
	if err := s.Reserve(ctx, "c", time.Minute); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, path, clock.now)
	for id, want := range map[string]error{"a": webhook.ErrDuplicate, "b": webhook.ErrDuplicate, "c": nil} {
		if err := s.Reserve(ctx, id, time.Minute); !errors.Is(err, want) && err != want {
			t.Errorf("after restart Reserve(%s) = %v, want %v", id, err, want)
		}
	}
	// Expiry, and Sweep.
	clock.add(2 * time.Minute)
	if err := s.Reserve(ctx, "a", time.Minute); err != nil {
		t.Errorf("Reserve of an expired id = %v", err)
	}
	if err := s.Sweep(ctx, clock.now()); err != nil {
		t.Fatal(err)
	}
	n := 0
	s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bSeen).Stats().KeyN
		return nil
	})
	if n != 1 { // b, until an hour
		t.Errorf("%d seen ids after Sweep, want 1", n)
	}
}

func TestStoreOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), func() time.Time { return now })
	for i, c := range []string{"x", "y", "x", "z", "x"} {
		ev := OutboxEvent{WebhookID: fmt.Sprint("w", i), Type: "TaskCreate", ContactID: c, Payload: json.RawMessage(`{}`), Received: now, NextTry: now}
		if _, err := s.Enqueue(ctx, ev, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.Due(ctx, now, 10, nil)
	if err != nil || len(due) != 5 || due[0].Seq != 1 || due[4].Seq != 5 || due[0].WebhookID != "w0" {
		t.Fatalf("Due = %+v, %v", due, err)
	}
	if due, _ := s.Due(ctx, now, 2, nil); len(due) != 2 {
		t.Errorf("Due(max 2) = %d", len(due))
	}
	// w0 (contact x) fails: x's later events wait; y and z go on.
	err = s.Settle(ctx, []Outcome{
		{Seq: 1, NextTry: now.Add(time.Minute), Err: "boom", Posted: []string{"ch/"}},
		{Seq: 2, Delivered: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	due, _ = s.Due(ctx, now, 10, nil)
	if len(due) != 1 || due[0].WebhookID != "w3" {
		t.Errorf("Due after a failure = %+v, want only w3 (z)", due)
	}
	// Skipped events (the caller's, in flight) hold nothing back.
	due, _ = s.Due(ctx, now.Add(time.Minute), 10, func(seq uint64) bool { return seq == 1 })
	if len(due) != 3 || due[0].WebhookID != "w2" {
		t.Errorf("Due skipping w0 = %+v", due)
	}
	due, _ = s.Due(ctx, now.Add(time.Minute), 10, nil)
	if len(due) != 4 || due[0].Attempts != 1 || due[0].LastError != "boom" || len(due[0].Posted) != 1 {
		t.Errorf("Due later = %+v", due)
	}
	// Deferred: no attempt counted. Dead: moved aside.
	if err := s.Settle(ctx, []Outcome{{Seq: 1, Deferred: true, NextTry: now.Add(2 * time.Minute)}, {Seq: 4, Dead: true, Err: "400"}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.OutboxStats(ctx)
	if err != nil || st.Pending != 3 || st.Dead != 1 || st.Retrying != 1 || !st.Oldest.Equal(now) {
		t.Errorf("stats = %+v, %v", st, err)
	}
	due, _ = s.Due(ctx, now.Add(2*time.Minute), 10, nil)
	if len(due) != 3 || due[0].Attempts != 1 {
		t.Errorf("Due after defer = %+v", due)
	}
	dead, _ := s.DeadEvents(ctx)
	if len(dead) != 1 || dead[0].WebhookID != "w3" || dead[0].LastError != "400" {
		t.Errorf("dead = %+v", dead)
	}
	// Settling an unknown event is harmless.
	if err := s.Settle(ctx, []Outcome{{Seq: 99, Delivered: true}}); err != nil {
		t.Error(err)
	}
}

func TestStoreState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), clock.now)

	if _, ok, err := s.Thread(ctx, "c1"); ok || err != nil {
		t.Errorf("Thread of nobody = %v, %v", ok, err)
	}
	if err := s.SaveThread(ctx, "c1", Thread{ChannelID: "ch", RootID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddThreadNotes(ctx, "c1", "r1", map[string]string{"n1": "p1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddThreadNotes(ctx, "c1", "old-root", map[string]string{"n2": "p2"}); err != nil {
		t.Fatal(err)
	}
	th, ok, err := s.Thread(ctx, "c1")
	if !ok || err != nil || th.RootID != "r1" || len(th.Notes) != 1 || th.Notes["n1"] != "p1" {
		t.Errorf("thread = %+v", th)
	}

	for _, ch := range []string{"b", "a", "a"} {
		if _, err := s.Subscribe(ctx, "c1", ch); err != nil {
			t.Fatal(err)
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

	first := Completion{TaskID: "t1", ContactID: "c1", UserName: "alice", At: clock.now()}
	if held, recorded, err := s.RecordCompletion(ctx, first); !recorded || err != nil || held.UserName != "alice" {
		t.Errorf("RecordCompletion = %+v %v %v", held, recorded, err)
	}
	if held, recorded, _ := s.RecordCompletion(ctx, Completion{TaskID: "t1", UserName: "bob"}); recorded || held.UserName != "alice" {
		t.Errorf("second RecordCompletion = %+v %v", held, recorded)
	}
	if c, ok, _ := s.Completion(ctx, "t1"); !ok || c.UserName != "alice" {
		t.Errorf("Completion = %+v", c)
	}

	key := ownKey("TaskCreate", "t2")
	s.MarkOwn(ctx, key, clock.now().Add(time.Hour))
	if own, _ := s.IsOwn(ctx, key); !own {
		t.Error("not own after MarkOwn")
	}
	clock.add(2 * time.Hour)
	if own, _ := s.IsOwn(ctx, key); own {
		t.Error("own after expiry")
	}
	s.MarkOwn(ctx, key, clock.now().Add(time.Hour))
	s.ForgetOwn(ctx, key)
	if own, _ := s.IsOwn(ctx, key); own {
		t.Error("own after ForgetOwn")
	}
}

func TestStoreGroupCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), nil)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ev := OutboxEvent{WebhookID: fmt.Sprint("id", i%100), Payload: json.RawMessage(`{}`)}
			if _, err := s.Enqueue(ctx, ev, time.Now().Add(time.Hour)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st, _ := s.OutboxStats(ctx)
	if st.Pending != 100 {
		t.Errorf("%d events from 100 distinct ids sent twice each, want 100", st.Pending)
	}
	// A failing write in a batch fails alone.
	errBoom := errors.New("boom")
	var wg2 sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg2.Go(func() {
			errs[i] = s.update(ctx, func(tx *bolt.Tx) error {
				if i == 7 {
					return errBoom
				}
				return tx.Bucket(bOwn).Put([]byte(fmt.Sprint("k", i)), encodeTime(time.Now().Add(time.Hour)))
			})
		})
	}
	wg2.Wait()
	for i, err := range errs {
		if (i == 7) != errors.Is(err, errBoom) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after one failed write among good ones: %v", err)
	}
}

func TestStoreOpenAndClose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.db")
	s, err := OpenBoltStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if _, err := OpenBoltStore(path, nil); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if _, err := s.Enqueue(context.Background(), OutboxEvent{WebhookID: "x"}, time.Now()); err == nil {
		t.Error("Enqueue after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := OpenBoltStore("", nil); err == nil {
		t.Error("empty path accepted")
	}
}
