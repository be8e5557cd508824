package bridge

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/ghlkit/ghl/oauth"
)

// bTokens holds the OAuth tokens of a BoltTokenStore: key → sealed token.
var bTokens = []byte("oauth_tokens")

// BoltTokenStore is a TokenStore in a BoltStore's file (bucket
// oauth_tokens). Only one process opens the file, so its refresh lock,
// BoltStore.Lock, serialises the refreshes of the Apps in this process.
type BoltTokenStore struct {
	db     *BoltStore
	sealer *oauth.Sealer
}

var _ TokenStore = (*BoltTokenStore)(nil)

// NewBoltTokenStore returns the TokenStore of db, sealing with sealer.
func NewBoltTokenStore(db *BoltStore, sealer *oauth.Sealer) (*BoltTokenStore, error) {
	if db == nil || sealer == nil {
		return nil, errors.New("bridge: NewBoltTokenStore: nil store or sealer")
	}
	err := db.update(context.Background(), func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bTokens)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bridge: OAuth token bucket: %w", err)
	}
	return &BoltTokenStore{db: db, sealer: sealer}, nil
}

// Load implements oauth.TokenStore.
func (s *BoltTokenStore) Load(ctx context.Context, key string) (*oauth.Token, error) {
	if err := checkTokenKey(ctx, key); err != nil {
		return nil, err
	}
	var sealed []byte
	err := s.db.view(ctx, func(tx *bolt.Tx) error {
		if v := tx.Bucket(bTokens).Get([]byte(key)); v != nil {
			sealed = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bridge: loading the OAuth token of %q: %w", key, err)
	}
	if sealed == nil {
		return nil, fmt.Errorf("bridge: OAuth token of %q: %w", key, oauth.ErrNotFound)
	}
	tok, _, err := s.sealer.Open(key, sealed)
	if err != nil {
		return nil, fmt.Errorf("bridge: loading the OAuth token of %q: %w", key, err)
	}
	return tok, nil
}

// Save implements oauth.TokenStore.
func (s *BoltTokenStore) Save(ctx context.Context, key string, tok *oauth.Token) error {
	if err := checkTokenKey(ctx, key); err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(key, tok)
	if err != nil {
		return fmt.Errorf("bridge: saving the OAuth token of %q: %w", key, err)
	}
	err = s.db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bTokens).Put([]byte(key), sealed)
	})
	if err != nil {
		return fmt.Errorf("bridge: saving the OAuth token of %q: %w", key, err)
	}
	return nil
}

// Delete implements TokenStore.
func (s *BoltTokenStore) Delete(ctx context.Context, key string) error {
	if err := checkTokenKey(ctx, key); err != nil {
		return err
	}
	err := s.db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bTokens).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("bridge: deleting the OAuth token of %q: %w", key, err)
	}
	return nil
}

// Range implements TokenStore. fn runs after the read transaction, so it
// may use the store.
func (s *BoltTokenStore) Range(ctx context.Context, fn func(key string, tok *oauth.Token) error) error {
	var all []sealedToken
	err := s.db.view(ctx, func(tx *bolt.Tx) error {
		all = all[:0]
		return tx.Bucket(bTokens).ForEach(func(k, v []byte) error {
			all = append(all, sealedToken{string(k), append([]byte(nil), v...)})
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("bridge: reading the OAuth tokens: %w", err)
	}
	return openEach(s.sealer, all, fn)
}

// LockRefresh implements oauth.RefreshLocker with BoltStore.Lock.
func (s *BoltTokenStore) LockRefresh(ctx context.Context, key string) (func(), error) {
	if err := checkTokenKey(ctx, key); err != nil {
		return nil, err
	}
	return s.db.Lock(ctx, refreshLockKey(key))
}

// Rotate implements TokenStore, in one transaction.
func (s *BoltTokenStore) Rotate(ctx context.Context) (int, error) {
	var n int
	err := s.db.update(ctx, func(tx *bolt.Tx) error {
		n = 0 // a group commit may run fn again
		b := tx.Bucket(bTokens)
		type resealed struct{ key, sealed []byte }
		var out []resealed
		err := b.ForEach(func(k, v []byte) error {
			tok, primary, err := s.sealer.Open(string(k), v)
			if err != nil {
				return fmt.Errorf("the OAuth token of %q: %w", k, err)
			}
			if primary {
				return nil
			}
			sealed, err := s.sealer.Seal(string(k), tok)
			if err != nil {
				return err
			}
			out = append(out, resealed{append([]byte(nil), k...), sealed})
			return nil
		})
		if err != nil {
			return err
		}
		// A bucket may not be changed while ForEach walks it.
		for _, r := range out {
			if err := b.Put(r.key, r.sealed); err != nil {
				return err
			}
		}
		n = len(out)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bridge: rotating OAuth token keys: %w", err)
	}
	return n, nil
}
