package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ghlkit/ghl/oauth"
)

// PGTokenStore is a TokenStore in the PostgreSQL database of a PGStore
// (table bridge_oauth_tokens), shared by every replica. Its refresh lock is
// PGStore.Lock, a session advisory lock per key: of the replicas whose
// token expired together, one refreshes and the others load what it saved.
type PGTokenStore struct {
	db     *PGStore
	sealer *oauth.Sealer
}

var _ TokenStore = (*PGTokenStore)(nil)

// NewPGTokenStore returns the TokenStore of db, sealing with sealer.
func NewPGTokenStore(db *PGStore, sealer *oauth.Sealer) (*PGTokenStore, error) {
	if db == nil || sealer == nil {
		return nil, errors.New("bridge: NewPGTokenStore: nil store or sealer")
	}
	return &PGTokenStore{db: db, sealer: sealer}, nil
}

// Load implements oauth.TokenStore.
func (s *PGTokenStore) Load(ctx context.Context, key string) (*oauth.Token, error) {
	if err := checkTokenKey(ctx, key); err != nil {
		return nil, err
	}
	var sealed []byte
	err := s.db.pool.QueryRow(ctx, `SELECT sealed FROM bridge_oauth_tokens WHERE key = $1`, key).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("bridge: OAuth token of %q: %w", key, oauth.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("bridge: loading the OAuth token of %q: %w", key, err)
	}
	tok, _, err := s.sealer.Open(key, sealed)
	if err != nil {
		return nil, fmt.Errorf("bridge: loading the OAuth token of %q: %w", key, err)
	}
	return tok, nil
}

// Save implements oauth.TokenStore.
func (s *PGTokenStore) Save(ctx context.Context, key string, tok *oauth.Token) error {
	if err := checkTokenKey(ctx, key); err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(key, tok)
	if err != nil {
		return fmt.Errorf("bridge: saving the OAuth token of %q: %w", key, err)
	}
	_, err = s.db.pool.Exec(ctx, `INSERT INTO bridge_oauth_tokens (key, sealed) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed, updated_at = now()`, key, sealed)
	if err != nil {
		return fmt.Errorf("bridge: saving the OAuth token of %q: %w", key, err)
	}
	return nil
}

// Delete implements TokenStore.
func (s *PGTokenStore) Delete(ctx context.Context, key string) error {
	if err := checkTokenKey(ctx, key); err != nil {
		return err
	}
	if _, err := s.db.pool.Exec(ctx, `DELETE FROM bridge_oauth_tokens WHERE key = $1`, key); err != nil {
		return fmt.Errorf("bridge: deleting the OAuth token of %q: %w", key, err)
	}
	return nil
}

// Range implements TokenStore.
func (s *PGTokenStore) Range(ctx context.Context, fn func(key string, tok *oauth.Token) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, _ := s.db.pool.Query(ctx, `SELECT key, sealed FROM bridge_oauth_tokens ORDER BY key COLLATE "C"`)
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedToken, error) {
		var t sealedToken
		return t, r.Scan(&t.key, &t.sealed)
	})
	if err != nil {
		return fmt.Errorf("bridge: reading the OAuth tokens: %w", err)
	}
	return openEach(s.sealer, all, fn)
}

// LockRefresh implements oauth.RefreshLocker with PGStore.Lock.
func (s *PGTokenStore) LockRefresh(ctx context.Context, key string) (func(), error) {
	if err := checkTokenKey(ctx, key); err != nil {
		return nil, err
	}
	return s.db.Lock(ctx, refreshLockKey(key))
}

// Rotate implements TokenStore. A row is rewritten only if it still holds
// what was read, so a token another replica saved meanwhile (already under
// the primary key) is never overwritten with an older one.
func (s *PGTokenStore) Rotate(ctx context.Context) (int, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT key, sealed FROM bridge_oauth_tokens ORDER BY key`)
	if err != nil {
		return 0, fmt.Errorf("bridge: rotating OAuth token keys: %w", err)
	}
	type row struct {
		key    string
		sealed []byte
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.key, &x.sealed)
	})
	if err != nil {
		return 0, fmt.Errorf("bridge: rotating OAuth token keys: %w", err)
	}
	n := 0
	for _, r := range all {
		tok, primary, err := s.sealer.Open(r.key, r.sealed)
		if err != nil {
			return n, fmt.Errorf("bridge: rotating the OAuth token of %q: %w", r.key, err)
		}
		if primary {
			continue
		}
		sealed, err := s.sealer.Seal(r.key, tok)
		if err != nil {
			return n, fmt.Errorf("bridge: rotating the OAuth token of %q: %w", r.key, err)
		}
		tag, err := s.db.pool.Exec(ctx, `UPDATE bridge_oauth_tokens SET sealed = $3, updated_at = now()
			WHERE key = $1 AND sealed = $2`, r.key, r.sealed, sealed)
		if err != nil {
			return n, fmt.Errorf("bridge: rotating the OAuth token of %q: %w", r.key, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

func checkTokenKey(ctx context.Context, key string) error {
	if ctx == nil {
		return errors.New("bridge: nil Context")
	}
	if key == "" {
		return errors.New("bridge: empty OAuth token key")
	}
	return ctx.Err()
}
