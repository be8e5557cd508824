package bridge

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	if _, _, err := s.Enqueue(ctx, OutboxEvent{WebhookID: "w1", Type: "TaskCreate", Payload: json.RawMessage(`{}`), Received: t0, NextTry: t0}, t0.Add(time.Hour), Take{}); err != nil {
		t.Fatal(err)
	}
	due, err := s.Claim(ctx, t0, 10, time.Minute)
	if err != nil || len(due) != 1 {
		t.Fatalf("Claim = %v, %v", due, err)
	}
	if err := s.Settle(ctx, []Outcome{{Seq: due[0].Seq, Claims: due[0].Claims, Dead: true, NextTry: t0, Err: "400"}}); err != nil {
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
	if st, err := s.OutboxStats(ctx); err != nil || st.Dead != 0 {
		t.Errorf("OutboxStats after pruning = %+v, %v; want Dead 0", st, err)
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

// --- conformance of the trust state (runStoreSuite) ---

func suiteNonces(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)
	until := clock.now().Add(time.Hour)
	for i, want := range []bool{true, false, false} {
		if fresh, err := s.UseNonce(ctx, "dialog/n1", until); err != nil || fresh != want {
			t.Fatalf("use %d: fresh = %v, %v; want %v", i+1, fresh, err, want)
		}
	}
	// Concurrent uses: exactly one is fresh.
	var wg sync.WaitGroup
	var fresh atomic.Int32
	for range 8 {
		wg.Go(func() {
			if ok, err := s.UseNonce(ctx, "dialog/n2", until); err == nil && ok {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("%d concurrent uses were fresh, want 1", fresh.Load())
	}
	// Swept once expired; until then still used.
	if err := s.Sweep(ctx, until.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.UseNonce(ctx, "dialog/n1", until); ok {
		t.Error("nonce forgotten before it expired")
	}
}

func suiteOwnMarksTaken(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)
	key := ownKey("TaskComplete", "t1", completedChange)
	takeOwn := func(key string) (bool, error) {
		r, err := s.Route(ctx, "", "", key)
		return r.Own, err
	}
	if own, err := takeOwn(key); err != nil || own {
		t.Fatalf("Route's own mark before a mark = %v, %v", own, err)
	}
	if err := s.MarkOwn(ctx, key, clock.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if own, err := takeOwn(key); err != nil || !own {
		t.Fatalf("first own mark taken = %v, %v", own, err)
	}
	if own, _ := takeOwn(key); own {
		t.Error("a mark hid a second webhook")
	}
	if own, _ := s.IsOwn(ctx, key); !own {
		t.Error("IsOwn forgot a taken mark before it expired")
	}
	if err := s.ForgetOwn(ctx, key); err != nil {
		t.Fatal(err)
	}
	if own, _ := s.IsOwn(ctx, key); own {
		t.Error("IsOwn after ForgetOwn")
	}
	// Expired marks are not taken.
	if err := s.MarkOwn(ctx, key, clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if own, _ := takeOwn(key); own {
		t.Error("an expired mark was taken")
	}
}

func suiteCompletionDropAndPrune(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)
	t0 := clock.now()
	if _, _, err := s.RecordCompletion(ctx, Completion{TaskID: "t1", ContactID: "c", UserName: "alice", At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.DropCompletion(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Completion(ctx, "t1"); ok {
		t.Fatal("completion kept after DropCompletion")
	}
	if _, recorded, _ := s.RecordCompletion(ctx, Completion{TaskID: "t1", ContactID: "c", UserName: "bob", At: t0}); !recorded {
		t.Error("a new completion was not recorded after the drop")
	}
	if err := s.DropCompletion(ctx, "unknown"); err != nil {
		t.Errorf("dropping an unknown completion: %v", err)
	}
	// HighLevel's completion replaces bob's, in one write.
	if err := s.ReplaceCompletion(ctx, Completion{TaskID: "t1", ContactID: "c", At: t0}); err != nil {
		t.Fatal(err)
	}
	if c, ok, _ := s.Completion(ctx, "t1"); !ok || c.UserName != "" || !c.At.Equal(t0) {
		t.Errorf("after ReplaceCompletion: %+v %v, want HighLevel's", c, ok)
	}
	if err := s.Sweep(ctx, t0.Add(CompletionsKept-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Completion(ctx, "t1"); !ok {
		t.Fatal("completion pruned early")
	}
	if err := s.Sweep(ctx, t0.Add(CompletionsKept+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Completion(ctx, "t1"); ok {
		t.Error("completion older than CompletionsKept kept")
	}
}

func suiteSuspensions(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)
	if list, err := s.Suspensions(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Suspensions of a new store = %v, %v", list, err)
	}
	sp := Suspension{ChannelID: "ch1", Since: clock.now().UTC(), Failures: 3, Reason: "Forbidden (api.context.permissions.app_error)"}
	if err := s.SuspendDestination(ctx, sp); err != nil {
		t.Fatal(err)
	}
	list, err := s.Suspensions(ctx)
	if err != nil || len(list) != 1 || list[0].ChannelID != "ch1" || !list[0].Since.Equal(sp.Since) || list[0].Failures != 3 || list[0].Reason != sp.Reason {
		t.Fatalf("Suspensions = %+v, %v", list, err)
	}
	if resumed, err := s.ResumeDestination(ctx, "ch1"); err != nil || !resumed {
		t.Fatalf("ResumeDestination = %v, %v", resumed, err)
	}
	if resumed, _ := s.ResumeDestination(ctx, "ch1"); resumed {
		t.Error("resumed twice")
	}
	if list, _ := s.Suspensions(ctx); len(list) != 0 {
		t.Errorf("still suspended: %+v", list)
	}
	if err := s.SuspendDestination(ctx, Suspension{}); err == nil {
		t.Error("a suspension without a channel was accepted")
	}
}
