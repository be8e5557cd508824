package oauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// TokenStore keeps tokens by key: the location ID for location tokens, the
// company ID for agency tokens (Token.Key). The App saves every token it
// obtains before it hands the token out, because HighLevel's refresh tokens
// are single-use: a refresh token that is not saved is lost.
//
// Implementations must be safe for concurrent use. A store shared by several
// processes should make Save atomic and implement RefreshLocker; the
// TokenSource reloads the store before it refreshes, so a process adopts a
// token another one saved.
type TokenStore interface {
	// Load returns the token saved under key, or an error wrapping
	// ErrNotFound if there is none.
	Load(ctx context.Context, key string) (*Token, error)
	// Save stores tok under key, replacing any earlier token. When Save
	// returns nil the token must survive a restart.
	Save(ctx context.Context, key string, tok *Token) error
}

// RefreshLocker is implemented by a TokenStore that several processes
// share and that can keep them from refreshing the same key at once.
// HighLevel's refresh tokens are single-use: two processes spending one
// refresh token together leave one of them with a refused token, and the
// loser may save its failure over the winner's token. When the Store is a
// RefreshLocker, the App holds LockRefresh(key) around every refresh of key,
// reloads the stored token under it, and refreshes only if that token is
// still due; a process that waited adopts the token the first one saved.
//
// LockRefresh waits until the lock is free or ctx is done. unlock must be
// called once the new token is saved; it must be safe to call more than
// once.
type RefreshLocker interface {
	LockRefresh(ctx context.Context, key string) (unlock func(), err error)
}

// MemoryStore is a TokenStore in memory, for tests and short-lived
// programs: its tokens, refresh tokens included, are gone when the process
// ends, and then the app must be installed again. Use a FileStore or your own
// database-backed store in production. The zero value is ready to use.
type MemoryStore struct {
	mu     sync.Mutex
	tokens map[string]*Token
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load returns a copy of the token saved under key.
func (m *MemoryStore) Load(ctx context.Context, key string) (*Token, error) {
	if err := checkStoreArgs(ctx, key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tok, ok := m.tokens[key]
	if !ok {
		return nil, fmt.Errorf("oauth: key %q: %w", key, ErrNotFound)
	}
	return tok.clone(), nil
}

// Save stores a copy of tok under key.
func (m *MemoryStore) Save(ctx context.Context, key string, tok *Token) error {
	if err := checkStoreArgs(ctx, key); err != nil {
		return err
	}
	if tok == nil {
		return errors.New("oauth: MemoryStore.Save: nil token")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens == nil {
		m.tokens = make(map[string]*Token)
	}
	m.tokens[key] = tok.clone()
	return nil
}

// Delete removes the token under key (after an uninstall, say). Deleting a
// missing key is not an error.
func (m *MemoryStore) Delete(ctx context.Context, key string) error {
	if err := checkStoreArgs(ctx, key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tokens, key)
	return nil
}

func checkStoreArgs(ctx context.Context, key string) error {
	if ctx == nil {
		return errors.New("oauth: nil Context")
	}
	if key == "" {
		return errors.New("oauth: empty token key")
	}
	return ctx.Err()
}
