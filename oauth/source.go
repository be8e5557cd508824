package oauth

import (
	"container/list"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

const (
	// expiryMargin: a token this close to expiry is not handed out, since it
	// could expire on its way to HighLevel.
	expiryMargin = 10 * time.Second
	// retryPause: after a failed refresh, while the current token still
	// works, wait this long before trying again, so an outage of the token
	// endpoint is not hit on every API call.
	retryPause = 5 * time.Second
)

// TokenSource hands out the access token of one location or company, and
// renews it. It implements oauth2.TokenSource for ghl.WithTokenSource, and
// ghl.TokenInvalidator so a 401 makes the client renew the token and repeat
// the request once. Get one from App.TokenSource.
//
// Refresh: a token is refreshed RefreshBefore ahead of its expiry (at most
// half its lifetime ahead). All TokenSources of one App for one key share one
// lock and one current token, so however many goroutines find the token
// expired, one refresh request is sent and the others get its result (its
// error too). Before refreshing, the source reloads the Store and adopts a
// token another process saved. Renewal spends the refresh token at
// /oauth/token; a location token minted from an agency token without a
// refresh token of its own is minted again (App.LocationToken).
//
// Saving: a new token is saved to the Store before it is handed out. If
// HighLevel has rotated the token and the Store then refuses the new pair,
// the old refresh token is already dead on HighLevel's side, so the source:
//
//   - keeps the new pair in memory (never drops it, never spends the dead
//     refresh token again) and logs the failure;
//   - keeps handing out the old access token while it has not expired, with
//     no error, since HighLevel still accepts it;
//   - tries the save again on every later Token call (and on Flush), and
//     hands out the new token once it is saved;
//   - once the old access token has expired (or HighLevel refused it) and
//     the save still fails, returns an error wrapping ErrTokenNotSaved and the
//     Store's error rather than a token the Store does not have.
//
// The new pair lives only in this process until a save succeeds: if the
// process ends first, the app must be installed again. Call Flush when
// shutting down to find out.
//
// A refresh that fails while the current access token still works is not an
// error: the current token is returned and the refresh retried after a short
// pause. HighLevel refusing the refresh token gives an error wrapping
// ErrReinstallRequired and the *oauth2.RetrieveError; the source then stops
// asking HighLevel until the Store holds a different token (for example after
// the app is installed again and App.Exchange saved the new token).
//
// The tokens handed out carry the granted scopes as the "scope" extra field
// (see Token.OAuth2) and never the refresh token.
type TokenSource struct {
	app *App
	ctx context.Context
	key string
}

// TokenSource returns a source for the token stored under key (a location or
// company ID). ctx is used for every store access and refresh this source
// performs, and must outlive it: use a long-lived context such as the
// server's, not a request's (the refresh a request triggers serves the
// others too).
func (a *App) TokenSource(ctx context.Context, key string) (*TokenSource, error) {
	if ctx == nil {
		return nil, errors.New("oauth: TokenSource: nil Context")
	}
	if key == "" {
		return nil, errors.New("oauth: TokenSource: empty key")
	}
	return &TokenSource{app: a, ctx: ctx, key: key}, nil
}

// Key is the location or company ID of the source.
func (s *TokenSource) Key() string { return s.key }

// Token returns a valid access token, refreshing it first when due. It
// implements oauth2.TokenSource.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	tok, err := s.app.current(s.ctx, s.key)
	if err != nil {
		return nil, err
	}
	return tok.OAuth2(), nil
}

// Current is Token with all of HighLevel's metadata (scopes, IDs, and the
// refresh token).
func (s *TokenSource) Current() (*Token, error) {
	return s.app.current(s.ctx, s.key)
}

// InvalidateToken drops accessToken if it is still the current token, so
// that the next Token call renews it. HighLevel answered 401 to it. A token
// that was already replaced is ignored, so a 401 that arrives after another
// goroutine refreshed does not cause a second refresh. It implements
// ghl.TokenInvalidator.
func (s *TokenSource) InvalidateToken(accessToken string) {
	s.app.invalidate(s.key, accessToken)
}

// Flush saves a new token that the Store refused earlier, and reports
// whether one is still unsaved (an error wrapping ErrTokenNotSaved). Call it
// before shutting down: an unsaved refresh token is lost with the process.
func (s *TokenSource) Flush(ctx context.Context) error {
	if ctx == nil {
		return errors.New("oauth: Flush: nil Context")
	}
	st := s.app.state(s.key)
	defer s.app.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	return s.app.flushLocked(ctx, s.key, st)
}

// keyState is what an App knows about one key. mu is held during a refresh,
// which makes refreshes of a key single-flight.
type keyState struct {
	mu          sync.Mutex
	tok         *Token // the current token, as saved; nil until loaded
	invalidated bool   // HighLevel refused tok's access token
	pending     *Token // a newer token the Store refused; see TokenSource

	attempts atomic.Uint64 // renewals finished, so waiters can share a failure
	lastErr  error         // the last renewal's error, nil if it worked
	lastFail time.Time

	deadRT  string // a refresh token HighLevel refused
	deadErr error

	// Guarded by App.mu.
	key   string
	users int           // calls holding it (App.state)
	elem  *list.Element // its place in App.lru
}

// state returns key's state, held by the caller until it calls release:
// a held state is not forgotten, so every caller of a key gets the same
// one, and its lock makes the key's refreshes one at a time.
func (a *App) state(key string) *keyState {
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.keys[key]
	if ok {
		a.lru.MoveToFront(st.elem)
	} else {
		st = &keyState{key: key}
		st.elem = a.lru.PushFront(st)
		a.keys[key] = st
		a.forgetLocked()
	}
	st.users++
	return st
}

// release ends a hold state gave.
func (a *App) release(st *keyState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st.users--
	a.forgetLocked()
}

// forgetLocked forgets the least recently used states beyond maxKeys that
// nobody holds and that hold no token the Store refused (dropping one
// would lose a rotated refresh token). a.mu is held; a state's lock is
// only tried, never waited for, so the order of the two locks does not
// matter.
func (a *App) forgetLocked() {
	for e := a.lru.Back(); e != nil && len(a.keys) > a.maxKeys; {
		st, prev := e.Value.(*keyState), e.Prev()
		if st.users == 0 && st.mu.TryLock() {
			unsaved := st.pending != nil
			st.mu.Unlock()
			if !unsaved {
				a.lru.Remove(e)
				delete(a.keys, st.key)
			}
		}
		e = prev
	}
}

// window is how long before tok's expiry it is refreshed.
func (a *App) window(tok *Token) time.Duration {
	w := a.skew
	if !tok.IssuedAt.IsZero() {
		if half := tok.Expiry.Sub(tok.IssuedAt) / 2; half < w {
			w = max(half, 0)
		}
	}
	return w
}

// fresh: the current token needs no refresh yet.
func (a *App) fresh(st *keyState, now time.Time) bool {
	if st.tok == nil || st.invalidated || st.tok.AccessToken == "" {
		return false
	}
	return st.tok.Expiry.IsZero() || now.Before(st.tok.Expiry.Add(-a.window(st.tok)))
}

// usable: the current token still works, though it may be due for refresh.
func (a *App) usable(st *keyState, now time.Time) bool {
	if st.tok == nil || st.invalidated || st.tok.AccessToken == "" {
		return false
	}
	return st.tok.Expiry.IsZero() || now.Before(st.tok.Expiry.Add(-min(expiryMargin, a.window(st.tok))))
}

// current returns a usable token for key; see TokenSource for the rules.
func (a *App) current(ctx context.Context, key string) (*Token, error) {
	st := a.state(key)
	defer a.release(st)
	seen := st.attempts.Load()
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := a.now()

	if st.pending != nil {
		if err := a.flushLocked(ctx, key, st); err != nil {
			if a.usable(st, now) {
				return st.tok.clone(), nil
			}
			return nil, err
		}
	}
	if st.tok == nil {
		tok, err := a.store.Load(ctx, key)
		if err != nil {
			return nil, err
		}
		if tok == nil {
			return nil, fmt.Errorf("oauth: store returned no token for %q", key)
		}
		st.tok = tok
	}
	if a.fresh(st, now) {
		return st.tok.clone(), nil
	}
	if st.attempts.Load() != seen && st.lastErr != nil {
		// The renewal this call waited for failed: share its outcome
		// instead of asking HighLevel again at once.
		if a.usable(st, now) {
			return st.tok.clone(), nil
		}
		return nil, st.lastErr
	}
	if st.lastErr != nil && a.usable(st, now) && now.Before(st.lastFail.Add(retryPause)) {
		return st.tok.clone(), nil
	}

	// Another process (or an install) may have saved a newer token. A
	// store shared by processes may lock them out of each other's
	// refreshes: then the reload happens under the lock, and whoever
	// waited finds the token the first one saved.
	unlock, locked, err := a.lockRefresh(ctx, key)
	if err != nil {
		err = fmt.Errorf("oauth: key %q: refresh lock: %w", key, err)
		a.log(slog.LevelWarn, "renewing token failed", key, err)
		if a.usable(st, now) {
			return st.tok.clone(), nil
		}
		return nil, err
	}
	defer unlock()
	stored, err := a.store.Load(ctx, key)
	if locked && err != nil {
		// Refreshing without knowing what the others saved could spend a
		// refresh token that is already spent.
		err = fmt.Errorf("oauth: key %q: reloading the token before a refresh: %w", key, err)
		a.log(slog.LevelWarn, "renewing token failed", key, err)
		if a.usable(st, now) {
			return st.tok.clone(), nil
		}
		return nil, err
	}
	if err == nil && stored != nil && !sameToken(stored, st.tok) {
		st.tok, st.invalidated = stored, false
		if a.fresh(st, now) {
			return st.tok.clone(), nil
		}
	}
	if st.deadErr != nil && st.tok.RefreshToken == st.deadRT {
		if a.usable(st, now) {
			return st.tok.clone(), nil
		}
		return nil, st.deadErr
	}

	next, err := a.renew(ctx, key, st.tok)
	if err != nil {
		st.lastErr, st.lastFail = err, now
		st.attempts.Add(1)
		if errors.Is(err, ErrReinstallRequired) && st.tok.RefreshToken != "" {
			st.deadRT, st.deadErr = st.tok.RefreshToken, err
		}
		a.log(slog.LevelWarn, "renewing token failed", key, err)
		if a.usable(st, now) {
			return st.tok.clone(), nil
		}
		return nil, err
	}
	st.lastErr = nil
	st.attempts.Add(1)
	if err := a.commitLocked(ctx, key, st, next); err != nil {
		if a.usable(st, now) {
			return st.tok.clone(), nil
		}
		return nil, err
	}
	return st.tok.clone(), nil
}

// lockRefresh takes the store's refresh lock for key when it has one
// (RefreshLocker); locked is false, and unlock does nothing, when not.
func (a *App) lockRefresh(ctx context.Context, key string) (unlock func(), locked bool, err error) {
	l, ok := a.store.(RefreshLocker)
	if !ok {
		return func() {}, false, nil
	}
	unlock, err = l.LockRefresh(ctx, key)
	if err != nil {
		return nil, false, err
	}
	return unlock, true, nil
}

// renew gets a new token for key to replace cur.
func (a *App) renew(ctx context.Context, key string, cur *Token) (*Token, error) {
	switch {
	case cur.RefreshToken != "":
		return a.refresh(ctx, key, cur)
	case cur.UserType == UserTypeLocation && cur.CompanyID != "" && cur.CompanyID != key:
		loc := cur.LocationID
		if loc == "" {
			loc = key
		}
		return a.mintLocationToken(ctx, cur.CompanyID, loc)
	}
	return nil, fmt.Errorf("oauth: token for %q expired and cannot be renewed (no refresh token): %w", key, ErrReinstallRequired)
}

// commitLocked saves next and makes it current; if the Store refuses it,
// next is kept as pending.
func (a *App) commitLocked(ctx context.Context, key string, st *keyState, next *Token) error {
	if err := a.store.Save(ctx, key, next); err != nil {
		st.pending = next
		a.log(slog.LevelError, "saving new token failed; it is kept in memory until a save works", key, err)
		return fmt.Errorf("oauth: key %q: %w: %w", key, ErrTokenNotSaved, err)
	}
	st.tok, st.pending, st.invalidated = next, nil, false
	st.deadRT, st.deadErr, st.lastErr = "", nil, nil
	return nil
}

func (a *App) flushLocked(ctx context.Context, key string, st *keyState) error {
	if st.pending == nil {
		return nil
	}
	return a.commitLocked(ctx, key, st, st.pending)
}

// install makes tok, just obtained from HighLevel, the token of key.
func (a *App) install(ctx context.Context, key string, tok *Token) error {
	st := a.state(key)
	defer a.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	return a.commitLocked(ctx, key, st, tok.clone())
}

func (a *App) invalidate(key, accessToken string) {
	if accessToken == "" {
		return
	}
	st := a.state(key)
	defer a.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.tok != nil && subtle.ConstantTimeCompare([]byte(st.tok.AccessToken), []byte(accessToken)) == 1 {
		st.invalidated = true
	}
}

func sameToken(a, b *Token) bool {
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}
