package oauth

import (
	"context"
	"fmt"
)

// Remove deletes the token of key from the Store and forgets what the App
// holds for it in memory, as an uninstall needs: afterwards TokenSource's
// callers get ErrNotFound until a new install saves a token. A refresh of
// key under way finishes first, so that it cannot save the token again.
// The Store must have a Delete(ctx, key) error method, as MemoryStore,
// FileStore and the bridge's stores do; deleting an absent key is not an
// error.
func (a *App) Remove(ctx context.Context, key string) error {
	d, ok := a.store.(interface {
		Delete(ctx context.Context, key string) error
	})
	if !ok {
		return fmt.Errorf("oauth: Remove: a %T cannot delete tokens", a.store)
	}
	st := a.state(key)
	defer a.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := d.Delete(ctx, key); err != nil {
		return fmt.Errorf("oauth: removing the token of %q: %w", key, err)
	}
	st.tok, st.pending, st.invalidated = nil, nil, false
	st.lastErr, st.deadRT, st.deadErr = nil, "", nil
	return nil
}
