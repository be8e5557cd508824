package bridge

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DeadLetters is implemented by stores that keep the events Mattermost
// refused for good (BoltStore, PGStore): an operator lists them and, once the cause
// is fixed (a channel restored, the bot added back), puts them back in the
// outbox.
type DeadLetters interface {
	// DeadEvents returns the dead events, oldest first.
	DeadEvents(ctx context.Context) ([]OutboxEvent, error)
	// RetryDead moves the dead event seq (every dead event when seq is 0)
	// back to the outbox, due at now with its attempts reset; it keeps the
	// targets already posted to. It returns how many events moved; 0 when
	// seq is not dead.
	RetryDead(ctx context.Context, seq uint64, now time.Time) (int, error)
}

var _ DeadLetters = (*BoltStore)(nil)

// RetryDead implements DeadLetters. An event keeps its sequence number,
// so it is posted before its contact's later events; the outbox's indexes
// and counters follow.
func (s *BoltStore) RetryDead(ctx context.Context, seq uint64, now time.Time) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		dead := tx.Bucket(bDead)
		var keys [][]byte
		if seq != 0 {
			if dead.Get(seqKey(seq)) != nil {
				keys = append(keys, seqKey(seq))
			}
		} else {
			if err := dead.ForEach(func(k, _ []byte) error {
				keys = append(keys, append([]byte(nil), k...))
				return nil
			}); err != nil {
				return err
			}
		}
		for _, k := range keys {
			ev, err := decodeEvent(dead.Get(k))
			if err != nil {
				return err
			}
			ev.Attempts, ev.Claims, ev.NextTry, ev.LastError = 0, 0, now, ""
			if err := reinsertEvent(tx, ev); err != nil {
				return err
			}
			if err := dead.Delete(k); err != nil {
				return err
			}
			n++
		}
		return addCount(tx.Bucket(bMeta), mDead, -n)
	})
	return n, err
}

// reinsertEvent puts ev back in the outbox under its own seq, with its
// indexes: it takes its contact's lead when it is older than the lead.
func reinsertEvent(tx *bolt.Tx, ev OutboxEvent) error {
	v, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bOutbox).Put(seqKey(ev.Seq), v); err != nil {
		return err
	}
	if err := addCount(tx.Bucket(bMeta), mPending, 1); err != nil {
		return err
	}
	due := tx.Bucket(bDue)
	if ev.ContactID == "" {
		return due.Put(dueKey(ev.NextTry, ev.Seq), nil)
	}
	lead := firstOfContact(tx, ev.ContactID)
	if err := tx.Bucket(bByContact).Put(contactKey(ev.ContactID, ev.Seq), nil); err != nil {
		return err
	}
	switch {
	case lead == 0:
		return due.Put(dueKey(ev.NextTry, ev.Seq), nil)
	case ev.Seq < lead:
		lev, err := indexedEvent(tx, lead)
		if err != nil {
			return err
		}
		if err := due.Delete(dueKey(lev.NextTry, lead)); err != nil {
			return err
		}
		return due.Put(dueKey(ev.NextTry, ev.Seq), nil)
	}
	return nil
}
