package bridge

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/ghlkit/ghl/webhook"
)

// Store keeps the bridge's state: the Mattermost thread of each contact, the
// channels subscribed to a contact, the outbox of HighLevel events waiting
// to be posted, the webhookIds already accepted (as a webhook.DedupeStore,
// so that replays are refused across restarts), who completed which task,
// and marks on the changes the bridge made itself so that their webhooks are
// not announced twice.
//
// BoltStore, a single bbolt file, is the default. Implementations must be
// safe for concurrent use, and every method that returns nil must have made
// its change durable.
type Store interface {
	webhook.DedupeStore

	// Thread returns the thread of a contact; ok is false when it has none.
	Thread(ctx context.Context, contactID string) (t Thread, ok bool, err error)
	// SaveThread sets the thread of a contact, replacing any other.
	SaveThread(ctx context.Context, contactID string, t Thread) error
	// AddThreadNotes records notes (note ID → post ID) as posted in the
	// contact's thread, if that thread's root is still rootID.
	AddThreadNotes(ctx context.Context, contactID, rootID string, notes map[string]string) error

	// Subscribe routes the contact's events to channelID; added is false
	// when it already was.
	Subscribe(ctx context.Context, contactID, channelID string) (added bool, err error)
	// Unsubscribe stops routing; removed is false when it was not routed.
	Unsubscribe(ctx context.Context, contactID, channelID string) (removed bool, err error)
	// Subscribers returns the channels subscribed to the contact, sorted.
	Subscribers(ctx context.Context, contactID string) ([]string, error)

	// Enqueue durably adds ev to the outbox and records ev.WebhookID as
	// accepted until seenUntil, in one transaction. It assigns ev.Seq. added
	// is false, and nothing changes, when the webhookId is already recorded.
	Enqueue(ctx context.Context, ev OutboxEvent, seenUntil time.Time) (added bool, err error)
	// Due returns up to max events whose NextTry is not after now, oldest
	// first. Per contact, events keep their order: an event is not due
	// while an earlier event of the same contact waits for its NextTry.
	// Events for which skip returns true (those the caller has in hand) are
	// left out without holding back the contact's later events: the caller
	// orders those.
	Due(ctx context.Context, now time.Time, max int, skip func(seq uint64) bool) ([]OutboxEvent, error)
	// Settle records the outcome of delivery attempts.
	Settle(ctx context.Context, outcomes []Outcome) error
	// OutboxStats counts the outbox.
	OutboxStats(ctx context.Context) (OutboxStats, error)

	// Completion returns who completed a task through the bridge, or what
	// the bridge learnt about its completion; ok is false when unknown.
	Completion(ctx context.Context, taskID string) (c Completion, ok bool, err error)
	// RecordCompletion records c unless the task already has a completion;
	// it returns the completion that holds (c or the earlier one) and
	// whether c was recorded.
	RecordCompletion(ctx context.Context, c Completion) (held Completion, recorded bool, err error)
	// ForgetCompletion removes the task's completion (it was reopened), so
	// that the next completion is recorded. Forgetting none is not an
	// error.
	ForgetCompletion(ctx context.Context, taskID string) error

	// MarkOwn remembers until the given time that the bridge made the
	// change identified by key (see ownKey), so its webhook is not posted.
	MarkOwn(ctx context.Context, key string, until time.Time) error
	// ForgetOwn removes a mark (the change failed after all).
	ForgetOwn(ctx context.Context, key string) error
	// IsOwn reports whether key is marked and not expired.
	IsOwn(ctx context.Context, key string) (bool, error)

	// One-time tokens (dialog states, confirmation buttons).

	// UseNonce records key (mattermost.Token.NonceKey: derived from the
	// decoded token, never its text) as used until until; fresh is false,
	// and nothing changes, when it was used already.
	UseNonce(ctx context.Context, key string, until time.Time) (fresh bool, err error)

	// Sweep deletes expired webhookIds, marks and nonces.
	Sweep(ctx context.Context, now time.Time) error
	// Ping reports whether the store is usable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// Thread is a contact's thread in Mattermost.
type Thread struct {
	ChannelID string `json:"channel_id"`
	RootID    string `json:"root_id"`
	// Notes maps the IDs of the notes posted in the thread to their posts.
	Notes map[string]string `json:"notes,omitempty"`
}

// Completion records who completed a task.
type Completion struct {
	TaskID    string    `json:"task_id"`
	ContactID string    `json:"contact_id"`
	UserID    string    `json:"user_id,omitempty"`   // Mattermost user; empty when completed in HighLevel
	UserName  string    `json:"user_name,omitempty"` // Mattermost username
	At        time.Time `json:"at"`
}

// OutboxEvent is a verified HighLevel event waiting to be posted.
type OutboxEvent struct {
	Seq       uint64          `json:"seq"`
	WebhookID string          `json:"webhook_id"`
	Type      string          `json:"type"`
	ContactID string          `json:"contact_id,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"` // the webhook's raw body
	Received  time.Time       `json:"received"`
	Attempts  int             `json:"attempts,omitempty"`
	NextTry   time.Time       `json:"next_try"`
	LastError string          `json:"last_error,omitempty"`
	// Posted lists the targets ("channel/root") already posted to, so that
	// a retry after a partial failure posts only the rest.
	Posted []string `json:"posted,omitempty"`
}

// Outcome is the result of one delivery attempt of an outbox event.
type Outcome struct {
	Seq       uint64
	Delivered bool // posted: remove it
	Dead      bool // cannot ever be posted: move it aside
	Deferred  bool // not attempted: only NextTry changes
	NextTry   time.Time
	Err       string
	Posted    []string // targets done so far (see OutboxEvent.Posted)
}

// OutboxStats describes the outbox.
type OutboxStats struct {
	Pending  int       `json:"pending"`
	Retrying int       `json:"retrying"` // pending events that failed at least once
	Dead     int       `json:"dead"`
	Oldest   time.Time `json:"oldest,omitzero"` // when the oldest pending event arrived
}

// Bucket names.
var (
	bThreads = []byte("threads")
	bSubs    = []byte("subscriptions")
	bOutbox  = []byte("outbox")
	bDead    = []byte("dead")
	bSeen    = []byte("seen")
	bDone    = []byte("completions")
	bOwn     = []byte("own")
	buckets  = append([][]byte{bThreads, bSubs, bOutbox, bDead, bSeen, bDone, bOwn}, trustBuckets...)
)

// BoltStore is the default Store: one bbolt file, no server. Writes that
// arrive together share one transaction and one fsync (group commit), so
// a burst of webhooks costs few disk syncs while each is still acknowledged
// only after it is on disk.
type BoltStore struct {
	db  *bolt.DB
	now func() time.Time

	mu       sync.Mutex
	reserved map[string]time.Time // webhookIds being processed → expiry
	pending  []*writeReq
	writing  bool
	loops    sync.WaitGroup // the running commit loop
	closed   bool
	lastErr  error        // last failed write, cleared by a good one
	commits  atomic.Int64 // transactions committed, for the benchmark
}

type writeReq struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// OpenBoltStore opens (creating if needed) the state file at path. now is
// the clock for expiries (nil: time.Now). Only one process may open a file:
// a second one fails after a second instead of waiting forever.
func OpenBoltStore(path string, now func() time.Time) (*BoltStore, error) {
	if path == "" {
		return nil, errors.New("bridge: state file path is empty")
	}
	if now == nil {
		now = time.Now
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("bridge: state file directory: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("bridge: state file %s is in use by another process", path)
		}
		return nil, fmt.Errorf("bridge: opening state file %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bridge: preparing state file %s: %w", path, err)
	}
	return &BoltStore{db: db, now: now, reserved: make(map[string]time.Time)}, nil
}

// update runs fn in a write transaction shared with the writes queued
// meanwhile, and returns once the transaction is durable. fn may run more
// than once (when another write of its batch fails), so it must only touch
// the transaction.
func (s *BoltStore) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{fn: fn, done: make(chan error, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return bolterrors.ErrDatabaseNotOpen
	}
	s.pending = append(s.pending, req)
	if !s.writing {
		s.writing = true
		s.loops.Add(1)
		go s.commitLoop()
	}
	s.mu.Unlock()
	// The write may still commit after ctx ends; the caller then sees ctx's
	// error, which is safe: callers treat it as "not known to be stored".
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commitLoop commits queued writes until the queue is empty.
func (s *BoltStore) commitLoop() {
	defer s.loops.Done()
	for {
		// Let goroutines that are about to write queue up first: one
		// commit (one fsync) then serves them all. This matters most with
		// few cores, where a blocking fsync can hold the only one.
		runtime.Gosched()
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		if len(batch) == 0 {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()

		failed := -1
		s.commits.Add(1)
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, r := range batch {
				if err := r.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if err == nil || failed < 0 {
			// Success, or the commit itself failed (a full disk...).
			s.noteWrite(err)
			for _, r := range batch {
				r.done <- err
			}
			continue
		}
		// One write refused and took the others down: give each its own
		// transaction so only the culprit fails. A write refusing is the
		// writer's business; only commit failures make the store unhealthy.
		for _, r := range batch {
			refused := false
			err := s.db.Update(func(tx *bolt.Tx) error {
				err := r.fn(tx)
				refused = err != nil
				return err
			})
			if !refused {
				s.noteWrite(err)
			}
			r.done <- err
		}
	}
}

// noteWrite records the outcome of a commit for Ping.
func (s *BoltStore) noteWrite(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

func (s *BoltStore) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// Close waits for queued writes and closes the file.
func (s *BoltStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.loops.Wait() // queued writes still commit
	return s.db.Close()
}

// Ping implements Store: it fails once the store is closed or when the last
// write failed (a full disk, say) and no write has succeeded since.
func (s *BoltStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	closed, lastErr := s.closed, s.lastErr
	s.mu.Unlock()
	if closed {
		return bolterrors.ErrDatabaseNotOpen
	}
	if lastErr != nil {
		return fmt.Errorf("last write failed: %w", lastErr)
	}
	return s.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bOutbox) == nil {
			return errors.New("outbox bucket missing")
		}
		return nil
	})
}

// --- webhook.DedupeStore ---

// Reserve implements webhook.DedupeStore. Accepted ids are on disk and
// survive restarts; an id being processed is held in memory only, so a
// crash mid-processing lets HighLevel's retry through.
func (s *BoltStore) Reserve(ctx context.Context, id string, ttl time.Duration) error {
	if id == "" {
		return errors.New("bridge: empty webhookId")
	}
	var seen bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		seen = s.live(tx.Bucket(bSeen).Get([]byte(id)))
		return nil
	})
	if err != nil {
		return err
	}
	if seen {
		return webhook.ErrDuplicate
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.reserved[id]; ok && now.Before(exp) {
		return webhook.ErrInProgress
	}
	s.reserved[id] = now.Add(ttl)
	if len(s.reserved) > 1024 {
		for k, exp := range s.reserved {
			if !now.Before(exp) {
				delete(s.reserved, k)
			}
		}
	}
	return nil
}

// Commit implements webhook.DedupeStore. Enqueue has usually recorded the
// id already, in the outbox's transaction; then Commit writes nothing.
func (s *BoltStore) Commit(ctx context.Context, id string) error {
	s.mu.Lock()
	exp, ok := s.reserved[id]
	delete(s.reserved, id)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	var seen bool
	if err := s.view(ctx, func(tx *bolt.Tx) error {
		seen = tx.Bucket(bSeen).Get([]byte(id)) != nil
		return nil
	}); err != nil {
		return err
	}
	if seen {
		return nil
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bSeen).Put([]byte(id), encodeTime(exp))
	})
}

// Release implements webhook.DedupeStore.
func (s *BoltStore) Release(ctx context.Context, id string) error {
	s.mu.Lock()
	delete(s.reserved, id)
	s.mu.Unlock()
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bSeen).Delete([]byte(id))
	})
}

// live reports whether an encoded expiry is still in the future.
func (s *BoltStore) live(v []byte) bool {
	if len(v) != 8 {
		return false
	}
	return s.now().Before(decodeTime(v))
}

func encodeTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

func decodeTime(v []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(v)))
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// encodeEvent stores an outbox event as its JSON fields, a newline, and the
// payload as received: the payload (the bulk) is then neither re-encoded
// nor re-validated each time the outbox is read. JSON never contains a raw
// newline, so the first one ends the fields.
func encodeEvent(ev OutboxEvent) ([]byte, error) {
	payload := ev.Payload
	ev.Payload = nil
	v, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	v = append(v, '\n')
	return append(v, payload...), nil
}

func decodeEvent(v []byte) (OutboxEvent, error) {
	var ev OutboxEvent
	meta, payload, ok := bytes.Cut(v, []byte{'\n'})
	if !ok {
		return ev, errors.New("bridge: malformed outbox record")
	}
	if err := json.Unmarshal(meta, &ev); err != nil {
		return ev, err
	}
	ev.Payload = slices.Clone(payload)
	return ev, nil
}

// --- threads ---

// Thread implements Store.
func (s *BoltStore) Thread(ctx context.Context, contactID string) (Thread, bool, error) {
	var t Thread
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bThreads).Get([]byte(contactID))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &t)
	})
	return t, ok, err
}

// SaveThread implements Store.
func (s *BoltStore) SaveThread(ctx context.Context, contactID string, t Thread) error {
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bThreads).Put([]byte(contactID), v)
	})
}

// AddThreadNotes implements Store.
func (s *BoltStore) AddThreadNotes(ctx context.Context, contactID, rootID string, notes map[string]string) error {
	if len(notes) == 0 {
		return nil
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bThreads)
		v := b.Get([]byte(contactID))
		if v == nil {
			return nil
		}
		var t Thread
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if t.RootID != rootID {
			return nil
		}
		if t.Notes == nil {
			t.Notes = make(map[string]string, len(notes))
		}
		for n, p := range notes {
			t.Notes[n] = p
		}
		v, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return b.Put([]byte(contactID), v)
	})
}

// --- subscriptions ---

func subKey(contactID, channelID string) []byte {
	return []byte(contactID + "\x00" + channelID)
}

// Subscribe implements Store.
func (s *BoltStore) Subscribe(ctx context.Context, contactID, channelID string) (bool, error) {
	var added bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubs)
		k := subKey(contactID, channelID)
		added = b.Get(k) == nil
		if !added {
			return nil
		}
		return b.Put(k, encodeTime(s.now()))
	})
	return added, err
}

// Unsubscribe implements Store.
func (s *BoltStore) Unsubscribe(ctx context.Context, contactID, channelID string) (bool, error) {
	var removed bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSubs)
		k := subKey(contactID, channelID)
		removed = b.Get(k) != nil
		if !removed {
			return nil
		}
		return b.Delete(k)
	})
	return removed, err
}

// Subscribers implements Store.
func (s *BoltStore) Subscribers(ctx context.Context, contactID string) ([]string, error) {
	var out []string
	prefix := []byte(contactID + "\x00")
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bSubs).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	return out, err
}

// --- outbox ---

// Enqueue implements Store.
func (s *BoltStore) Enqueue(ctx context.Context, ev OutboxEvent, seenUntil time.Time) (bool, error) {
	if ev.WebhookID == "" {
		return false, errors.New("bridge: outbox event without webhookId")
	}
	var added bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		added = false
		seen := tx.Bucket(bSeen)
		if s.live(seen.Get([]byte(ev.WebhookID))) {
			return nil
		}
		out := tx.Bucket(bOutbox)
		n, err := out.NextSequence()
		if err != nil {
			return err
		}
		e := ev
		e.Seq = n
		v, err := encodeEvent(e)
		if err != nil {
			return err
		}
		if err := out.Put(seqKey(n), v); err != nil {
			return err
		}
		if err := seen.Put([]byte(ev.WebhookID), encodeTime(seenUntil)); err != nil {
			return err
		}
		added = true
		return nil
	})
	return added && err == nil, err
}

// Due implements Store.
func (s *BoltStore) Due(ctx context.Context, now time.Time, max int, skip func(uint64) bool) ([]OutboxEvent, error) {
	var out []OutboxEvent
	err := s.view(ctx, func(tx *bolt.Tx) error {
		blocked := make(map[string]bool)
		c := tx.Bucket(bOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			if skip != nil && skip(binary.BigEndian.Uint64(k)) {
				continue
			}
			ev, err := decodeEvent(v)
			if err != nil {
				return fmt.Errorf("outbox event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			ready := !ev.NextTry.After(now)
			if ev.ContactID != "" {
				if blocked[ev.ContactID] {
					continue
				}
				if !ready {
					blocked[ev.ContactID] = true
				}
			}
			if ready {
				out = append(out, ev)
			}
		}
		return nil
	})
	return out, err
}

// Settle implements Store.
func (s *BoltStore) Settle(ctx context.Context, outcomes []Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		out, dead := tx.Bucket(bOutbox), tx.Bucket(bDead)
		for _, o := range outcomes {
			k := seqKey(o.Seq)
			v := out.Get(k)
			if v == nil {
				continue
			}
			if o.Delivered {
				if err := out.Delete(k); err != nil {
					return err
				}
				continue
			}
			ev, err := decodeEvent(v)
			if err != nil {
				return err
			}
			if o.Deferred {
				ev.NextTry = o.NextTry
				nv, err := encodeEvent(ev)
				if err != nil {
					return err
				}
				if err := out.Put(k, nv); err != nil {
					return err
				}
				continue
			}
			ev.Attempts++
			ev.NextTry = o.NextTry
			ev.LastError = o.Err
			ev.Posted = o.Posted
			nv, err := encodeEvent(ev)
			if err != nil {
				return err
			}
			if o.Dead {
				if err := dead.Put(k, nv); err != nil {
					return err
				}
				if err := out.Delete(k); err != nil {
					return err
				}
				continue
			}
			if err := out.Put(k, nv); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutboxStats implements Store.
func (s *BoltStore) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out := tx.Bucket(bOutbox)
		st.Dead = tx.Bucket(bDead).Stats().KeyN
		return out.ForEach(func(_, v []byte) error {
			ev, err := decodeEvent(v)
			if err != nil {
				return err
			}
			st.Pending++
			if ev.Attempts > 0 {
				st.Retrying++
			}
			if st.Oldest.IsZero() || ev.Received.Before(st.Oldest) {
				st.Oldest = ev.Received
			}
			return nil
		})
	})
	return st, err
}

// DeadEvents returns the events that could not be posted, oldest first.
func (s *BoltStore) DeadEvents(ctx context.Context) ([]OutboxEvent, error) {
	var out []OutboxEvent
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bDead).ForEach(func(_, v []byte) error {
			ev, err := decodeEvent(v)
			if err != nil {
				return err
			}
			out = append(out, ev)
			return nil
		})
	})
	return out, err
}

// --- completions ---

// Completion implements Store.
func (s *BoltStore) Completion(ctx context.Context, taskID string) (Completion, bool, error) {
	var c Completion
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bDone).Get([]byte(taskID))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &c)
	})
	return c, ok, err
}

// RecordCompletion implements Store.
func (s *BoltStore) RecordCompletion(ctx context.Context, c Completion) (Completion, bool, error) {
	held, recorded := c, false
	v, err := json.Marshal(c)
	if err != nil {
		return held, false, err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bDone)
		held, recorded = c, false
		if old := b.Get([]byte(c.TaskID)); old != nil {
			return json.Unmarshal(old, &held)
		}
		recorded = true
		return b.Put([]byte(c.TaskID), v)
	})
	return held, recorded, err
}

// --- own changes ---

// MarkOwn implements Store.
func (s *BoltStore) MarkOwn(ctx context.Context, key string, until time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bOwn).Put([]byte(key), encodeTime(until))
	})
}

// ForgetOwn implements Store.
func (s *BoltStore) ForgetOwn(ctx context.Context, key string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bOwn).Delete([]byte(key))
	})
}

// IsOwn implements Store.
func (s *BoltStore) IsOwn(ctx context.Context, key string) (bool, error) {
	var own bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		own = s.live(tx.Bucket(bOwn).Get([]byte(key)))
		return nil
	})
	return own, err
}

// Sweep implements Store.
func (s *BoltStore) Sweep(ctx context.Context, now time.Time) error {
	expiring := append([][]byte{bSeen, bOwn}, trustExpiring...)
	expired := make([][][]byte, len(expiring))
	err := s.view(ctx, func(tx *bolt.Tx) error {
		for i, name := range expiring {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				if len(v) != 8 || !now.Before(decodeTime(v)) {
					expired[i] = append(expired[i], slices.Clone(k))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	n := 0
	for _, keys := range expired {
		n += len(keys)
	}
	if err != nil || n == 0 {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		for i, name := range expiring {
			b := tx.Bucket(name)
			for _, k := range expired[i] {
				// Re-check: the key may have been renewed meanwhile.
				if v := b.Get(k); len(v) == 8 && now.Before(decodeTime(v)) {
					continue
				}
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

var _ Store = (*BoltStore)(nil)
