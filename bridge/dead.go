package bridge

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DeadLetters is implemented by stores that keep the events Mattermost
// refused for good (BoltStore): an operator lists them and, once the cause
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
// so it is posted before its contact's later events.
func (s *BoltStore) RetryDead(ctx context.Context, seq uint64, now time.Time) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		out, dead := tx.Bucket(bOutbox), tx.Bucket(bDead)
		move := func(k, v []byte) error {
			ev, err := decodeEvent(v)
			if err != nil {
				return err
			}
			ev.Attempts, ev.NextTry, ev.LastError = 0, now, ""
			nv, err := encodeEvent(ev)
			if err != nil {
				return err
			}
			if err := out.Put(k, nv); err != nil {
				return err
			}
			n++
			return nil
		}
		if seq != 0 {
			k := seqKey(seq)
			v := dead.Get(k)
			if v == nil {
				return nil
			}
			if err := move(k, v); err != nil {
				return err
			}
			return dead.Delete(k)
		}
		var keys [][]byte
		if err := dead.ForEach(func(k, v []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return move(k, v)
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := dead.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
