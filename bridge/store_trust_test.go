package bridge

import (
	"context"
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
