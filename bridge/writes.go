package bridge

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bWrites holds the writes under way: contactID NUL id → encoded expiry.
var bWrites = []byte("writes")

func writeKey(contactID, id string) ([]byte, error) {
	if contactID == "" || id == "" || strings.ContainsRune(contactID, 0) || strings.ContainsRune(id, 0) {
		return nil, errors.New("bridge: a write needs a contact ID and a write ID without NUL")
	}
	return []byte(contactID + "\x00" + id), nil
}

// BeginWrite implements Store.
func (s *BoltStore) BeginWrite(ctx context.Context, contactID, id string, until time.Time) error {
	k, err := writeKey(contactID, id)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bWrites).Put(k, encodeTime(until))
	})
}

// EndWrite implements Store.
func (s *BoltStore) EndWrite(ctx context.Context, contactID, id string) error {
	k, err := writeKey(contactID, id)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bWrites).Delete(k)
	})
}

// writing is Route's check for writes under way; it reads only the
// contact's own keys.
func (s *BoltStore) writing(ctx context.Context, contactID string) (bool, error) {
	if contactID == "" {
		return false, nil
	}
	prefix := []byte(contactID + "\x00")
	var busy bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bWrites).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if s.live(v) {
				busy = true
				return nil
			}
		}
		return nil
	})
	return busy, err
}

// BeginWrite implements Store.
func (s *PGStore) BeginWrite(ctx context.Context, contactID, id string, until time.Time) error {
	if _, err := writeKey(contactID, id); err != nil {
		return err
	}
	_, err := s.exec(ctx, `INSERT INTO bridge_writes (contact_id, id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (contact_id, id) DO UPDATE SET expires_at = EXCLUDED.expires_at`, contactID, id, until)
	return err
}

// EndWrite implements Store.
func (s *PGStore) EndWrite(ctx context.Context, contactID, id string) error {
	_, err := s.exec(ctx, `DELETE FROM bridge_writes WHERE contact_id = $1 AND id = $2`, contactID, id)
	return err
}
