package bridge

import (
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of the trust state: one-time nonces.
var (
	bNonces = []byte("nonces")
	// trustBuckets are created with the others; trustExpiring hold
	// encoded expiries that Sweep prunes.
	trustBuckets  = [][]byte{bNonces}
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
	return fresh && err == nil, err
}
