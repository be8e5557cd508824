package bridge

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/bridge/pgtest"
	"github.com/ghlkit/ghl/webhook"
)

// newTestSchema returns a URL of a schema of t's own in the test
// database (see pgtest.Schema).
func newTestSchema(t testing.TB) string {
	t.Helper()
	return pgtest.Schema(t)
}

func openPGStoreT(t testing.TB, dbURL string, now func() time.Time) *PGStore {
	t.Helper()
	s, err := OpenPGStore(context.Background(), dbURL, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPGStoreSuite(t *testing.T) {
	t.Parallel()
	newTestSchema(t) // skips without a database
	runStoreSuite(t, func(t *testing.T, now func() time.Time) Store {
		return openPGStoreT(t, newTestSchema(t), now)
	})
}

// TestPGStoreHandsOverNextEvent: on PostgreSQL, settling a contact's
// delivered event takes its next one for the settler (no Claim round trip
// for it), leased as Claim leases; the contact's event after that waits.
func TestPGStoreHandsOverNextEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := openPGStoreT(t, newTestSchema(t), func() time.Time { return now })
	for _, id := range []string{"a", "b", "c"} {
		enqueueT(t, s, now, id, "x")
	}
	first := claimT(t, s, now, 10)
	taken, err := s.SettleTake(ctx, []Outcome{{Seq: first[0].Seq, Claims: 1, Delivered: true}}, now, 10, time.Minute)
	if err != nil || ids(taken) != "[b]" || taken[0].Claims != 1 || !taken[0].NextTry.Equal(now) {
		t.Fatalf("SettleTake(a delivered) = %+v, %v; want b, claimed once", taken, err)
	}
	if got := claimT(t, s, now.Add(59*time.Second), 10); len(got) != 0 {
		t.Errorf("Claim during b's lease = %s", ids(got))
	}
	if got := claimT(t, s, now.Add(61*time.Second), 10); ids(got) != "[b]" || got[0].Claims != 2 {
		t.Errorf("Claim after b's lease = %+v, want b, claimed twice", got)
	}
}

// TestPGMigrations applies the migrations to an empty schema, to a schema
// at every earlier version, and from several replicas starting at once.
func TestPGMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	latest := len(pgMigrations)
	if latest == 0 {
		t.Fatal("no migrations embedded")
	}
	for from := 0; from < latest; from++ {
		t.Run(fmt.Sprint("from", from), func(t *testing.T) {
			t.Parallel()
			dbURL := newTestSchema(t)
			old, err := openPG(ctx, dbURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := old.migrate(ctx, from); err != nil {
				t.Fatal(err)
			}
			if v, err := old.SchemaVersion(ctx); v != from || err != nil {
				t.Fatalf("version after migrating to %d = %d, %v", from, v, err)
			}
			old.Close()
			s := openPGStoreT(t, dbURL, nil)
			if v, err := s.SchemaVersion(ctx); v != latest || err != nil {
				t.Errorf("version = %d, %v; want %d", v, err, latest)
			}
			// The migrated schema works.
			now := time.Now()
			enqueueT(t, s, now, "w", "c")
			if got := claimT(t, s, now, 10); ids(got) != "[w]" {
				t.Errorf("Claim = %s", ids(got))
			}
			if _, err := s.LinkChannel(ctx, "ch", "L"); err != nil {
				t.Errorf("LinkChannel: %v", err)
			}
			if chs, err := s.LocationChannels(ctx, "L"); fmt.Sprint(chs) != "[ch]" || err != nil {
				t.Errorf("LocationChannels = %v, %v", chs, err)
			}
			// Opening again applies nothing.
			s2 := openPGStoreT(t, dbURL, nil)
			var n int
			s2.pool.QueryRow(ctx, `SELECT count(*) FROM bridge_migrations`).Scan(&n)
			if n != latest {
				t.Errorf("%d migration records, want %d", n, latest)
			}
		})
	}
	t.Run("replicas", func(t *testing.T) {
		t.Parallel()
		dbURL := newTestSchema(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				s, err := OpenPGStore(ctx, dbURL, nil)
				if err != nil {
					t.Error(err)
					return
				}
				s.Close()
			})
		}
		wg.Wait()
		s := openPGStoreT(t, dbURL, nil)
		var n int
		s.pool.QueryRow(ctx, `SELECT count(*) FROM bridge_migrations`).Scan(&n)
		if n != latest {
			t.Errorf("%d migration records after 4 replicas started together, want %d", n, latest)
		}
	})
}

func TestPGStoreOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := OpenPGStore(ctx, "postgres://user:hunter2@[bad", nil); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// Port 1: nothing listens there.
	if _, err := OpenPGStore(ctx, "postgres://user:hunter2@127.0.0.1:1/db?connect_timeout=2", nil); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("no server: %v", err)
	}
}

// TestPGStoreReplicas: two stores on one database behave as one.
func TestPGStoreReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := newTestSchema(t)
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	a, b := openPGStoreT(t, dbURL, clock), openPGStoreT(t, dbURL, clock)

	// A reservation on one replica holds on the other.
	if err := a.Reserve(ctx, "w1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := b.Reserve(ctx, "w1", time.Minute); err != webhook.ErrInProgress {
		t.Errorf("Reserve on the other replica = %v, want ErrInProgress", err)
	}
	enqueueT(t, a, now, "w1", "x")
	if err := b.Reserve(ctx, "w1", time.Minute); err != webhook.ErrDuplicate {
		t.Errorf("Reserve after Enqueue on the other replica = %v, want ErrDuplicate", err)
	}
	enqueueT(t, b, now, "w2", "x")
	// a's claim leases w1; b gets nothing (w2 waits behind w1).
	ga := claimT(t, a, now, 10)
	if ids(ga) != "[w1]" {
		t.Fatalf("a claims %s", ids(ga))
	}
	if gb := claimT(t, b, now, 10); len(gb) != 0 {
		t.Errorf("b claims %s while a holds x's first event", ids(gb))
	}
	// a dies: b takes w1 over when the lease ends.
	a.Close()
	gb := claimT(t, b, now.Add(time.Minute), 10)
	if ids(gb) != "[w1]" || gb[0].Claims != 2 {
		t.Fatalf("b after a's lease = %+v", gb)
	}
	if err := b.Settle(ctx, []Outcome{{Seq: gb[0].Seq, Claims: gb[0].Claims, Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	if gb := claimT(t, b, now.Add(time.Minute), 10); ids(gb) != "[w2]" {
		t.Errorf("then b claims %s, want [w2]", ids(gb))
	}

	// Sweeps: one replica at a time.
	c := openPGStoreT(t, dbURL, clock)
	c.MarkOwn(ctx, "k", now.Add(-time.Second))
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got bool
	tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(`+lockKey+`)`, "sweep").Scan(&got)
	if !got {
		t.Fatal("sweep lock not taken")
	}
	if err := c.Sweep(ctx, now); err != nil {
		t.Fatal(err)
	}
	var n int
	c.pool.QueryRow(ctx, `SELECT count(*) FROM bridge_own`).Scan(&n)
	if n != 1 {
		t.Errorf("a sweep ran while another replica held the lock (%d marks left)", n)
	}
	tx.Rollback(ctx)
	if err := c.Sweep(ctx, now); err != nil {
		t.Fatal(err)
	}
	c.pool.QueryRow(ctx, `SELECT count(*) FROM bridge_own`).Scan(&n)
	if n != 0 {
		t.Errorf("%d expired marks after a sweep", n)
	}
}
