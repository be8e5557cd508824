package bridge

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ghlkit/ghl/webhook"
)

// PGStore is a Store on PostgreSQL (BRIDGE_DATABASE_URL), shared by any
// number of bridge replicas: webhookIds, the outbox (claimed under leases
// with FOR UPDATE SKIP LOCKED), threads, subscriptions, completions and
// own-change marks are the same for all. Its tables are created and
// upgraded at start by embedded, numbered migrations (see pgmigrations/).
type PGStore struct {
	pool   *pgxpool.Pool
	locks  *pgxpool.Pool // connections holding Lock's advisory locks
	now    func() time.Time
	closed atomic.Bool

	enqueues groupCommit[*enqueueCall] // Enqueue's batches
	shards   atomic.Uint32             // turns over the counter rows (shard)
}

// OpenPGStore connects to the PostgreSQL database at url (postgres://…;
// a search_path parameter puts the tables in that schema) and applies the
// migrations this bridge knows and the database lacks, one replica at a
// time. now is the clock for expiries (nil: time.Now).
func OpenPGStore(ctx context.Context, url string, now func() time.Time) (*PGStore, error) {
	s, err := openPG(ctx, url, now)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, len(pgMigrations)); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openPG(ctx context.Context, url string, now func() time.Time) (*PGStore, error) {
	if now == nil {
		now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("bridge: the database URL does not parse (postgres://user:password@host:port/database)")
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) is too few for a
		// bridge answering webhooks while it delivers.
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bridge: database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("bridge: connecting to the database at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	// Lock holds a connection for as long as the lock: a pool of its own,
	// so that waiting for locks never starves the queries the holders make.
	lcfg := cfg.Copy()
	lcfg.MaxConns, lcfg.MinConns = 8, 0
	locks, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("bridge: database: %w", err)
	}
	s := &PGStore{pool: pool, locks: locks, now: now}
	s.enqueues.write = s.enqueueBatches
	return s, nil
}

// --- migrations ---

//go:embed pgmigrations/*.sql
var pgMigrationFiles embed.FS

type pgMigration struct {
	version int
	name    string
	sql     string
}

// pgMigrations are the embedded migrations, by version: file N_name.sql is
// version N. They are forward-only, and each leaves the schema usable by
// the bridge versions before it (they add, they do not remove), so that
// replicas can be upgraded one at a time.
var pgMigrations = loadPGMigrations(pgMigrationFiles)

func loadPGMigrations(fsys fs.FS) []pgMigration {
	names, err := fs.Glob(fsys, "pgmigrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []pgMigration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			panic("bridge: migration " + base + " is not named N_name.sql")
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic(err)
		}
		out = append(out, pgMigration{version: v, name: base, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b pgMigration) int { return cmp.Compare(a.version, b.version) })
	for i, m := range out {
		if m.version != i+1 {
			panic(fmt.Sprintf("bridge: migrations must be numbered 1, 2, 3…: %s is number %d", m.name, i+1))
		}
	}
	return out
}

// lockKey derives an advisory lock key from the schema the tables live in
// and a purpose, so that bridges in different schemas of one database do
// not wait for each other.
const lockKey = `hashtextextended(current_schema() || '/ghlkit-bridge/' || $1, 0)`

// migrate applies the migrations up to version upTo under a session
// advisory lock: replicas starting together apply each once, in order, the
// others waiting. Each migration commits with its version record.
func (s *PGStore) migrate(ctx context.Context, upTo int) error {
	// A connection of its own, closed at the end: closing the session
	// frees the lock whatever happened (a cancelled wait may still have
	// been granted it).
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("bridge: database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`, "migrate"); err != nil {
		return fmt.Errorf("bridge: database: taking the migration lock: %w", err)
	}
	_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bridge_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return fmt.Errorf("bridge: database: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM bridge_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("bridge: database: reading the schema version: %w", err)
	}
	for _, m := range pgMigrations {
		if m.version <= have || m.version > upTo {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO bridge_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("bridge: database: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the latest migration applied to the database.
func (s *PGStore) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM bridge_migrations`).Scan(&v)
	return v, err
}

// Close implements Store.
func (s *PGStore) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	s.locks.Close()
	return nil
}

// Lock implements Store with a session advisory lock, held on a
// connection of its own until unlock.
func (s *PGStore) Lock(ctx context.Context, key string) (func(), error) {
	if s.closed.Load() {
		return nil, errors.New("bridge: store is closed")
	}
	conn, err := s.locks.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`, "lock/"+key); err != nil {
		// Cancelled while waiting, the lock may still have been granted:
		// only closing the session surely frees it.
		conn.Conn().Close(context.Background())
		conn.Release()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`, "lock/"+key); err != nil {
				// Closing the session is what frees the lock then.
				conn.Conn().Close(ctx)
			}
			conn.Release()
		})
	}, nil
}

// Ping implements Store.
func (s *PGStore) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errors.New("bridge: store is closed")
	}
	return s.pool.Ping(ctx)
}

func (s *PGStore) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.closed.Load() {
		return errors.New("bridge: store is closed")
	}
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// exec runs one statement. A statement is atomic on its own: wrapping it
// in a transaction only adds the round trips of BEGIN and COMMIT.
func (s *PGStore) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if s.closed.Load() {
		return pgconn.CommandTag{}, errors.New("bridge: store is closed")
	}
	return s.pool.Exec(ctx, sql, args...)
}

// batch sends b's statements in one round trip. They run in one implicit
// transaction (all or none, an error aborts the rest), each statement
// seeing what the ones before it did and committed by others, as the
// statements of a transaction at READ COMMITTED do. Close returns the first
// error, of a statement or of its callback.
func (s *PGStore) batch(ctx context.Context, b *pgx.Batch) error {
	if s.closed.Load() {
		return errors.New("bridge: store is closed")
	}
	return s.pool.SendBatch(ctx, b).Close()
}

// --- webhook.DedupeStore ---

// Reserve implements webhook.DedupeStore: the reservation is a row, so that
// a replica's reservation holds for the others; it expires after ttl when
// its holder dies.
func (s *PGStore) Reserve(ctx context.Context, id string, ttl time.Duration) error {
	if id == "" {
		return errors.New("bridge: empty webhookId")
	}
	now := s.now()
	tag, err := s.exec(ctx, `INSERT INTO bridge_webhooks (id, expires_at, committed) VALUES ($1, $2, false)
		ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at, committed = false
		WHERE bridge_webhooks.expires_at <= $3`, id, now.Add(ttl), now)
	reserved, committed := err == nil && tag.RowsAffected() == 1, false
	if err == nil && !reserved {
		// Held: accepted already, or under way. No row: released
		// meanwhile, so under way again (come back).
		err = s.pool.QueryRow(ctx, `SELECT coalesce((SELECT committed FROM bridge_webhooks WHERE id = $1), false)`, id).Scan(&committed)
	}
	switch {
	case err != nil:
		return err
	case reserved:
		return nil
	case committed:
		return webhook.ErrDuplicate
	}
	return webhook.ErrInProgress
}

// Commit implements webhook.DedupeStore. Enqueue has usually committed the
// id already, in the outbox's transaction; then nothing changes.
func (s *PGStore) Commit(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `UPDATE bridge_webhooks SET committed = true WHERE id = $1 AND NOT committed AND expires_at > $2`, id, s.now())
	return err
}

// Release implements webhook.DedupeStore.
func (s *PGStore) Release(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM bridge_webhooks WHERE id = $1`, id)
	return err
}

// --- threads ---

// Thread implements Store.
func (s *PGStore) Thread(ctx context.Context, contactID string) (Thread, bool, error) {
	var t Thread
	if s.closed.Load() {
		return t, false, errors.New("bridge: store is closed")
	}
	err := s.pool.QueryRow(ctx, `SELECT channel_id, root_id, notes FROM bridge_threads WHERE contact_id = $1`, contactID).Scan(&t.ChannelID, &t.RootID, &t.Notes)
	if errors.Is(err, pgx.ErrNoRows) {
		return Thread{}, false, nil
	}
	if err != nil {
		return Thread{}, false, err
	}
	if len(t.Notes) == 0 {
		t.Notes = nil
	}
	return t, true, nil
}

// SaveThread implements Store.
func (s *PGStore) SaveThread(ctx context.Context, contactID string, t Thread) error {
	notes := t.Notes
	if notes == nil {
		notes = map[string]string{}
	}
	_, err := s.exec(ctx, `INSERT INTO bridge_threads (contact_id, channel_id, root_id, notes) VALUES ($1, $2, $3, $4)
		ON CONFLICT (contact_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, root_id = EXCLUDED.root_id, notes = EXCLUDED.notes`,
		contactID, t.ChannelID, t.RootID, notes)
	return err
}

// AddThreadNotes implements Store.
func (s *PGStore) AddThreadNotes(ctx context.Context, contactID, rootID string, notes map[string]string) error {
	if len(notes) == 0 {
		return nil
	}
	_, err := s.exec(ctx, `UPDATE bridge_threads SET notes = notes || $3 WHERE contact_id = $1 AND root_id = $2`, contactID, rootID, notes)
	return err
}

// --- subscriptions ---

// Subscribe implements Store.
func (s *PGStore) Subscribe(ctx context.Context, contactID, channelID string) (bool, error) {
	tag, err := s.exec(ctx, `INSERT INTO bridge_subscriptions (contact_id, channel_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, contactID, channelID, s.now())
	return err == nil && tag.RowsAffected() == 1, err
}

// Unsubscribe implements Store.
func (s *PGStore) Unsubscribe(ctx context.Context, contactID, channelID string) (bool, error) {
	tag, err := s.exec(ctx, `DELETE FROM bridge_subscriptions WHERE contact_id = $1 AND channel_id = $2`, contactID, channelID)
	return err == nil && tag.RowsAffected() == 1, err
}

// Subscribers implements Store.
func (s *PGStore) Subscribers(ctx context.Context, contactID string) ([]string, error) {
	if s.closed.Load() {
		return nil, errors.New("bridge: store is closed")
	}
	return s.column(ctx, `SELECT channel_id FROM bridge_subscriptions WHERE contact_id = $1 ORDER BY channel_id COLLATE "C"`, contactID)
}

// column runs a query of one text column and returns its values, nil
// when there are none.
func (s *PGStore) column(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, _ := s.pool.Query(ctx, sql, args...)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// pgRouteColumns are the columns of an event's route after Writing and
// Own (Route's scan order): the suspended destinations, the thread of
// contact (its channel, root and notes, from bridge_threads t joined on
// it), the contact's subscribers and the channels linked to location
// (SQL expressions). Route's statement and Enqueue's read a route with
// them.
func pgRouteColumns(contact, location string) string {
	return fmt.Sprintf(`ARRAY(SELECT channel_id FROM bridge_suspensions ORDER BY channel_id COLLATE "C"),
		t.channel_id, t.root_id, coalesce(t.notes, '{}'),
		ARRAY(SELECT channel_id FROM bridge_subscriptions s WHERE s.contact_id = %[1]s ORDER BY channel_id COLLATE "C"),
		ARRAY(SELECT channel_id FROM bridge_channel_links l WHERE l.location_id = %[2]s AND %[2]s <> '' ORDER BY channel_id COLLATE "C")`,
		contact, location)
}

// pgBusy is whether a write about contact (SQL) is under way, as of $now;
// pgTakeOwn takes the own-change marks of the keys in rows (SQL: a table
// expression with columns key and busy), live as of $now, except where a
// write is under way, and returns their keys.
func pgBusy(contact string, now int) string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM bridge_writes x WHERE x.contact_id = %[1]s AND %[1]s <> '' AND x.expires_at > $%[2]d)`, contact, now)
}

func pgTakeOwn(rows string, now int) string {
	return fmt.Sprintf(`UPDATE bridge_own m SET taken = true FROM %[1]s k
		WHERE m.key = k.key AND k.key <> '' AND NOT m.taken AND m.expires_at > $%[2]d AND NOT k.busy
		RETURNING m.key`, rows, now)
}

// pgRoute is Route's statement: $1 the contact, $2 the location, $3 the
// own-change mark's key, $4 now.
var pgRoute = `WITH w AS (SELECT $3 AS key, ` + pgBusy(`$1`, 4) + ` AS busy),
		own AS (` + pgTakeOwn(`w`, 4) + `)
	SELECT (SELECT busy FROM w), EXISTS (SELECT 1 FROM own), ` + pgRouteColumns(`$1`, `$2`) + `
	FROM (SELECT 1) one LEFT JOIN bridge_threads t ON t.contact_id = $1`

// Route implements Store in one statement.
func (s *PGStore) Route(ctx context.Context, contactID, locationID, ownKey string) (Route, error) {
	var r Route
	if s.closed.Load() {
		return r, errors.New("bridge: store is closed")
	}
	var channel, root *string
	err := s.pool.QueryRow(ctx, pgRoute, contactID, locationID, ownKey, s.now()).
		Scan(&r.Writing, &r.Own, &r.Suspended, &channel, &root, &r.Thread.Notes, &r.Subscribers, &r.Linked)
	if err != nil {
		return Route{}, err
	}
	return *scannedRoute(r, channel, root), nil
}

// scannedRoute completes a route scanned from pgRoute's columns (the
// thread's channel and root as read, NULL without a thread), with nil for
// what is empty, as BoltStore returns it.
func scannedRoute(r Route, channel, root *string) *Route {
	if channel != nil {
		r.HasThread, r.Thread.ChannelID, r.Thread.RootID = true, *channel, *root
	}
	if len(r.Thread.Notes) == 0 {
		r.Thread.Notes = nil
	}
	for _, l := range []*[]string{&r.Suspended, &r.Subscribers, &r.Linked} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return &r
}

// --- outbox ---

// pgShards is the number of rows bridge_outbox_counts spreads its counters
// over.
const pgShards = 16

// shard is the counter row a transaction counts its changes in, in turn:
// each Enqueue and settle batch counts in one row (the counters are read as
// sums), so that no two of them wait for each other's rows in a cycle, and
// concurrent ones rarely wait at all.
func (s *PGStore) shard() int64 {
	return int64(s.shards.Add(1) % pgShards)
}

// contactLock is the advisory lock that serialises the transactions that
// decide which event of a contact leads (Enqueue, Settle removing the
// leader, RetryDead): without it, an event enqueued while the leader is
// removed could be left without a lead. contactLockOf is the same key for
// a contact_id column; lockContacts takes it for the contacts $1 (a text
// array), in byte order, the one order every such transaction takes them
// in (a SELECT's volatile functions run after its ORDER BY).
var (
	contactLock   = `SELECT pg_advisory_xact_lock(` + lockKey + `)`
	contactLockOf = strings.Replace(lockKey, "$1", `'contact/' || contact_id`, 1)
	lockContacts  = `SELECT pg_advisory_xact_lock(` + contactLockOf + `) FROM (
		SELECT DISTINCT unnest($1::text[]) AS contact_id) c
	ORDER BY contact_id COLLATE "C"`
)

// genericPlans, first in a transaction, has its statements planned once
// per connection instead of at every call, and never with a sequential
// scan. PostgreSQL's own choice costs more planning than running for the
// statements that take arrays (the contacts' lock, Enqueue's and
// settle's batches): an array makes its estimate of a generic plan look
// dear. And a plan made while the outbox is nearly empty, as it usually
// is (or when a deployment starts), reads it whole (a table of a few
// pages is cheaper read than looked up); kept while a backlog builds up,
// such a plan would cost more with every event waiting, just when the
// bridge must catch up. Every statement it is used for finds its rows by
// key.
const genericPlans = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)`

// enqueueCall is one Enqueue waiting for its batch.
type enqueueCall struct {
	ev        OutboxEvent
	seenUntil time.Time
	take      Take
	ctx       context.Context

	added bool
	taken []OutboxEvent
	err   error
	done  chan struct{}
}

// Enqueue implements Store: the webhookId is recorded, unless already
// accepted and live, in the transaction that stores the event, so a 200
// answered after it means stored. Concurrent calls are written together,
// in one transaction (groupCommit: one round trip and one commit, which
// waits for the disk, for all of them).
func (s *PGStore) Enqueue(ctx context.Context, ev OutboxEvent, seenUntil time.Time, take Take) (bool, []OutboxEvent, error) {
	if ev.WebhookID == "" {
		return false, nil, errors.New("bridge: outbox event without webhookId")
	}
	if s.closed.Load() {
		return false, nil, errors.New("bridge: store is closed")
	}
	c := &enqueueCall{ev: ev, seenUntil: seenUntil, take: take, ctx: ctx, done: make(chan struct{})}
	s.enqueues.submit(c)
	select {
	case <-c.done:
		return c.added, c.taken, c.err
	case <-ctx.Done():
		// Its batch still stores it, or not: either way the caller was
		// not told so, and HighLevel's redelivery is answered either way.
		return false, nil, ctx.Err()
	}
}

// enqueueBatches writes a batch of calls in one transaction and answers
// them; when the database refuses the batch, each call is written alone,
// so that one it refuses does not cost the others theirs.
func (s *PGStore) enqueueBatches(calls []*enqueueCall) {
	if err := s.enqueueBatch(calls); err != nil && len(calls) > 1 {
		for _, c := range calls {
			c.err = s.enqueueBatch([]*enqueueCall{c})
		}
	} else if err != nil {
		calls[0].err = err
	}
	for _, c := range calls {
		close(c.done)
	}
}

// enqueueBatch writes calls in one round trip and one transaction: the
// contacts' locks, in one order, then one statement for all the calls
// (pgEnqueue). One statement rather than one per call: PostgreSQL starts
// a statement's plan (its inserts, their indexes, the counter update) for
// each execution, and that cost as much as running it.
func (s *PGStore) enqueueBatch(calls []*enqueueCall) error {
	var (
		contacts, ids, types, contactIDs  []string
		locations, ownKeys                []string
		payloads                          [][]byte
		seenUntil, received, next, leases []time.Time
		take                              []bool
		byID                              = make(map[string]*enqueueCall, len(calls))
	)
	for _, c := range calls {
		ev := c.ev
		if _, dup := byID[ev.WebhookID]; dup {
			continue // a repeat within the batch: accepted by its first call
		}
		byID[ev.WebhookID] = c
		if ev.ContactID != "" {
			contacts = append(contacts, ev.ContactID)
		}
		ids, types, contactIDs, payloads = append(ids, ev.WebhookID), append(types, ev.Type), append(contactIDs, ev.ContactID), append(payloads, ev.Payload)
		seenUntil, received, next, leases = append(seenUntil, c.seenUntil), append(received, ev.Received), append(next, ev.NextTry), append(leases, c.take.Until)
		take = append(take, !c.take.Until.IsZero())
		locations, ownKeys = append(locations, c.take.LocationID), append(ownKeys, c.take.OwnKey)
	}
	b := &pgx.Batch{}
	b.Queue(genericPlans)
	if len(contacts) > 0 {
		// Taken before the statement below starts, so that it sees every
		// event of its contacts that is there.
		b.Queue(lockContacts, contacts)
	}
	b.Queue(pgEnqueue, ids, seenUntil, s.now(), types, contactIDs, payloads, received, next, s.shard(), take, leases, locations, ownKeys).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var seq int64
				var claims int
				var r Route
				var channel, root *string
				if err := rows.Scan(&id, &seq, &claims, &r.Writing, &r.Own, &r.Suspended, &channel, &root, &r.Thread.Notes, &r.Subscribers, &r.Linked); err != nil {
					return err
				}
				c := byID[id]
				c.added = true
				if claims == 1 {
					ev := c.ev
					ev.Seq, ev.Claims = uint64(seq), claims
					ev.Route = scannedRoute(r, channel, root)
					c.taken = []OutboxEvent{ev}
				}
			}
			return rows.Err()
		})
	// The calls' own contexts only bound their wait: the batch is
	// written, or not, for all of them.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(calls[0].ctx), enqueueTimeout)
	defer cancel()
	err := s.batch(ctx, b)
	if err != nil {
		// Answered by this batch only if it committed.
		for _, c := range calls {
			c.added, c.taken = false, nil
		}
	}
	return err
}

// pgEnqueue stores a batch of events, given as arrays (one element per
// call, in the calls' order, each webhookId once: $1 webhookIds, $2 until
// when each id is kept, $4 types, $5 contacts, $6 payloads, $7 received,
// $8 next tries, $10 whether to take it, $11 until when, $12 and $13 the
// location and own-change key of its route; $3 now, $9 the counter row).
// Each id is recorded unless accepted already and live; only the events
// whose id was recorded are stored, in the calls' order (seq), and
// returned with their seq and claims. An event leads when it has no
// contact, or when its contact has no event waiting and no earlier call
// of the batch stored one (looked up in the contact's index, as the
// settle looks up the next one); a leading event asked to be taken is
// taken (claims 1, leased until its $11) and returned with its route, as
// pgRoute reads it (the own-change mark taken). The batch counts in one
// counter row, once.
var pgEnqueue = `WITH i AS (
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $4::text[], $5::text[], $6::bytea[],
			$7::timestamptz[], $8::timestamptz[], $10::boolean[], $11::timestamptz[], $12::text[], $13::text[])
			WITH ORDINALITY AS i (id, seen_until, type, contact_id, payload, received, next_try, take, lease_until, location, own_key, ord)),
	w AS (
		INSERT INTO bridge_webhooks (id, expires_at, committed) SELECT id, seen_until, true FROM i
		ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at, committed = true
		WHERE NOT bridge_webhooks.committed OR bridge_webhooks.expires_at <= $3
		RETURNING id),
	n AS (
		SELECT i.*, i.contact_id = '' OR (row_number() OVER (PARTITION BY i.contact_id ORDER BY i.ord) = 1 AND x.seq IS NULL) AS lead
		FROM i JOIN w USING (id) LEFT JOIN LATERAL (
			SELECT o.seq FROM bridge_outbox o WHERE o.contact_id = i.contact_id AND o.contact_id <> ''
			ORDER BY o.contact_id, o.seq LIMIT 1) x ON true),
	o AS (
		INSERT INTO bridge_outbox (webhook_id, type, contact_id, payload, received, next_try, lead, claims)
		SELECT id, type, contact_id, payload, received, CASE WHEN lead AND take THEN lease_until ELSE next_try END,
			lead, (lead AND take)::int
		FROM n ORDER BY ord
		RETURNING webhook_id, seq, claims, contact_id),
	c AS (
		UPDATE bridge_outbox_counts SET pending = pending + (SELECT count(*) FROM o) WHERE shard = $9 AND EXISTS (SELECT 1 FROM o)),
	r AS (
		SELECT o.webhook_id, o.contact_id, i.location, i.own_key AS key, ` + pgBusy(`o.contact_id`, 3) + ` AS busy
		FROM o JOIN i ON i.id = o.webhook_id WHERE o.claims = 1),
	own AS (` + pgTakeOwn(`r`, 3) + `)
	SELECT o.webhook_id, o.seq, o.claims, coalesce(r.busy, false), EXISTS (SELECT 1 FROM own WHERE own.key = r.key),
		` + pgRouteColumns(`r.contact_id`, `r.location`) + `
	FROM o LEFT JOIN r ON r.webhook_id = o.webhook_id LEFT JOIN bridge_threads t ON t.contact_id = r.contact_id`

// enqueueTimeout bounds a batch of Enqueues, so that a database that stops
// answering fails the webhooks waiting (503: HighLevel redelivers) instead
// of holding them.
const enqueueTimeout = 30 * time.Second

func scanEvent(row pgx.CollectableRow) (OutboxEvent, error) {
	var ev OutboxEvent
	var seq int64
	var payload []byte
	err := row.Scan(&seq, &ev.WebhookID, &ev.Type, &ev.ContactID, &payload, &ev.Received, &ev.Attempts, &ev.NextTry, &ev.LastError, &ev.Posted, &ev.Claims)
	ev.Seq, ev.Payload = uint64(seq), payload
	if len(ev.Posted) == 0 {
		ev.Posted = nil
	}
	return ev, err
}

// Claim implements Store. Leading events due by now are taken from the
// next-try index, skipping rows another replica is claiming at this moment
// (FOR UPDATE SKIP LOCKED); the lease is their next try moved to
// now+lease, so a claimer that dies leaves them due again then. The events
// are returned with the next try they had. One statement, so no
// transaction around it.
func (s *PGStore) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	if s.closed.Load() {
		return nil, errors.New("bridge: store is closed")
	}
	rows, _ := s.pool.Query(ctx, `WITH c AS (
			SELECT seq, next_try FROM bridge_outbox WHERE lead AND next_try <= $1
			ORDER BY next_try, seq LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE bridge_outbox o SET next_try = $3, claims = o.claims + 1 FROM c WHERE o.seq = c.seq
		RETURNING o.seq, o.webhook_id, o.type, o.contact_id, o.payload, o.received, o.attempts, c.next_try, o.last_error, o.posted, o.claims`,
		now, limit, now.Add(lease))
	out, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b OutboxEvent) int {
		return cmp.Or(a.NextTry.Compare(b.NextTry), cmp.Compare(a.Seq, b.Seq))
	})
	return out, nil
}

// pgSettleLead, part of the statements that remove events (d: their seq,
// contact_id, attempts, lead), makes a removed leader's next event lead
// and, when the SQL condition take holds for the removed row and that
// event is due by parameter now or was due when received (dueFor), takes
// it as Claim would (leased until parameter until): l returns it then,
// with the next try it had. The statement still sees the removed rows,
// hence the condition others (SQL) that leaves them out. The next event
// is looked up in the contact's index (LATERAL, in its order), whatever
// the plan: ordered by seq alone, a generic plan walked the whole outbox
// in seq order looking for the contact's rows.
func pgSettleLead(take, others string, now, until int) string {
	return fmt.Sprintf(`n AS (
			SELECT x.seq, x.next_try, %[1]s AND (x.next_try <= $%[3]d OR x.next_try <= x.received) AS taken
			FROM d, LATERAL (
				SELECT o.seq, o.next_try, o.received FROM bridge_outbox o
				WHERE o.contact_id = d.contact_id AND o.contact_id <> '' AND %[2]s
				ORDER BY o.contact_id, o.seq LIMIT 1) x
			WHERE d.lead),
		l AS (
			UPDATE bridge_outbox o SET lead = true,
				next_try = CASE WHEN n.taken THEN $%[4]d ELSE o.next_try END,
				claims = o.claims + n.taken::int
			FROM n WHERE o.seq = n.seq
			RETURNING n.taken, o.seq, o.webhook_id, o.type, o.contact_id, o.payload, o.received, o.attempts, n.next_try, o.last_error, o.posted, o.claims)`,
		take, others, now, until)
}

// pgSettleDelivered removes delivered events $1 (a bigint array), counting
// them in counter row $3, once, and hands their contacts' lead over
// (pgSettleLead: taking for the events among $2, now $4, until $5). One
// statement for all the delivered events of a batch: starting a
// statement's plan cost as much as running it.
var pgSettleDelivered = `WITH d AS (DELETE FROM bridge_outbox WHERE seq = ANY($1) RETURNING seq, contact_id, attempts, lead),
	` + pgSettleLead(`d.seq = ANY($2)`, `o.seq <> ALL($1)`, 4, 5) + `,
	c AS (UPDATE bridge_outbox_counts SET pending = pending - (SELECT count(*) FROM d), retrying = retrying - (SELECT count(*) FROM d WHERE d.attempts > 0)
		WHERE shard = $3 AND EXISTS (SELECT 1 FROM d))
	` + pgTaken

// pgTaken is the end of a statement with pgSettleLead: the event it took.
const pgTaken = `SELECT seq, webhook_id, type, contact_id, payload, received, attempts, next_try, last_error, posted, claims FROM l WHERE taken`

// Settle implements Store.
func (s *PGStore) Settle(ctx context.Context, outcomes []Outcome) error {
	_, err := s.SettleTake(ctx, outcomes, time.Time{}, 0, 0)
	return err
}

// SettleTake implements Store, in one round trip: the contacts' locks,
// then one statement for the delivered events and one per other outcome,
// that also move the contacts' lead (and take the contact's next event,
// for the first limit outcomes that remove one) and the counters.
func (s *PGStore) SettleTake(ctx context.Context, outcomes []Outcome, now time.Time, limit int, lease time.Duration) ([]OutboxEvent, error) {
	if len(outcomes) == 0 {
		return nil, nil
	}
	seqs := make([]int64, len(outcomes))
	for i, o := range outcomes {
		seqs[i] = int64(o.Seq)
	}
	b := &pgx.Batch{}
	b.Queue(genericPlans)
	// Lock the contacts whose leader may leave, in lockContacts' order.
	b.Queue(`SELECT pg_advisory_xact_lock(`+contactLockOf+`) FROM (
			SELECT DISTINCT contact_id FROM bridge_outbox WHERE seq = ANY($1) AND contact_id <> '') c
		ORDER BY contact_id COLLATE "C"`, seqs)
	var taken []OutboxEvent
	take := func(rows pgx.Rows) error {
		evs, err := pgx.CollectRows(rows, scanEvent)
		taken = append(taken, evs...)
		return err
	}
	until := now.Add(lease)
	shard := s.shard()
	var delivered, taking []int64
	for _, o := range outcomes {
		seq := int64(o.Seq)
		switch {
		case o.Dead:
			b.Queue(`WITH d AS (DELETE FROM bridge_outbox WHERE seq = $1 AND ($2 = 0 OR claims = $2) RETURNING *),
				i AS (INSERT INTO bridge_dead (seq, webhook_id, type, contact_id, payload, received, attempts, last_error, posted, died_at, next_try)
					SELECT seq, webhook_id, type, contact_id, payload, received, attempts + 1, $3, $4, $5, $6 FROM d),
				`+pgSettleLead(`$8::boolean`, `o.seq <> $1`, 9, 10)+`,
				c AS (UPDATE bridge_outbox_counts c SET pending = pending - 1, retrying = retrying - (d.attempts > 0)::int, dead = dead + 1
					FROM d WHERE c.shard = $7)
				`+pgTaken,
				seq, o.Claims, o.Err, nonNil(o.Posted), s.now(), o.NextTry, shard, limit > 0, now, until).Query(take)
			limit--
		case o.Delivered:
			delivered = append(delivered, seq)
			if limit > 0 {
				taking = append(taking, seq)
			}
			limit--
		case o.Deferred:
			b.Queue(`UPDATE bridge_outbox SET next_try = $2 WHERE seq = $1 AND ($3 = 0 OR claims = $3)`, seq, o.NextTry, o.Claims)
		default:
			b.Queue(`WITH u AS (
					UPDATE bridge_outbox SET attempts = attempts + 1, next_try = $2, last_error = $3, posted = $4
					WHERE seq = $1 AND ($5 = 0 OR claims = $5) RETURNING attempts)
				UPDATE bridge_outbox_counts c SET retrying = retrying + 1 FROM u WHERE c.shard = $6 AND u.attempts = 1`,
				seq, o.NextTry, o.Err, nonNil(o.Posted), o.Claims, shard)
		}
	}
	if len(delivered) > 0 {
		b.Queue(pgSettleDelivered, delivered, nonNil(taking), shard, now, until).Query(take)
	}
	if err := s.batch(ctx, b); err != nil {
		return nil, err
	}
	return taken, nil
}

// nonNil is s, empty rather than nil: pgx sends a nil slice as NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// OutboxStats implements Store: the counters' sums, and the first event by
// seq for the oldest.
func (s *PGStore) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	if s.closed.Load() {
		return st, errors.New("bridge: store is closed")
	}
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT sum(pending), sum(retrying), sum(dead),
		(SELECT received FROM bridge_outbox ORDER BY seq LIMIT 1) FROM bridge_outbox_counts`).Scan(&st.Pending, &st.Retrying, &st.Dead, &oldest)
	if oldest != nil {
		st.Oldest = *oldest
	}
	return st, err
}

// DeadEvents returns the events that could not be posted, oldest first.
func (s *PGStore) DeadEvents(ctx context.Context) ([]OutboxEvent, error) {
	rows, _ := s.pool.Query(ctx, `SELECT seq, webhook_id, type, contact_id, payload, received, attempts, next_try, last_error, posted, 0 FROM bridge_dead ORDER BY seq`)
	return pgx.CollectRows(rows, scanEvent)
}

// --- completions ---

// Completion implements Store.
func (s *PGStore) Completion(ctx context.Context, taskID string) (Completion, bool, error) {
	if s.closed.Load() {
		return Completion{}, false, errors.New("bridge: store is closed")
	}
	c, err := s.completion(ctx, s.pool, taskID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Completion{}, false, nil
	}
	return c, err == nil, err
}

func (s *PGStore) completion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, taskID string) (Completion, error) {
	var c Completion
	err := q.QueryRow(ctx, `SELECT task_id, contact_id, user_id, user_name, at FROM bridge_completions WHERE task_id = $1`, taskID).
		Scan(&c.TaskID, &c.ContactID, &c.UserID, &c.UserName, &c.At)
	return c, err
}

// RecordCompletion implements Store: of replicas recording a completion of
// one task at once, one succeeds and the others are told its completion.
func (s *PGStore) RecordCompletion(ctx context.Context, c Completion) (Completion, bool, error) {
	held, recorded := c, false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO bridge_completions (task_id, contact_id, user_id, user_name, at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (task_id) DO NOTHING`, c.TaskID, c.ContactID, c.UserID, c.UserName, c.At)
		if err != nil {
			return err
		}
		if recorded = tag.RowsAffected() == 1; recorded {
			held = c
			return nil
		}
		held, err = s.completion(ctx, tx, c.TaskID)
		return err
	})
	return held, recorded, err
}

// --- own changes ---

// MarkOwn implements Store.
func (s *PGStore) MarkOwn(ctx context.Context, key string, until time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO bridge_own (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at, taken = false`, key, until)
	return err
}

// ForgetOwn implements Store.
func (s *PGStore) ForgetOwn(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `DELETE FROM bridge_own WHERE key = $1`, key)
	return err
}

// IsOwn implements Store.
func (s *PGStore) IsOwn(ctx context.Context, key string) (bool, error) {
	if s.closed.Load() {
		return false, errors.New("bridge: store is closed")
	}
	var own bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bridge_own WHERE key = $1 AND expires_at > $2)`, key, s.now()).Scan(&own)
	return own, err
}

// Sweep implements Store. One replica sweeps at a time: the others find
// the lock taken and return at once.
func (s *PGStore) Sweep(ctx context.Context, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(`+lockKey+`)`, "sweep").Scan(&got); err != nil || !got {
			return err
		}
		for _, q := range []string{
			`DELETE FROM bridge_webhooks WHERE expires_at <= $1`,
			`DELETE FROM bridge_own WHERE expires_at <= $1`,
			`DELETE FROM bridge_writes WHERE expires_at <= $1`,
			`DELETE FROM bridge_nonces WHERE expires_at <= $1`,
		} {
			if _, err := tx.Exec(ctx, q, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM bridge_completions WHERE at < $1`, now.Add(-CompletionsKept)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM bridge_task_posts WHERE at < $1`, now.Add(-TaskPostsKept)); err != nil {
			return err
		}
		// Dead letters, with their counters.
		_, err := tx.Exec(ctx, `WITH d AS (DELETE FROM bridge_dead WHERE greatest(next_try, received) < $1 RETURNING seq)
			UPDATE bridge_outbox_counts SET dead = dead - x.n
			FROM (SELECT seq % 16 AS shard, count(*) AS n FROM d GROUP BY 1) x WHERE bridge_outbox_counts.shard = x.shard`, now.Add(-DeadKept))
		return err
	})
}

var _ Store = (*PGStore)(nil)
