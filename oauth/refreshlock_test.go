package oauth_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/oauth"
)

// lockingStore is a store shared by "processes" (Apps) that implements
// RefreshLocker, as a database store does.
type lockingStore struct {
	oauth.TokenStore
	mu       sync.Mutex
	locks    atomic.Int64
	failLock error
	failLoad atomic.Bool
}

func (s *lockingStore) LockRefresh(ctx context.Context, key string) (func(), error) {
	if s.failLock != nil {
		return nil, s.failLock
	}
	s.locks.Add(1)
	s.mu.Lock()
	return sync.OnceFunc(s.mu.Unlock), nil
}

func (s *lockingStore) Load(ctx context.Context, key string) (*oauth.Token, error) {
	if s.failLoad.Load() {
		return nil, errDiskFull
	}
	return s.TokenStore.Load(ctx, key)
}

// TestGHLTestRefreshLockAcrossApps: three Apps (three processes) whose
// token expired together, one store that is a RefreshLocker: one refresh,
// and all adopt its token.
func TestGHLTestRefreshLockAcrossApps(t *testing.T) {
	t.Parallel()
	store := &lockingStore{TokenStore: oauth.NewMemoryStore()}
	e := newGHLEnv(t, store)
	e.installLocation(t, readWrite...)
	var sources []*oauth.TokenSource
	for range 3 {
		ts := e.source(t, e.newApp(t, store), "loc-1")
		if _, err := ts.Token(); err != nil { // each process holds the token
			t.Fatal(err)
		}
		sources = append(sources, ts)
	}
	e.clock.Add(25 * time.Hour)

	const n = 60
	got, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			tok, err := sources[i%3].Token()
			errs[i] = err
			if err == nil {
				got[i] = tok.AccessToken
			}
		})
	}
	close(start)
	wg.Wait()
	stored, err := store.Load(context.Background(), "loc-1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil || got[i] != stored.AccessToken {
			t.Fatalf("caller %d: %q, %v; want the stored new token", i, got[i], errs[i])
		}
	}
	if c := e.srv.TokenRequests(); c != 2 {
		t.Errorf("%d token requests, want 2 (the exchange and one refresh)", c)
	}
	if l := store.locks.Load(); l != 3 {
		t.Errorf("%d refresh locks taken, want 3 (one per App)", l)
	}
}

// TestGHLTestRefreshLockFailures: without the lock, or without reading the
// store under it, an App does not refresh (it could spend a refresh token
// another process already spent); a still-valid token keeps being served.
func TestGHLTestRefreshLockFailures(t *testing.T) {
	t.Parallel()
	errLock := errors.New("database down")
	for _, tc := range []struct {
		name  string
		store *lockingStore
		want  error
	}{
		{"lock fails", &lockingStore{TokenStore: oauth.NewMemoryStore(), failLock: errLock}, errLock},
		{"reload fails", &lockingStore{TokenStore: oauth.NewMemoryStore()}, errDiskFull},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newGHLEnv(t, tc.store)
			e.installLocation(t, readWrite...)
			ts := e.source(t, e.newApp(t, tc.store), "loc-1")
			if _, err := ts.Token(); err != nil {
				t.Fatal(err)
			}
			tc.store.failLoad.Store(tc.want == errDiskFull)
			// Due for refresh but still valid: served, nothing sent.
			e.clock.Add(24*time.Hour - 5*time.Minute)
			if _, err := ts.Token(); err != nil {
				t.Fatalf("valid token not served: %v", err)
			}
			e.clock.Add(10 * time.Minute) // expired
			if _, err := ts.Token(); !errors.Is(err, tc.want) {
				t.Fatalf("Token = %v, want %v", err, tc.want)
			}
			if c := e.srv.TokenRequests(); c != 1 {
				t.Errorf("%d token requests, want 1 (the exchange only)", c)
			}
		})
	}
}
