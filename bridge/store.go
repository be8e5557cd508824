package bridge

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
	// Route reads at once what delivering an event of contactID needs: the
	// suspended destinations, the contact's thread, its subscribers and,
	// when locationID is not empty, the channels linked to that location
	// (as Suspensions, Thread, Subscribers and LocationChannels would);
	// whether a write about contactID is under way and not expired, in
	// this process or another (Writing: false for an empty contactID; see
	// BeginWrite); and, when none is, it takes the mark MarkOwn made for
	// ownKey (Own: true once per live mark, for its webhook, false after,
	// so a later genuine change is posted; false for an empty key; IsOwn
	// still reports a taken mark until it expires).
	Route(ctx context.Context, contactID, locationID, ownKey string) (Route, error)

	// Enqueue durably adds ev to the outbox and records ev.WebhookID as
	// accepted until seenUntil, in one transaction. added is false, and
	// nothing changes, when the webhookId is already recorded. With
	// take.Until not zero, an added event that is its contact's earliest
	// is also taken for the caller as Claim takes events (leased until
	// take.Until, Claims 1, whatever its NextTry) and returned, with its
	// Seq and its Route as Route(ctx, ev.ContactID, take.LocationID,
	// take.OwnKey) returns it right after the write (own-change mark
	// taken included): the replica that accepted an event posts it
	// without a Claim, or another read. Otherwise taken is empty, and
	// Claim finds the event.
	Enqueue(ctx context.Context, ev OutboxEvent, seenUntil time.Time, take Take) (added bool, taken []OutboxEvent, err error)
	// Claim takes up to max events for delivery, oldest NextTry first, and
	// leases them to the caller until now+lease: no other Claim, in this
	// process or another, returns them before the lease ends (when the
	// claimer died or hung) or Settle releases them. Per contact, events keep
	// their order: only a contact's earliest event in the outbox can be
	// claimed, and only once its NextTry is not after now. Each claim
	// increments the event's Claims. The cost does not grow with the size
	// of the outbox.
	Claim(ctx context.Context, now time.Time, max int, lease time.Duration) ([]OutboxEvent, error)
	// Settle records the outcome of delivery attempts and ends their
	// leases. An outcome other than Delivered is ignored when the event was
	// claimed again since (Outcome.Claims is not its latest claim).
	Settle(ctx context.Context, outcomes []Outcome) error
	// SettleTake is Settle that also takes for the caller, as
	// Claim(now, max, lease) would, the events that the first max outcomes
	// removing an event (delivered or dead) made the earliest of their
	// contact, when they are due by now or were due when received: a
	// contact's next event goes to the deliverer that posted the one before
	// without a Claim. Claim finds the others, which there can be only when
	// more than max outcomes removed events.
	SettleTake(ctx context.Context, outcomes []Outcome, now time.Time, max int, lease time.Duration) ([]OutboxEvent, error)
	// OutboxStats counts the outbox from counters kept as it changes, at
	// a cost that does not grow with its size.
	OutboxStats(ctx context.Context) (OutboxStats, error)

	// Completion returns who completed a task through the bridge, or what
	// the bridge learnt about its completion; ok is false when unknown.
	Completion(ctx context.Context, taskID string) (c Completion, ok bool, err error)
	// RecordCompletion records c unless the task already has a completion;
	// it returns the completion that holds (c or the earlier one) and
	// whether c was recorded.
	RecordCompletion(ctx context.Context, c Completion) (held Completion, recorded bool, err error)

	// MarkOwn remembers until the given time that the bridge made the
	// change identified by key (see ownKey), so its webhook is not posted.
	MarkOwn(ctx context.Context, key string, until time.Time) error
	// ForgetOwn removes a mark (the change failed after all).
	ForgetOwn(ctx context.Context, key string) error
	// IsOwn reports whether key is marked and not expired, taken or not.
	IsOwn(ctx context.Context, key string) (bool, error)

	// BeginWrite records that a write to HighLevel about contactID is
	// under way, as write id (unique per write), until until or EndWrite:
	// every bridge sharing the store holds that contact's events meanwhile
	// (Route.Writing), so the write's webhook is recognised as the bridge's
	// own once it is marked. The expiry bounds how long a replica that died
	// mid-write holds the contact.
	BeginWrite(ctx context.Context, contactID, id string, until time.Time) error
	// EndWrite removes write id of contactID; removing an absent one is
	// not an error.
	EndWrite(ctx context.Context, contactID, id string) error

	// Lock serialises work on key (a task being completed, a notes thread
	// being written) across every bridge sharing the store, until the
	// returned unlock is called. It waits until ctx is done.
	Lock(ctx context.Context, key string) (unlock func(), err error)

	// One-time tokens (dialog states, confirmation buttons).

	// UseNonce records key (mattermost.Token.NonceKey: derived from the
	// decoded token, never its text) as used until until; fresh is false,
	// and nothing changes, when it was used already.
	UseNonce(ctx context.Context, key string, until time.Time) (fresh bool, err error)
	// DropCompletion forgets a task's completion (HighLevel shows the
	// task open again).
	DropCompletion(ctx context.Context, taskID string) error
	// ReplaceCompletion records c, replacing any earlier completion of the
	// task, in one write (a completion made in HighLevel replaces one
	// recorded from chat: the task was reopened and completed again).
	ReplaceCompletion(ctx context.Context, c Completion) error
	// SuspendDestination stops routing events to s.ChannelID (Mattermost
	// refuses the bot's posts there), replacing an earlier suspension.
	SuspendDestination(ctx context.Context, s Suspension) error
	// ResumeDestination routes events to channelID again; resumed is false
	// when it was not suspended.
	ResumeDestination(ctx context.Context, channelID string) (resumed bool, err error)
	// Suspensions lists the suspended destinations, by channel ID.
	Suspensions(ctx context.Context) ([]Suspension, error)

	// TrackTaskPost records that the bot's post p shows the tasks
	// taskIDs, replacing what was recorded for that post and task.
	TrackTaskPost(ctx context.Context, p TaskPost, taskIDs []string) error
	// TaskPosts returns the posts recorded as showing the task, newest
	// first, at most maxTaskPosts.
	TaskPosts(ctx context.Context, taskID string) ([]TaskPost, error)

	// Channel links (app mode): each channel acts on at most one location;
	// a location's events go to every channel linked to it.

	// LinkChannel links channelID to locationID, replacing the channel's
	// earlier link; previous is the location it was linked to ("" when
	// none).
	LinkChannel(ctx context.Context, channelID, locationID string) (previous string, err error)
	// UnlinkChannel removes the channel's link; locationID is the location
	// it was linked to, "" when none.
	UnlinkChannel(ctx context.Context, channelID string) (locationID string, err error)
	// ChannelLocation returns the location the channel is linked to; ok is
	// false when none.
	ChannelLocation(ctx context.Context, channelID string) (locationID string, ok bool, err error)
	// LocationChannels returns the channels linked to the location, sorted,
	// at a cost that does not grow with the number of other links.
	LocationChannels(ctx context.Context, locationID string) ([]string, error)

	// Sweep deletes expired webhookIds, marks and nonces, completions
	// older than CompletionsKept, task posts older than TaskPostsKept and
	// dead letters older than DeadKept.
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

// Route is what routing an event needs (Store.Route).
type Route struct {
	Suspended   []string // channel IDs of suspended destinations, sorted
	Thread      Thread
	HasThread   bool
	Subscribers []string // sorted
	Linked      []string // channels linked to the location, sorted
	Writing     bool     // a write about the contact is under way: the event waits
	Own         bool     // the own-change mark was taken: the bridge made this change
}

// Take asks Enqueue to take the event it adds for the caller; the zero
// Take asks nothing.
type Take struct {
	Until time.Time // the lease's end
	// LocationID and OwnKey are Route's, for the taken event's route.
	LocationID, OwnKey string
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
	// Claims counts the times the event was claimed (Store.Claim) for
	// delivery: more than one means an earlier claimer may have posted it
	// before dying.
	Claims int `json:"claims,omitempty"`
	// Posted lists the targets ("channel/root") already posted to, so that
	// a retry after a partial failure posts only the rest.
	Posted []string `json:"posted,omitempty"`
	// Route, on an event Enqueue took, is its route read with the write
	// (Take); nil otherwise. Not stored.
	Route *Route `json:"-"`
	// event is Payload as the replica that accepted it parsed it, on the
	// events its Enqueue took for it; nil otherwise. Not stored.
	event webhook.Event
}

// Outcome is the result of one delivery attempt of an outbox event.
type Outcome struct {
	Seq       uint64
	Claims    int  // the claim it settles (OutboxEvent.Claims as claimed); 0: any
	Delivered bool // posted: remove it
	Dead      bool // cannot ever be posted: move it aside
	Deferred  bool // not attempted (or released): only NextTry changes
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
	// bDue indexes the outbox events that can be claimed by next try:
	// NextTry (8 bytes) + seq → nothing. Only a contact's earliest event
	// is in it, so that a contact's events go out in order.
	bDue = []byte("outbox_due")
	// bByContact lists each contact's outbox events: contactID, 0, seq →
	// nothing; it finds the event that takes the lead when one leaves.
	bByContact = []byte("outbox_contacts")
	// bMeta holds the layout version and the outbox counters.
	bMeta   = []byte("meta")
	buckets = append([][]byte{bThreads, bSubs, bOutbox, bDead, bSeen, bDone, bOwn, bDue, bByContact, bMeta, bTaskPosts, bWrites}, append(trustBuckets, linkBuckets...)...)
)

// Keys of bMeta.
var (
	mVersion  = []byte("version")
	mPending  = []byte("pending")
	mRetrying = []byte("retrying")
	mDead     = []byte("dead")
)

// boltVersion is the layout of the state file: 2 added the outbox's due and
// contact indexes and counters, built from the outbox when an older file is
// opened.
const boltVersion = 2

// BoltStore is the default Store: one bbolt file, no server. Writes that
// arrive together share one transaction and one fsync (group commit), so
// a burst of webhooks costs few disk syncs while each is still acknowledged
// only after it is on disk.
type BoltStore struct {
	db  *bolt.DB
	now func() time.Time

	mu       sync.Mutex
	reserved map[string]time.Time // webhookIds being processed → expiry
	writes   groupCommit[*writeReq]
	closed   bool
	lastErr  error        // last failed write, cleared by a good one
	commits  atomic.Int64 // transactions committed, for the benchmark

	locks keyedMutex // Lock: one process holds the file

	// Leases live in memory: only one process opens the file, so a lease
	// cannot outlive its claimer.
	leaseMu sync.Mutex
	leases  map[uint64]boltLease
}

type boltLease struct {
	until  time.Time
	claims int
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
	if err := prepareStateDir(path); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("bridge: state file %s is in use by another process", path)
		}
		return nil, fmt.Errorf("bridge: opening state file %s: %w", path, err)
	}
	// bolt.Open leaves an existing file's mode as it was.
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, fmt.Errorf("bridge: state file %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return upgradeBolt(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bridge: preparing state file %s: %w", path, err)
	}
	s := &BoltStore{db: db, now: now, reserved: make(map[string]time.Time), leases: make(map[uint64]boltLease)}
	s.writes.write = s.commit
	return s, nil
}

// upgradeBolt brings a state file of an earlier layout to boltVersion. A
// file of a later layout is refused: this binary would corrupt it.
func upgradeBolt(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	v := getCount(meta, mVersion)
	switch {
	case v == boltVersion:
		return nil
	case v > boltVersion:
		return fmt.Errorf("state file layout %d is newer than this bridge's (%d)", v, boltVersion)
	}
	// Version 1 (no version key) had the outbox without indexes: index
	// it and count it, once.
	out := tx.Bucket(bOutbox)
	var pending, retrying uint64
	err := out.ForEach(func(k, v []byte) error {
		ev, err := decodeEvent(v)
		if err != nil {
			return fmt.Errorf("outbox event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		pending++
		if ev.Attempts > 0 {
			retrying++
		}
		if ev.ContactID != "" {
			if err := tx.Bucket(bByContact).Put(contactKey(ev.ContactID, ev.Seq), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The leads: every contact's first event, and events without a contact.
	err = out.ForEach(func(k, v []byte) error {
		ev, err := decodeEvent(v)
		if err != nil {
			return err
		}
		if ev.ContactID == "" || firstOfContact(tx, ev.ContactID) == ev.Seq {
			return tx.Bucket(bDue).Put(dueKey(ev.NextTry, ev.Seq), nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	dead := uint64(tx.Bucket(bDead).Stats().KeyN)
	for _, kv := range []struct {
		k []byte
		n uint64
	}{{mPending, pending}, {mRetrying, retrying}, {mDead, dead}, {mVersion, boltVersion}} {
		if err := putCount(meta, kv.k, kv.n); err != nil {
			return err
		}
	}
	return nil
}

func getCount(b *bolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putCount(b *bolt.Bucket, k []byte, n uint64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(nil, n))
}

// addCount adds d to a counter, never going below zero.
func addCount(b *bolt.Bucket, k []byte, d int) error {
	n := int64(getCount(b, k)) + int64(d)
	return putCount(b, k, uint64(max(n, 0)))
}

// dueKey orders by t, then seq; times before 1970 (a zero NextTry) sort
// first.
func dueKey(t time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, dueNanos(t)), seq)
}

func dueNanos(t time.Time) uint64 {
	if t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixNano())
}

func contactKey(contactID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(contactID+"\x00"), seq)
}

// firstOfContact returns the seq of the contact's earliest outbox event, or
// 0 when it has none.
func firstOfContact(tx *bolt.Tx, contactID string) uint64 {
	prefix := []byte(contactID + "\x00")
	k, _ := tx.Bucket(bByContact).Cursor().Seek(prefix)
	if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(prefix):])
}

// update runs fn in a write transaction shared with the writes queued
// meanwhile, and returns once the transaction is durable. fn may run more
// than once (when another write of its batch fails), so it must only touch
// the transaction; and it may run after update returned ctx's error, so
// callers read what fn sets only when update returned nil.
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
	// Under s.mu, so that Close, which sets closed under it, waits for it.
	s.writes.submit(req)
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
// commit writes a batch of writes in one transaction.
func (s *BoltStore) commit(batch []*writeReq) {
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
		return
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
	s.writes.wait() // queued writes still commit
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
		var err error
		t, ok, err = threadTx(tx, contactID)
		return err
	})
	return t, ok, err
}

func threadTx(tx *bolt.Tx, contactID string) (t Thread, ok bool, err error) {
	v := tx.Bucket(bThreads).Get([]byte(contactID))
	if v == nil {
		return Thread{}, false, nil
	}
	return t, true, json.Unmarshal(v, &t)
}

// Route implements Store: writing and takeOwn, then one read transaction
// (one process holds the file: nothing comes between them that the
// deliverer does not order itself).
func (s *BoltStore) Route(ctx context.Context, contactID, locationID, ownKey string) (Route, error) {
	var r Route
	var err error
	if r.Writing, err = s.writing(ctx, contactID); err != nil {
		return Route{}, err
	}
	if !r.Writing && ownKey != "" {
		if r.Own, err = s.takeOwn(ctx, ownKey); err != nil {
			return Route{}, err
		}
	}
	err = s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		if r.Thread, r.HasThread, err = threadTx(tx, contactID); err != nil {
			return err
		}
		r.Subscribers = keysAfter(tx.Bucket(bSubs), contactID)
		if locationID != "" {
			r.Linked = keysAfter(tx.Bucket(bLocChannels), locationID)
		}
		return tx.Bucket(bSuspended).ForEach(func(k, _ []byte) error {
			r.Suspended = append(r.Suspended, string(k))
			return nil
		})
	})
	return r, err
}

// keysAfter lists, in order, the rest of b's keys that start with prefix
// and a NUL.
func keysAfter(b *bolt.Bucket, prefix string) []string {
	var out []string
	p := []byte(prefix + "\x00")
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		out = append(out, string(k[len(p):]))
	}
	return out
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
	return err == nil && added, err
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
	return err == nil && removed, err
}

// Subscribers implements Store.
func (s *BoltStore) Subscribers(ctx context.Context, contactID string) ([]string, error) {
	var out []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = keysAfter(tx.Bucket(bSubs), contactID)
		return nil
	})
	return out, err
}

// --- outbox ---

// Enqueue implements Store. A taken event is leased in memory, as Claim
// leases them.
func (s *BoltStore) Enqueue(ctx context.Context, ev OutboxEvent, seenUntil time.Time, take Take) (bool, []OutboxEvent, error) {
	if ev.WebhookID == "" {
		return false, nil, errors.New("bridge: outbox event without webhookId")
	}
	var added, taken bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var lead bool
		var err error
		added, lead, err = s.enqueueTx(tx, &ev, seenUntil)
		if taken = err == nil && added && lead && !take.Until.IsZero(); taken {
			// Leased before the event is committed (and seen by a
			// Claim): no Claim hands it out.
			s.leaseMu.Lock()
			s.leaseLocked(&ev, take.Until)
			s.leaseMu.Unlock()
		}
		return err
	})
	if err != nil {
		if taken {
			s.dropLeases(ev.Seq)
		}
		return false, nil, err
	}
	if !taken {
		return added, nil, nil
	}
	// Read right after the write, as the deliverer would read it (in the
	// write itself, PGStore saves a round trip; bbolt has none). Without
	// it, the deliverer reads it.
	r, err := s.Route(ctx, ev.ContactID, take.LocationID, take.OwnKey)
	if err == nil {
		ev.Route = &r
	}
	return true, []OutboxEvent{ev}, nil
}

// leaseLocked leases ev to the caller until until, one claim more, as
// Claim, Enqueue and SettleTake take events. s.leaseMu is held.
func (s *BoltStore) leaseLocked(ev *OutboxEvent, until time.Time) {
	ev.Claims = max(s.leases[ev.Seq].claims, ev.Claims) + 1
	s.leases[ev.Seq] = boltLease{until: until, claims: ev.Claims}
}

func (s *BoltStore) dropLeases(seqs ...uint64) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	for _, seq := range seqs {
		delete(s.leases, seq)
	}
}

// enqueueTx is Enqueue within tx. It sets ev.Seq; lead is true when ev is
// its contact's earliest event (it can be claimed).
func (s *BoltStore) enqueueTx(tx *bolt.Tx, ev *OutboxEvent, seenUntil time.Time) (added, lead bool, err error) {
	seen := tx.Bucket(bSeen)
	if s.live(seen.Get([]byte(ev.WebhookID))) {
		return false, false, nil
	}
	out := tx.Bucket(bOutbox)
	n, err := out.NextSequence()
	if err != nil {
		return false, false, err
	}
	ev.Seq, ev.Claims = n, 0
	v, err := encodeEvent(*ev)
	if err != nil {
		return false, false, err
	}
	if err := out.Put(seqKey(n), v); err != nil {
		return false, false, err
	}
	if lead = ev.ContactID == "" || firstOfContact(tx, ev.ContactID) == 0; lead {
		if err := tx.Bucket(bDue).Put(dueKey(ev.NextTry, n), nil); err != nil {
			return false, false, err
		}
	}
	if ev.ContactID != "" {
		if err := tx.Bucket(bByContact).Put(contactKey(ev.ContactID, n), nil); err != nil {
			return false, false, err
		}
	}
	if err := addCount(tx.Bucket(bMeta), mPending, 1); err != nil {
		return false, false, err
	}
	return true, lead, seen.Put([]byte(ev.WebhookID), encodeTime(seenUntil))
}

// Claim implements Store. It reads the due index from its start, so it
// visits the events it returns and at most the ones this process holds
// leases on (at most the deliverer's batch).
func (s *BoltStore) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	var out []OutboxEvent
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bDue).Cursor()
		o := tx.Bucket(bOutbox)
		until := dueNanos(now)
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) != 16 || binary.BigEndian.Uint64(k[:8]) > until {
				break
			}
			seq := binary.BigEndian.Uint64(k[8:])
			if l, ok := s.leases[seq]; ok && now.Before(l.until) {
				continue
			}
			v := o.Get(k[8:])
			if v == nil {
				continue
			}
			ev, err := decodeEvent(v)
			if err != nil {
				return fmt.Errorf("outbox event %d: %w", seq, err)
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		s.leaseLocked(&out[i], now.Add(lease))
	}
	return out, nil
}

// Settle implements Store.
func (s *BoltStore) Settle(ctx context.Context, outcomes []Outcome) error {
	_, err := s.SettleTake(ctx, outcomes, time.Time{}, 0, 0)
	return err
}

// SettleTake implements Store; what it takes is leased in memory, as
// Claim leases.
func (s *BoltStore) SettleTake(ctx context.Context, outcomes []Outcome, now time.Time, limit int, lease time.Duration) ([]OutboxEvent, error) {
	if len(outcomes) == 0 {
		return nil, nil
	}
	// Outcomes of a claim that was taken over are dropped.
	s.leaseMu.Lock()
	stale := make(map[int]bool)
	for i, o := range outcomes {
		if l, ok := s.leases[o.Seq]; ok && o.Claims != 0 && l.claims != o.Claims && !o.Delivered {
			stale[i] = true
		}
	}
	s.leaseMu.Unlock()
	var taken []OutboxEvent
	var removals int
	// removed removes ev, taking its contact's next event when due and
	// ev is among the first limit removed: leased before the change is
	// committed (and seen by a Claim), as Claim leases.
	removed := func(tx *bolt.Tx, ev OutboxEvent) error {
		next, ok, err := s.removeEvent(tx, ev)
		if err == nil && ok && removals < limit && dueFor(next, now) {
			s.leaseMu.Lock()
			s.leaseLocked(&next, now.Add(lease))
			s.leaseMu.Unlock()
			taken = append(taken, next)
		}
		removals++
		return err
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		taken, removals = nil, 0 // a retried transaction starts over
		out, dead, due, meta := tx.Bucket(bOutbox), tx.Bucket(bDead), tx.Bucket(bDue), tx.Bucket(bMeta)
		for i, o := range outcomes {
			if stale[i] {
				continue
			}
			k := seqKey(o.Seq)
			v := out.Get(k)
			if v == nil {
				continue
			}
			ev, err := decodeEvent(v)
			if err != nil {
				return err
			}
			if o.Delivered {
				if err := removed(tx, ev); err != nil {
					return err
				}
				continue
			}
			wasRetrying := ev.Attempts > 0
			ev.Claims = max(ev.Claims, o.Claims)
			if !o.Deferred {
				ev.Attempts++
				ev.LastError = o.Err
				ev.Posted = o.Posted
			}
			if o.Dead {
				// Recorded with its next try: the time it would have been
				// tried again, which its pruning counts from.
				rec := ev
				rec.NextTry = o.NextTry
				nv, err := encodeEvent(rec)
				if err != nil {
					return err
				}
				if err := dead.Put(k, nv); err != nil {
					return err
				}
				if err := addCount(meta, mDead, 1); err != nil {
					return err
				}
				ev.Attempts-- // removeEvent counts what it was
				if err := removed(tx, ev); err != nil {
					return err
				}
				continue
			}
			if !wasRetrying && ev.Attempts > 0 {
				if err := addCount(meta, mRetrying, 1); err != nil {
					return err
				}
			}
			// Move its place in the due index (only a contact's first
			// event has one).
			if old := dueKey(ev.NextTry, ev.Seq); due.Get(old) != nil {
				if err := due.Delete(old); err != nil {
					return err
				}
				if err := due.Put(dueKey(o.NextTry, ev.Seq), nil); err != nil {
					return err
				}
			}
			ev.NextTry = o.NextTry
			nv, err := encodeEvent(ev)
			if err != nil {
				return err
			}
			if err := out.Put(k, nv); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, ev := range taken {
			s.dropLeases(ev.Seq)
		}
		return nil, err
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	for i, o := range outcomes {
		if !stale[i] {
			delete(s.leases, o.Seq)
		}
	}
	return taken, nil
}

// dueFor reports whether ev is due by now, or was due when it was
// received (as the bridge enqueues events: that one replica's clock is a
// little behind another's must not hold a contact's next event back).
func dueFor(ev OutboxEvent, now time.Time) bool {
	return !ev.NextTry.After(now) || !ev.NextTry.After(ev.Received)
}

// removeEvent deletes ev from the outbox and its indexes, and lets the
// contact's next event, which it returns, take the lead.
func (s *BoltStore) removeEvent(tx *bolt.Tx, ev OutboxEvent) (next OutboxEvent, ok bool, err error) {
	if err := tx.Bucket(bOutbox).Delete(seqKey(ev.Seq)); err != nil {
		return next, false, err
	}
	if err := tx.Bucket(bDue).Delete(dueKey(ev.NextTry, ev.Seq)); err != nil {
		return next, false, err
	}
	meta := tx.Bucket(bMeta)
	if err := addCount(meta, mPending, -1); err != nil {
		return next, false, err
	}
	if ev.Attempts > 0 {
		if err := addCount(meta, mRetrying, -1); err != nil {
			return next, false, err
		}
	}
	if ev.ContactID == "" {
		return next, false, nil
	}
	if err := tx.Bucket(bByContact).Delete(contactKey(ev.ContactID, ev.Seq)); err != nil {
		return next, false, err
	}
	seq := firstOfContact(tx, ev.ContactID)
	if seq == 0 {
		return next, false, nil
	}
	if next, err = indexedEvent(tx, seq); err != nil {
		return next, false, err
	}
	return next, true, tx.Bucket(bDue).Put(dueKey(next.NextTry, seq), nil)
}

// indexedEvent reads the outbox event seq that an index names.
func indexedEvent(tx *bolt.Tx, seq uint64) (OutboxEvent, error) {
	v := tx.Bucket(bOutbox).Get(seqKey(seq))
	if v == nil {
		return OutboxEvent{}, fmt.Errorf("outbox index names event %d, which is missing", seq)
	}
	return decodeEvent(v)
}

// OutboxStats implements Store: the counters, and the first event by seq
// for the oldest.
func (s *BoltStore) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	err := s.view(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		st.Pending = int(getCount(meta, mPending))
		st.Retrying = int(getCount(meta, mRetrying))
		st.Dead = int(getCount(meta, mDead))
		_, v := tx.Bucket(bOutbox).Cursor().First()
		if v == nil {
			return nil
		}
		ev, err := decodeEvent(v)
		if err != nil {
			return err
		}
		st.Oldest = ev.Received
		return nil
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
	if err != nil {
		// held and recorded may still be written by a commit that ends
		// after ctx: do not read them.
		return Completion{}, false, err
	}
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
		if err := tx.Bucket(bOwn).Delete([]byte(takenPrefix + key)); err != nil {
			return err
		}
		return tx.Bucket(bOwn).Delete([]byte(key))
	})
}

// IsOwn implements Store.
func (s *BoltStore) IsOwn(ctx context.Context, key string) (bool, error) {
	var own bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bOwn)
		own = s.live(b.Get([]byte(key))) || s.live(b.Get([]byte(takenPrefix+key)))
		return nil
	})
	return own, err
}

// Lock implements Store: one process holds the file, so an in-process lock
// is enough.
func (s *BoltStore) Lock(ctx context.Context, key string) (func(), error) {
	return s.locks.lock(ctx, key)
}

// keyedMutex serialises work on one key.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]chan struct{} // held key → closed when it is unlocked
}

// lock waits for key (or for ctx to end) and returns its unlock.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	for {
		k.mu.Lock()
		if k.m == nil {
			k.m = make(map[string]chan struct{})
		}
		held, ok := k.m[key]
		if !ok {
			done := make(chan struct{})
			k.m[key] = done
			k.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					k.mu.Lock()
					delete(k.m, key)
					k.mu.Unlock()
					close(done)
				})
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Sweep implements Store.
func (s *BoltStore) Sweep(ctx context.Context, now time.Time) error {
	if err := s.sweepAged(ctx, now); err != nil {
		return err
	}
	if err := s.sweepTaskPosts(ctx, now); err != nil {
		return err
	}
	expiring := append([][]byte{bSeen, bOwn, bWrites}, trustExpiring...)
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
