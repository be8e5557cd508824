package bridge

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestStoreUseNonce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	path := filepath.Join(t.TempDir(), "s.db")
	s := openStore(t, path, clock.now)

	until := clock.now().Add(time.Hour)
	if fresh, err := s.UseNonce(ctx, "dialog/n1", until); err != nil || !fresh {
		t.Fatalf("first UseNonce = %v, %v; want fresh", fresh, err)
	}
	if fresh, err := s.UseNonce(ctx, "dialog/n1", until); err != nil || fresh {
		t.Fatalf("second UseNonce = %v, %v; want used", fresh, err)
	}
	if fresh, err := s.UseNonce(ctx, "dialog/n2", until); err != nil || !fresh {
		t.Fatalf("other nonce = %v, %v; want fresh", fresh, err)
	}
	if _, err := s.UseNonce(ctx, "", until); err == nil {
		t.Error("empty key accepted")
	}
	// Used nonces survive a restart.
	s.Close()
	s = openStore(t, path, clock.now)
	if fresh, err := s.UseNonce(ctx, "dialog/n1", until); err != nil || fresh {
		t.Fatalf("after reopen = %v, %v; want used", fresh, err)
	}
	// Sweep keeps them until their token expires, then prunes them.
	if err := s.Sweep(ctx, until.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := bucketLen(t, s, bNonces); n != 2 {
		t.Fatalf("before expiry: %d nonces, want 2", n)
	}
	if err := s.Sweep(ctx, until); err != nil {
		t.Fatal(err)
	}
	if n := bucketLen(t, s, bNonces); n != 0 {
		t.Fatalf("after expiry: %d nonces, want 0", n)
	}
}

func bucketLen(t *testing.T, s *BoltStore, name []byte) int {
	t.Helper()
	n := 0
	if err := s.view(context.Background(), func(tx *bolt.Tx) error {
		n = tx.Bucket(name).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStoreSweepPrunesByAge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), clock.now)
	t0 := clock.now()
	if _, _, err := s.RecordCompletion(ctx, Completion{TaskID: "old", ContactID: "c", UserName: "alice", At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RecordCompletion(ctx, Completion{TaskID: "new", ContactID: "c", At: t0.Add(60 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "w1", Type: "TaskCreate", Payload: json.RawMessage(`{}`), Received: t0, NextTry: t0}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, err := s.Due(ctx, t0, 10, nil)
	if err != nil || len(due) != 1 {
		t.Fatalf("Due = %v, %v", due, err)
	}
	if err := s.Settle(ctx, []Outcome{{Seq: due[0].Seq, Dead: true, NextTry: t0, Err: "400"}}); err != nil {
		t.Fatal(err)
	}

	if err := s.Sweep(ctx, t0.Add(DeadKept-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := bucketLen(t, s, bDead); n != 1 {
		t.Fatalf("dead letter pruned early: %d left", n)
	}
	if err := s.Sweep(ctx, t0.Add(DeadKept+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := bucketLen(t, s, bDead); n != 0 {
		t.Errorf("%d dead letters after %v, want 0", n, DeadKept)
	}
	if _, ok, _ := s.Completion(ctx, "old"); !ok {
		t.Fatal("completion pruned early")
	}
	if err := s.Sweep(ctx, t0.Add(CompletionsKept+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Completion(ctx, "old"); ok {
		t.Errorf("completion older than %v kept", CompletionsKept)
	}
	if _, ok, _ := s.Completion(ctx, "new"); !ok {
		t.Error("recent completion pruned")
	}
}

func TestStoreForcesPrivateModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // whatever the umask
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bridge.db")
	s := openStore(t, path, nil)
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openStore(t, path, nil)
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", p, got, want)
		}
	}
}
