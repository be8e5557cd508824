package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of the trust state: one-time nonces, suspended destinations.
var (
	bNonces    = []byte("nonces")
	bSuspended = []byte("suspended")
	// trustBuckets are created with the others; trustExpiring hold
	// encoded expiries that Sweep prunes.
	trustBuckets  = [][]byte{bNonces, bSuspended}
	trustExpiring = [][]byte{bNonces}
)

// UseNonce implements Store.
func (s *BoltStore) UseNonce(ctx context.Context, key string, until time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("bridge: empty nonce key")
	}
	var fresh bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bNonces)
		// An expired record is a nonce whose token has expired too: still
		// used (the token's own expiry refuses it anyway).
		fresh = b.Get([]byte(key)) == nil
		if !fresh {
			return nil
		}
		return b.Put([]byte(key), encodeTime(until))
	})
	return err == nil && fresh, err
}

// Suspension is a destination channel the bridge stopped posting to, after
// Mattermost refused its posts there again and again (the bot was removed,
// the channel archived or deleted). Its events go to the other routes, or
// the default channel, until a subscribe or notes --move there resumes it.
type Suspension struct {
	ChannelID string    `json:"channel_id"`
	Since     time.Time `json:"since"`
	Failures  int       `json:"failures"`         // consecutive refusals that led to it
	Reason    string    `json:"reason,omitempty"` // Mattermost's last answer, e.g. "403 api.context.permissions.app_error"
}

// SuspendDestination implements Store.
func (s *BoltStore) SuspendDestination(ctx context.Context, sp Suspension) error {
	if sp.ChannelID == "" {
		return errors.New("bridge: suspension without a channel")
	}
	v, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bSuspended).Put([]byte(sp.ChannelID), v)
	})
}

// ResumeDestination implements Store.
func (s *BoltStore) ResumeDestination(ctx context.Context, channelID string) (bool, error) {
	var resumed bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSuspended)
		resumed = b.Get([]byte(channelID)) != nil
		if !resumed {
			return nil
		}
		return b.Delete([]byte(channelID))
	})
	return err == nil && resumed, err
}

// Suspensions implements Store.
func (s *BoltStore) Suspensions(ctx context.Context) ([]Suspension, error) {
	var out []Suspension
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bSuspended).ForEach(func(_, v []byte) error {
			var sp Suspension
			if err := json.Unmarshal(v, &sp); err != nil {
				return err
			}
			out = append(out, sp)
			return nil
		})
	})
	return out, err
}

// takenPrefix keeps an own-change mark its webhook took, until it expires:
// IsOwn still knows the change was the bridge's, takeOwn matches it once.
const takenPrefix = "taken/"

// takeOwn is Route's taking of an own-change mark.
func (s *BoltStore) takeOwn(ctx context.Context, key string) (bool, error) {
	var own bool
	// Most events are not the bridge's own: read first, write only a hit.
	if err := s.view(ctx, func(tx *bolt.Tx) error {
		own = s.live(tx.Bucket(bOwn).Get([]byte(key)))
		return nil
	}); err != nil || !own {
		return false, err
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bOwn)
		v := b.Get([]byte(key))
		own = s.live(v)
		if !own {
			return nil
		}
		v = slices.Clone(v)
		if err := b.Delete([]byte(key)); err != nil {
			return err
		}
		return b.Put([]byte(takenPrefix+key), v)
	})
	return err == nil && own, err
}

// DropCompletion implements Store.
func (s *BoltStore) DropCompletion(ctx context.Context, taskID string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bDone).Delete([]byte(taskID))
	})
}

// ReplaceCompletion implements Store.
func (s *BoltStore) ReplaceCompletion(ctx context.Context, c Completion) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bDone).Put([]byte(c.TaskID), v)
	})
}

// How long Sweep keeps records that do not expire by themselves.
const (
	// CompletionsKept: who completed a task from chat is shown for a
	// click on an old list; after this, the task's state in HighLevel is
	// all that is said.
	CompletionsKept = 90 * 24 * time.Hour
	// DeadKept: dead letters wait this long (after their last attempt)
	// for an operator to look at or replay them.
	DeadKept = 30 * 24 * time.Hour
)

// sweepAged deletes completions older than CompletionsKept and dead
// letters whose last attempt is older than DeadKept.
func (s *BoltStore) sweepAged(ctx context.Context, now time.Time) error {
	var done, dead [][]byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		err := tx.Bucket(bDone).ForEach(func(k, v []byte) error {
			if completionAged(v, now) {
				done = append(done, slices.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bDead).ForEach(func(k, v []byte) error {
			if deadAged(v, now) {
				dead = append(dead, slices.Clone(k))
			}
			return nil
		})
	})
	if err != nil || len(done)+len(dead) == 0 {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		// Re-checked: a completion may have been replaced meanwhile.
		b := tx.Bucket(bDone)
		for _, k := range done {
			if v := b.Get(k); v == nil || !completionAged(v, now) {
				continue
			}
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		b, meta := tx.Bucket(bDead), tx.Bucket(bMeta)
		for _, k := range dead {
			if v := b.Get(k); v == nil || !deadAged(v, now) {
				continue
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			if err := addCount(meta, mDead, -1); err != nil { // OutboxStats' counter
				return err
			}
		}
		return nil
	})
}

// completionAged reports a stored completion older than CompletionsKept
// (or unreadable).
func completionAged(v []byte, now time.Time) bool {
	var c Completion
	if err := json.Unmarshal(v, &c); err != nil {
		return true
	}
	return now.Sub(c.At) > CompletionsKept
}

// deadAged reports a dead letter whose last attempt is older than
// DeadKept. Its NextTry is when it would have been tried again: the
// last attempt plus at most the backoff, so it is a close enough age.
func deadAged(v []byte, now time.Time) bool {
	ev, err := decodeEvent(v)
	if err != nil {
		return false // kept for an operator to look at
	}
	return now.Sub(later(ev.NextTry, ev.Received)) > DeadKept
}

// prepareStateDir creates the state file's directory, and makes it 0700
// even when it existed: the file holds who did what and the outbox. The
// working directory (a path without a directory) is left as it is: give
// the state file a directory of its own.
func prepareStateDir(path string) error {
	dir := filepath.Dir(path)
	if dir == "." {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("bridge: state file directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("bridge: state file directory: %w", err)
	}
	return nil
}
