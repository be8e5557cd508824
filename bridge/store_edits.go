package bridge

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// ForgetCompletion implements Store.
func (s *BoltStore) ForgetCompletion(ctx context.Context, taskID string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bDone).Delete([]byte(taskID))
	})
}
