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

func TestBoltStoreSuite(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, func(t *testing.T, now func() time.Time) Store {
		return openStore(t, filepath.Join(t.TempDir(), "s.db"), now)
	})
}

// TestBoltStoreRestart: accepted ids, the outbox and its counters survive a
// restart; reservations and leases do not (one process holds the file, so
// a lease cannot outlive its claimer).
func TestBoltStoreRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	path := filepath.Join(t.TempDir(), "s.db")
	s := openStore(t, path, clock.now)
	if err := s.Reserve(ctx, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	s.Commit(ctx, "a")
	enqueueT(t, s, clock.now(), "b", "x")
	enqueueT(t, s, clock.now(), "c", "x")
	if err := s.Reserve(ctx, "r", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := claimT(t, s, clock.now(), 10); ids(got) != "[b]" {
		t.Fatalf("Claim = %s", ids(got))
	}
	s.Close()
	s = openStore(t, path, clock.now)
	for id, want := range map[string]error{"a": webhook.ErrDuplicate, "b": webhook.ErrDuplicate, "r": nil} {
		if err := s.Reserve(ctx, id, time.Minute); !errors.Is(err, want) && err != want {
			t.Errorf("after restart Reserve(%s) = %v, want %v", id, err, want)
		}
	}
	got := claimT(t, s, clock.now(), 10)
	if ids(got) != "[b]" || got[0].Claims != 1 {
		t.Errorf("Claim after restart = %+v, want b at once", got)
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 2 {
		t.Errorf("pending after restart = %d", st.Pending)
	}
	// Sweep deletes what expired, and only that.
	clock.add(2 * time.Minute)
	s.MarkOwn(ctx, "k1", clock.now().Add(-time.Second))
	s.MarkOwn(ctx, "k2", clock.now().Add(time.Second))
	if err := s.Sweep(ctx, clock.now()); err != nil {
		t.Fatal(err)
	}
	var seen, own int
	s.db.View(func(tx *bolt.Tx) error {
		seen, own = tx.Bucket(bSeen).Stats().KeyN, tx.Bucket(bOwn).Stats().KeyN
		return nil
	})
	if seen != 2 || own != 1 { // b and c, for an hour; k2
		t.Errorf("%d seen ids and %d marks after Sweep, want 2 and 1", seen, own)
	}
}

// TestBoltStoreUpgrade opens a state file of the first layout (an outbox
// without indexes or counters) and finds it indexed and counted.
func TestBoltStoreUpgrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bThreads, bSubs, bOutbox, bDead, bSeen, bDone, bOwn} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		out := tx.Bucket(bOutbox)
		for i, ev := range []OutboxEvent{
			{WebhookID: "w1", ContactID: "x", Attempts: 2, NextTry: now.Add(time.Minute)},
			{WebhookID: "w2", ContactID: "y", NextTry: now},
			{WebhookID: "w3", ContactID: "x", NextTry: now},
			{WebhookID: "w4", NextTry: now},
		} {
			seq, _ := out.NextSequence()
			ev.Seq, ev.Received, ev.Payload = seq, now.Add(time.Duration(i)*time.Second), json.RawMessage(`{}`)
			v, _ := encodeEvent(ev)
			if err := out.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		v, _ := encodeEvent(OutboxEvent{Seq: 9, WebhookID: "d"})
		return tx.Bucket(bDead).Put(seqKey(9), v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path, nil)
	st, err := s.OutboxStats(ctx)
	if err != nil || st.Pending != 4 || st.Retrying != 1 || st.Dead != 1 || !st.Oldest.Equal(now) {
		t.Errorf("stats of an upgraded file = %+v, %v", st, err)
	}
	got := claimT(t, s, now, 10)
	if ids(got) != "[w2 w4]" {
		t.Fatalf("Claim = %s, want [w2 w4] (x waits for w1)", ids(got))
	}
	s.Settle(ctx, []Outcome{{Seq: got[0].Seq, Delivered: true}, {Seq: got[1].Seq, Delivered: true}})
	if got := claimT(t, s, now.Add(time.Minute), 10); ids(got) != "[w1]" {
		t.Errorf("Claim a minute on = %s, want [w1]", ids(got))
	}
	s.Close()
	// A file of a later layout is refused.
	db, _ = bolt.Open(path, 0o600, nil)
	db.Update(func(tx *bolt.Tx) error { return putCount(tx.Bucket(bMeta), mVersion, boltVersion+1) })
	db.Close()
	if _, err := OpenBoltStore(path, nil); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("opening a newer layout: %v", err)
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
			if _, _, err := s.Enqueue(ctx, ev, time.Now().Add(time.Hour), Take{}); err != nil {
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
	if _, _, err := s.Enqueue(context.Background(), OutboxEvent{WebhookID: "x"}, time.Now(), Take{}); err == nil {
		t.Error("Enqueue after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := OpenBoltStore("", nil); err == nil {
		t.Error("empty path accepted")
	}
}
