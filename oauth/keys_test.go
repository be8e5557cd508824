package oauth_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/oauth"
)

// saveKeys stores a valid token for each of n keys k0, k1, ….
func saveKeys(t *testing.T, e *env, n int) {
	t.Helper()
	for i := range n {
		tok := &oauth.Token{AccessToken: fmt.Sprint("at-k", i), RefreshToken: fmt.Sprint("rt-k", i), Expiry: e.clock.Now().Add(time.Hour)}
		if err := e.store.Save(context.Background(), fmt.Sprint("k", i), tok); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppForgetsIdleKeys: the App keeps at most MaxKeys keys' states in
// memory, the least recently used forgotten, and a forgotten key's token
// is read from the Store again. Fails if the states grow with every key
// ever used.
func TestAppForgetsIdleKeys(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *oauth.Config) { c.MaxKeys = 3 })
	saveKeys(t, e, 10)
	for i := range 10 {
		if got := mustToken(t, e.source(t, fmt.Sprint("k", i))); got.AccessToken != fmt.Sprint("at-k", i) {
			t.Fatalf("k%d: %q", i, got.AccessToken)
		}
		if n := oauth.KeyStates(e.app); n > 3 {
			t.Fatalf("after k%d: %d states in memory; want at most 3", i, n)
		}
	}
	loads := e.store.loads.Load()
	mustToken(t, e.source(t, "k9")) // recent: in memory
	if e.store.loads.Load() != loads {
		t.Error("a recently used key was read from the Store again")
	}
	if got := mustToken(t, e.source(t, "k0")); got.AccessToken != "at-k0" || e.store.loads.Load() != loads+1 {
		t.Errorf("a forgotten key = %q after %d loads; want at-k0 from the Store", got.AccessToken, e.store.loads.Load()-loads)
	}
	if _, err := oauth.NewApp(oauth.Config{ClientID: "id", ClientSecret: "s", Store: oauth.NewMemoryStore(), MaxKeys: -1}); err == nil {
		t.Error("NewApp took a negative MaxKeys")
	}
}

// TestAppKeepsUnsavedTokenBeyondMaxKeys: a key holding a rotated token the
// Store refused is not forgotten, however many other keys are used: the
// Store still has the spent refresh token. Fails if it is forgotten (the
// App would refresh with the dead token, or lose the new one).
func TestAppKeepsUnsavedTokenBeyondMaxKeys(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *oauth.Config) { c.MaxKeys = 2 })
	e.install(t)
	ts := e.source(t, "loc-1")
	e.clock.Add(86399*time.Second - time.Minute) // in the window, 1 min left
	saveKeys(t, e, 10)
	e.store.failSave.Store(true)
	if got := mustToken(t, ts); got.AccessToken != "at-1" {
		t.Fatalf("save failed: got %q, want the old at-1", got.AccessToken)
	}
	e.store.failSave.Store(false)
	for i := range 10 {
		mustToken(t, e.source(t, fmt.Sprint("k", i)))
	}
	if n := oauth.KeyStates(e.app); n != 2 {
		t.Errorf("%d states in memory; want 2 (MaxKeys)", n)
	}
	e.clock.Add(2 * time.Minute) // at-1 expired: the kept pair is saved and used
	if got := mustToken(t, ts); got.AccessToken != "at-2" {
		t.Fatalf("after the others: %q, want the kept at-2", got.AccessToken)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Errorf("%d token calls, want 2 (exchange + one refresh)", n)
	}
}

// TestSingleFlightWhileForgetting: 100 callers of an expired key, while
// others use more keys than MaxKeys, still make one refresh: a key in use
// is not forgotten, so they all share its state.
func TestSingleFlightWhileForgetting(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *oauth.Config) { c.MaxKeys = 1 })
	e.install(t)
	e.clock.Add(25 * time.Hour) // loc-1 expired
	saveKeys(t, e, 20)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 100 {
		wg.Go(func() {
			ts, _ := e.app.TokenSource(context.Background(), "loc-1")
			if tok, err := ts.Token(); err != nil || tok.AccessToken != "at-2" {
				errs <- fmt.Errorf("loc-1 caller %d: %v, %v", i, tok, err)
			}
		})
		wg.Go(func() {
			ts, _ := e.app.TokenSource(context.Background(), fmt.Sprint("k", i%20))
			if _, err := ts.Token(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := e.srv.tokenCalls.Load(); c != 2 {
		t.Fatalf("%d token calls, want 2 (exchange + one refresh)", c)
	}
}
