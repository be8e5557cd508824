package bridge

import (
	"context"

	"github.com/ghlkit/ghl/oauth"
)

// TokenStore is an oauth.TokenStore kept in the bridge's own store, keyed by
// location (or company) ID, with every token sealed by an oauth.Sealer:
// PGTokenStore in PostgreSQL, BoltTokenStore in the bbolt file. Both are
// oauth.RefreshLockers, so an App refreshes a key in one place at a time:
// across every replica on PostgreSQL, across the Apps of the process on
// bbolt (only one process opens the file).
type TokenStore interface {
	oauth.TokenStore
	oauth.RefreshLocker
	// Delete removes the token of key (an uninstall); deleting a missing
	// key is not an error.
	Delete(ctx context.Context, key string) error
	// Rotate seals again with the Sealer's primary key every token sealed
	// with an older key, and returns how many it rewrote. Afterwards the
	// older keys can be dropped from the configuration.
	Rotate(ctx context.Context) (int, error)
}

// refreshLockKey is the Store.Lock key that serialises the refreshes of an
// OAuth key.
func refreshLockKey(key string) string { return "oauth-refresh/" + key }
