package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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

// TestPGStoreGroupCommit: Enqueues that come while a batch is being
// written go together in the next batch, one transaction, and each gets
// its own answer: events of one contact keep their order (one leads and is
// taken; the others wait behind it), a webhookId twice in one batch is
// stored once, and a call the database refuses fails alone.
func TestPGStoreGroupCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	url := newTestSchema(t)
	s := openPGStoreT(t, url, func() time.Time { return now })
	until := now.Add(time.Minute)

	// Another session holds contact "first"'s lock: the first batch waits
	// on it, and the calls behind it gather.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+lockKey+`)`, "lock-holder"); err != nil {
		t.Fatal(err) // warms the session's search_path and functions
	}
	if _, err := tx.Exec(ctx, contactLock, "contact/first"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		added bool
		taken []OutboxEvent
		err   error
	}
	enq := func(id, contact string, payload string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			ev := OutboxEvent{WebhookID: id, Type: "TaskCreate", ContactID: contact, Payload: json.RawMessage(payload), Received: now, NextTry: now}
			added, taken, err := s.Enqueue(ctx, ev, now.Add(time.Hour), Take{Until: until})
			ch <- result{added, taken, err}
		}()
		return ch
	}
	first := enq("f", "first", `{}`)
	waiting := func(n int) func() bool {
		return func() bool {
			s.enqueues.mu.Lock()
			defer s.enqueues.mu.Unlock()
			return s.enqueues.running && len(s.enqueues.pending) == n
		}
	}
	waitUntil(t, "the first batch to be under way", waiting(0))
	var rest []<-chan result
	for i, c := range []string{"x", "x", "x", "y", ""} {
		rest = append(rest, enq(fmt.Sprint("e", i), c, `{}`))
		waitUntil(t, "the call to wait", waiting(i+1)) // in this order
	}
	dup := enq("e3", "y", `{}`) // e3 again, in the same batch
	waitUntil(t, "the repeat to wait", waiting(6))
	bad := enq("bad\x00", "z", `{}`) // PostgreSQL's text refuses a NUL
	waitUntil(t, "the refused call to wait", waiting(7))
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	if r := <-first; !r.added || ids(r.taken) != "[f]" || r.err != nil {
		t.Errorf("first = %+v", r)
	}
	want := []string{"[e0]", "[]", "[]", "[e3]", "[e4]"}
	var seqs []uint64
	for i, ch := range rest {
		r := <-ch
		if !r.added || r.err != nil || ids(r.taken) != want[i] {
			t.Errorf("e%d = added %v, taken %s, %v; want added, taken %s", i, r.added, ids(r.taken), r.err, want[i])
		}
		if len(r.taken) == 1 {
			seqs = append(seqs, r.taken[0].Seq)
		}
	}
	if r := <-dup; r.added || len(r.taken) != 0 || r.err != nil {
		t.Errorf("e3 twice in a batch = %+v; want stored once", r)
	}
	if r := <-bad; r.added || r.err == nil {
		t.Errorf("a payload PostgreSQL refuses = %+v; want an error", r)
	}
	if !slices.IsSorted(seqs) {
		t.Errorf("seqs %v not in the calls' order", seqs)
	}
	// x's events wait behind e0, in order.
	if err := s.Settle(ctx, []Outcome{{Seq: seqs[0], Claims: 1, Delivered: true}}); err != nil {
		t.Fatal(err)
	}
	if got := claimT(t, s, now, 10); ids(got) != "[e1]" {
		t.Errorf("Claim after e0 = %s, want [e1]", ids(got))
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 5 {
		t.Errorf("stats = %+v, %v; want 5 pending (f, e1–e4)", st, err)
	}
}

// waitUntil polls cond every millisecond, for at most 5 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// genericBuffers is how many buffers stmt (of parameter types types)
// reads, executed with args (SQL text; @ stands for a digit that differs
// between its two executions, 1 then 2) under a generic plan made, with
// the settings set (SQL) as PGStore sets them for stmt, before fill runs
// (as plans are made on nearly empty tables, and kept as they grow).
// Everything is rolled back.
func genericBuffers(t *testing.T, conn *pgx.Conn, settings, stmt, types, args string, fill func(tx pgx.Tx)) int {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, settings); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprint("s", genericStatements.Add(1)) // prepared for the session
	if _, err := tx.Exec(ctx, `PREPARE `+name+`(`+types+`) AS `+stmt); err != nil {
		t.Fatal(err)
	}
	execute := `EXECUTE ` + name + `(` + args + `)`
	if _, err := tx.Exec(ctx, strings.ReplaceAll(execute, "@", "1")); err != nil {
		t.Fatal(err)
	}
	fill(tx)
	var plan []struct {
		Plan struct {
			SharedHit  int `json:"Shared Hit Blocks"`
			SharedRead int `json:"Shared Read Blocks"`
		} `json:"Plan"`
	}
	if err := tx.QueryRow(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+strings.ReplaceAll(execute, "@", "2")).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	return plan[0].Plan.SharedHit + plan[0].Plan.SharedRead
}

var genericStatements atomic.Int64

// readsByKey fails t when stmt reads 50 buffers more with 20,000 rows put
// in by fill(tx, n) than with 100: its cost grows with the tables. (Deeper
// indexes cost a buffer or two more per lookup; reading any of those
// tables costs hundreds.)
func readsByKey(t *testing.T, url, settings, stmt, types, args string, fill func(tx pgx.Tx, n int)) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	small := genericBuffers(t, conn, settings, stmt, types, args, func(tx pgx.Tx) { fill(tx, 100) })
	large := genericBuffers(t, conn, settings, stmt, types, args, func(tx pgx.Tx) { fill(tx, 20_000) })
	t.Logf("buffers: %d with 100 rows, %d with 20,000", small, large)
	if large > small+50 {
		t.Errorf("read %d buffers with 20,000 rows, %d with 100: it grows with the tables", large, small)
	}
}

// TestPGSettleReadsByKey: settling a delivered event costs the same however
// long the outbox is. Under a generic plan, the statement that hands the
// contact's lead over read the whole outbox in seq order looking for the
// contact's next event (and found none for most contacts); it reads it in
// the contact's index.
func TestPGSettleReadsByKey(t *testing.T) {
	t.Parallel()
	url := newTestSchema(t)
	openPGStoreT(t, url, time.Now) // the schema
	// The contact's leading event and the one behind it, then waiting
	// events of other contacts.
	readsByKey(t, url, genericPlans, pgSettleDelivered, `bigint[], bigint[], integer, timestamptz, timestamptz`,
		`ARRAY[100000000@], ARRAY[100000000@], 0, now(), now() + interval '1 minute'`,
		func(tx pgx.Tx, n int) {
			if _, err := tx.Exec(context.Background(), `INSERT INTO bridge_outbox (seq, webhook_id, type, contact_id, payload, received, next_try, lead) OVERRIDING SYSTEM VALUE
				VALUES (1000000002, 'a1', 'TaskCreate', 'a', '\x7b7d', now(), now(), true), (1000000003, 'a2', 'TaskCreate', 'a', '\x7b7d', now(), now(), false);
				INSERT INTO bridge_outbox (webhook_id, type, contact_id, payload, received, next_try, lead)
				SELECT 'w' || i, 'TaskCreate', 'other' || i, '\x7b7d', now(), now(), true FROM generate_series(1, `+fmt.Sprint(n)+`) i`); err != nil {
				t.Fatal(err)
			}
		})
}

// TestPGEnqueueReadsByKey holds Enqueue's batch statement to the same
// promise: what it reads does not grow with the events waiting, those of
// its own contacts included. A generic plan made on an empty outbox read
// it all when the contact's waiting events were an EXISTS.
func TestPGEnqueueReadsByKey(t *testing.T) {
	t.Parallel()
	url := newTestSchema(t)
	openPGStoreT(t, url, time.Now) // the schema
	const times = `ARRAY[now(), now(), now(), now(), now()]`
	readsByKey(t, url, genericPlans, pgEnqueue,
		`text[], timestamptz[], timestamptz, text[], text[], bytea[], timestamptz[], timestamptz[], integer, boolean[], timestamptz[], text[], text[]`,
		`ARRAY['n1@', 'n2@', 'n3@', 'n4@', 'n5@'], `+times+`, now(), ARRAY['T', 'T', 'T', 'T', 'T'],
			ARRAY['c1', 'c2', 'c1', 'new@', ''], ARRAY['\x7b7d', '\x7b7d', '\x7b7d', '\x7b7d', '\x7b7d']::bytea[],
			`+times+`, `+times+`, 0, ARRAY[true, true, true, true, true], `+times+`,
			ARRAY['loc1', 'loc1', 'loc1', 'loc2', ''], ARRAY['task/t@', '', '', 'task/u@', '']`,
		func(tx pgx.Tx, n int) {
			// Half of them the batch's contacts'.
			if _, err := tx.Exec(context.Background(), `INSERT INTO bridge_outbox (webhook_id, type, contact_id, payload, received, next_try, lead)
				SELECT 'w' || i, 'TaskCreate', CASE WHEN i % 2 = 0 THEN 'other' || i ELSE 'c' || (i % 5) END, '\x7b7d', now(), now(), i < 10
				FROM generate_series(1, $1) i`, n); err != nil {
				t.Fatal(err)
			}
			fillRouteTables(t, tx, n) // for the taken events' routes
		})
}

// fillRouteTables puts n rows in each table an event's route is read
// from: threads and subscriptions of contacts c1…, own-change marks
// task/t1…, writes under way, channels linked to locations loc1….
func fillRouteTables(t *testing.T, tx pgx.Tx, n int) {
	t.Helper()
	if _, err := tx.Exec(context.Background(), fmt.Sprintf(`
		INSERT INTO bridge_threads (contact_id, channel_id, root_id) SELECT 'c' || i, 'ch', 'root' || i FROM generate_series(1, %[1]d) i;
		INSERT INTO bridge_subscriptions (contact_id, channel_id, created_at) SELECT 'c' || i, 'ch' || i %% 7, now() FROM generate_series(1, %[1]d) i;
		INSERT INTO bridge_own (key, expires_at) SELECT 'task/t' || i, now() + interval '1 hour' FROM generate_series(1, %[1]d) i;
		INSERT INTO bridge_writes (contact_id, id, expires_at) SELECT 'w' || i, 'x', now() + interval '1 hour' FROM generate_series(1, %[1]d) i;
		INSERT INTO bridge_channel_links (channel_id, location_id, linked_at) SELECT 'ch' || i, 'loc' || i, now() FROM generate_series(1, %[1]d) i`,
		n)); err != nil {
		t.Fatal(err)
	}
}

// TestPGRouteReadsByKey: an event's route (writes under way, own-change
// mark, threads, subscriptions, the location's channels) is read by key,
// however many contacts, marks and channels there are.
func TestPGRouteReadsByKey(t *testing.T) {
	t.Parallel()
	url := newTestSchema(t)
	openPGStoreT(t, url, time.Now) // the schema
	// Route runs in PostgreSQL's own plan mode, which may settle on a
	// generic plan.
	readsByKey(t, url, `SET LOCAL plan_cache_mode = force_generic_plan`, pgRoute, `text, text, text, timestamptz`, `'c@', 'loc@', 'task/t@', now()`,
		func(tx pgx.Tx, n int) { fillRouteTables(t, tx, n) })
}
