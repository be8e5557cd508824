package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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
	// Range calls fn with every stored token, in key order, until fn
	// returns an error, which Range returns. It reads every token: an
	// agency's uninstall uses it to find the location tokens obtained
	// with the agency's.
	Range(ctx context.Context, fn func(key string, tok *oauth.Token) error) error
}

// sealedToken is a stored token as read, before it is opened.
type sealedToken struct {
	key    string
	sealed []byte
}

// openEach opens every token of all with sealer and calls fn with it, in
// order, until fn returns an error (TokenStore.Range).
func openEach(sealer *oauth.Sealer, all []sealedToken, fn func(key string, tok *oauth.Token) error) error {
	for _, t := range all {
		tok, _, err := sealer.Open(t.key, t.sealed)
		if err != nil {
			return fmt.Errorf("bridge: reading the OAuth token of %q: %w", t.key, err)
		}
		if err := fn(t.key, tok); err != nil {
			return err
		}
	}
	return nil
}

// refreshLockKey is the Store.Lock key that serialises the refreshes of an
// OAuth key.
func refreshLockKey(key string) string { return "oauth-refresh/" + key }

// openOAuthStore returns where the bridge keeps its OAuth tokens: the
// TokenStore of st (PostgreSQL or bbolt), or the TokenDir files for a Store
// of another kind. It seals again with the primary key the tokens sealed
// with a previous one, and imports the location's token from TokenDir when
// st has none or an older one (an install made with examples/oauth-install).
// where names the place in messages.
func openOAuthStore(ctx context.Context, cfg Config, st Store, log *slog.Logger) (ts oauth.TokenStore, where string, err error) {
	oc := cfg.OAuth
	primary, older, err := oc.keys()
	if err != nil {
		return nil, "", err
	}
	sealer, err := oauth.NewSealer(primary, older...)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", EnvTokenKey, err)
	}
	var own TokenStore
	switch s := st.(type) {
	case *PGStore:
		own, err = NewPGTokenStore(s, sealer)
		where = "the database"
	case *BoltStore:
		own, err = NewBoltTokenStore(s, sealer)
		where = "the state file"
	default:
		if oc.TokenDir == "" {
			return nil, "", fmt.Errorf("the Store given with WithStore cannot keep OAuth tokens: set %s", EnvTokenDir)
		}
		fs, err := oauth.NewFileStore(oc.TokenDir, primary, older...)
		if err != nil {
			return nil, "", err
		}
		if len(older) > 0 {
			n, err := fs.Rotate(ctx)
			logRotation(log, n, err)
		}
		return fs, oc.TokenDir, nil
	}
	if err != nil {
		return nil, "", err
	}
	if len(older) > 0 {
		n, err := own.Rotate(ctx)
		logRotation(log, n, err)
	}
	if oc.TokenDir != "" {
		if err := importToken(ctx, own, oc.TokenDir, cfg.LocationID, primary, older, log); err != nil {
			return nil, "", err
		}
	}
	return own, where, nil
}

func logRotation(log *slog.Logger, n int, err error) {
	if err != nil {
		log.Warn("sealing OAuth tokens again with the current key failed; keep the previous keys configured", "error", err)
		return
	}
	log.Info("OAuth tokens sealed again with the current key", "tokens", n)
}

// importToken copies the token of key from the FileStore in dir into ts
// when ts has none, or one issued earlier (the app was installed again).
// It holds the refresh lock, so that no replica refreshes meanwhile and
// none imports a token another has already refreshed.
func importToken(ctx context.Context, ts TokenStore, dir, key string, primary oauth.EncryptionKey, older []oauth.EncryptionKey, log *slog.Logger) error {
	fs, err := oauth.NewFileStore(dir, primary, older...)
	if err != nil {
		return err
	}
	file, err := fs.Load(ctx, key)
	if errors.Is(err, oauth.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", EnvTokenDir, err)
	}
	unlock, err := ts.LockRefresh(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := ts.Load(ctx, key)
	switch {
	case errors.Is(err, oauth.ErrNotFound):
	case err != nil:
		return err
	case !file.IssuedAt.After(cur.IssuedAt):
		return nil // already imported, and perhaps refreshed since
	}
	if err := ts.Save(ctx, key, file); err != nil {
		return err
	}
	log.Info("OAuth token imported from "+EnvTokenDir, "location_id", key)
	return nil
}
