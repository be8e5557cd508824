package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/oauth"
)

// Keys of the token store tests: never use fixed keys in production.
var (
	tokenKey1 = oauth.EncryptionKey{ID: 1, Key: bytes.Repeat([]byte{1}, 32)}
	tokenKey2 = oauth.EncryptionKey{ID: 2, Key: bytes.Repeat([]byte{2}, 32)}
)

func newSealer(t testing.TB, primary oauth.EncryptionKey, older ...oauth.EncryptionKey) *oauth.Sealer {
	t.Helper()
	s, err := oauth.NewSealer(primary, older...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokenBackend is one kind of token store under test: the same storage
// opened with different keys, and its raw bytes at rest.
type tokenBackend struct {
	open   func(t *testing.T, sealer *oauth.Sealer) TokenStore
	raw    func(t *testing.T, key string) []byte // nil when absent
	setRaw func(t *testing.T, key string, sealed []byte)
}

func boltTokenBackend(t *testing.T) tokenBackend {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"), nil)
	return tokenBackend{
		open: func(t *testing.T, sealer *oauth.Sealer) TokenStore {
			s, err := NewBoltTokenStore(db, sealer)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		raw: func(t *testing.T, key string) []byte {
			var out []byte
			if err := db.db.View(func(tx *bolt.Tx) error {
				if v := tx.Bucket(bTokens).Get([]byte(key)); v != nil {
					out = bytes.Clone(v)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return out
		},
		setRaw: func(t *testing.T, key string, sealed []byte) {
			if err := db.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bTokens).Put([]byte(key), sealed) }); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func pgTokenBackend(t *testing.T) tokenBackend {
	dbURL := newTestSchema(t)
	first := openPGStoreT(t, dbURL, nil) // migrates the schema
	ctx := context.Background()
	return tokenBackend{
		// Each store is a PGStore of its own, as another replica's.
		open: func(t *testing.T, sealer *oauth.Sealer) TokenStore {
			s, err := NewPGTokenStore(openPGStoreT(t, dbURL, nil), sealer)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		raw: func(t *testing.T, key string) []byte {
			var out []byte
			err := first.pool.QueryRow(ctx, `SELECT sealed FROM bridge_oauth_tokens WHERE key = $1`, key).Scan(&out)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		setRaw: func(t *testing.T, key string, sealed []byte) {
			if _, err := first.pool.Exec(ctx, `INSERT INTO bridge_oauth_tokens (key, sealed) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed`, key, sealed); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func TestBoltTokenStore(t *testing.T) {
	t.Parallel()
	runTokenStoreSuite(t, boltTokenBackend)
}

func TestPGTokenStore(t *testing.T) {
	t.Parallel()
	newTestSchema(t) // skips without a database
	runTokenStoreSuite(t, pgTokenBackend)
}

// runTokenStoreSuite is the conformance suite of the token stores.
func runTokenStoreSuite(t *testing.T, backend func(t *testing.T) tokenBackend) {
	ctx := context.Background()
	full := &oauth.Token{
		AccessToken: "access-SECRET-1", RefreshToken: "refresh-SECRET-1", TokenType: "Bearer",
		Expiry:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		IssuedAt: time.Date(2026, 1, 1, 3, 4, 5, 0, time.UTC),
		Scopes:   []string{"contacts.readonly", "contacts.write"}, UserType: oauth.UserTypeLocation,
		LocationID: "loc-1", CompanyID: "co-1", UserID: "user-1", PlanID: "plan-1",
		ApprovedLocations: []string{"loc-1", "loc-2"}, IsBulkInstallation: true, AppID: "app-1", VersionID: "v-1",
	}
	same := func(a, b *oauth.Token) bool {
		return fmt.Sprintf("%+v", *a) == fmt.Sprintf("%+v", *b)
	}

	t.Run("SaveLoadDelete", func(t *testing.T) {
		t.Parallel()
		b := backend(t)
		s := b.open(t, newSealer(t, tokenKey1))
		if _, err := s.Load(ctx, "loc-1"); !errors.Is(err, oauth.ErrNotFound) {
			t.Fatalf("Load of a missing key = %v, want ErrNotFound", err)
		}
		if err := s.Save(ctx, "loc-1", full); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "loc-1")
		if err != nil || !same(got, full) {
			t.Fatalf("Load = %+v, %v; want %+v", got, err, full)
		}
		// Another store on the same storage (another replica, a restart).
		got, err = b.open(t, newSealer(t, tokenKey1)).Load(ctx, "loc-1")
		if err != nil || !same(got, full) {
			t.Fatalf("Load from a second store = %+v, %v", got, err)
		}
		// Save replaces; keys are independent.
		next := &oauth.Token{AccessToken: "access-2", RefreshToken: "refresh-2", LocationID: "loc-1"}
		other := &oauth.Token{AccessToken: "access-other", RefreshToken: "refresh-other", LocationID: "loc-2"}
		if err := s.Save(ctx, "loc-1", next); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, "loc-2", other); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Load(ctx, "loc-1"); err != nil || !same(got, next) {
			t.Fatalf("after a second Save: %+v, %v", got, err)
		}
		if err := s.Delete(ctx, "loc-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, "loc-1"); !errors.Is(err, oauth.ErrNotFound) {
			t.Fatalf("Load after Delete = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "loc-1"); err != nil {
			t.Fatalf("deleting a missing key: %v", err)
		}
		if got, err := s.Load(ctx, "loc-2"); err != nil || !same(got, other) {
			t.Fatalf("the other key after a Delete: %+v, %v", got, err)
		}
		// Bad arguments are refused before any I/O.
		if err := s.Save(ctx, "", next); err == nil {
			t.Error("Save with an empty key worked")
		}
		if err := s.Save(ctx, "loc-3", nil); err == nil {
			t.Error("Save of a nil token worked")
		}
		if _, err := s.Load(ctx, ""); err == nil {
			t.Error("Load with an empty key worked")
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Save(cancelled, "loc-3", next); !errors.Is(err, context.Canceled) {
			t.Errorf("Save with a cancelled context = %v", err)
		}
	})

	t.Run("Range", func(t *testing.T) {
		t.Parallel()
		s := backend(t).open(t, newSealer(t, tokenKey1))
		var got []string
		collect := func(key string, tok *oauth.Token) error {
			got = append(got, key+"="+tok.AccessToken)
			return nil
		}
		if err := s.Range(ctx, collect); err != nil || len(got) != 0 {
			t.Fatalf("Range of an empty store: %q, %v", got, err)
		}
		for _, k := range []string{"loc-b", "co-1", "loc-a"} {
			if err := s.Save(ctx, k, &oauth.Token{AccessToken: "access-" + k}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Range(ctx, collect); err != nil || !slices.Equal(got, []string{"co-1=access-co-1", "loc-a=access-loc-a", "loc-b=access-loc-b"}) {
			t.Fatalf("Range = %q, %v; want every token, in key order", got, err)
		}
		// fn may use the store, and its error stops the walk.
		stop := errors.New("stop")
		n := 0
		err := s.Range(ctx, func(key string, _ *oauth.Token) error {
			n++
			if err := s.Delete(ctx, key); err != nil {
				return err
			}
			return stop
		})
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("Range stopped by fn: %v after %d", err, n)
		}
		if _, err := s.Load(ctx, "co-1"); !errors.Is(err, oauth.ErrNotFound) {
			t.Fatalf("the token fn deleted: %v", err)
		}
	})

	t.Run("NoPlaintextAtRest", func(t *testing.T) {
		t.Parallel()
		b := backend(t)
		s := b.open(t, newSealer(t, tokenKey1))
		if err := s.Save(ctx, "loc-1", full); err != nil {
			t.Fatal(err)
		}
		raw := b.raw(t, "loc-1")
		if len(raw) == 0 {
			t.Fatal("nothing stored under the key")
		}
		for _, secret := range []string{full.AccessToken, full.RefreshToken, "SECRET", "access_token", "user-1"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("stored bytes contain %q in plain text", secret)
			}
		}
		// Sealed by the key with ID 1, in the Sealer's format.
		if !bytes.HasPrefix(raw, []byte("GHLT\x01\x01")) {
			t.Errorf("stored bytes start %q, want the sealed header of key 1", raw[:min(6, len(raw))])
		}
		// Two saves of one token differ (a fresh nonce each time).
		if err := s.Save(ctx, "loc-1", full); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(raw, b.raw(t, "loc-1")) {
			t.Error("saving the same token twice stored the same bytes: nonce reused")
		}
	})

	t.Run("Tampering", func(t *testing.T) {
		t.Parallel()
		b := backend(t)
		s := b.open(t, newSealer(t, tokenKey1))
		if err := s.Save(ctx, "loc-1", full); err != nil {
			t.Fatal(err)
		}
		raw := b.raw(t, "loc-1")
		// A sealed token copied under another location does not open there.
		b.setRaw(t, "loc-2", raw)
		if _, err := s.Load(ctx, "loc-2"); !errors.Is(err, oauth.ErrDecrypt) {
			t.Errorf("token moved to another key: %v, want ErrDecrypt", err)
		}
		// One flipped bit is refused.
		bad := bytes.Clone(raw)
		bad[len(bad)-1] ^= 1
		b.setRaw(t, "loc-3", bad)
		if _, err := s.Load(ctx, "loc-3"); !errors.Is(err, oauth.ErrDecrypt) {
			t.Errorf("altered token: %v, want ErrDecrypt", err)
		}
		// Another key cannot open it.
		if _, err := b.open(t, newSealer(t, oauth.EncryptionKey{ID: 1, Key: bytes.Repeat([]byte{9}, 32)})).Load(ctx, "loc-1"); !errors.Is(err, oauth.ErrDecrypt) {
			t.Errorf("opened with a wrong key: %v, want ErrDecrypt", err)
		}
	})

	t.Run("KeyRotation", func(t *testing.T) {
		t.Parallel()
		b := backend(t)
		old := b.open(t, newSealer(t, tokenKey1))
		keys := []string{"loc-1", "loc-2", "loc-3"}
		for _, k := range keys {
			if err := old.Save(ctx, k, &oauth.Token{AccessToken: "access-" + k, RefreshToken: "refresh-" + k}); err != nil {
				t.Fatal(err)
			}
		}
		// Key 2 is primary, key 1 still opens: everything loads.
		rotating := b.open(t, newSealer(t, tokenKey2, tokenKey1))
		for _, k := range keys {
			if got, err := rotating.Load(ctx, k); err != nil || got.RefreshToken != "refresh-"+k {
				t.Fatalf("Load(%s) during the rotation = %+v, %v", k, got, err)
			}
		}
		// A token saved now is under key 2 already; Rotate re-seals the rest.
		if err := rotating.Save(ctx, "loc-1", &oauth.Token{AccessToken: "access-new", RefreshToken: "refresh-new"}); err != nil {
			t.Fatal(err)
		}
		if n, err := rotating.Rotate(ctx); err != nil || n != 2 {
			t.Fatalf("Rotate = %d, %v; want 2", n, err)
		}
		if n, err := rotating.Rotate(ctx); err != nil || n != 0 {
			t.Fatalf("second Rotate = %d, %v; want 0", n, err)
		}
		for _, k := range keys {
			if raw := b.raw(t, k); !bytes.HasPrefix(raw, []byte("GHLT\x01\x02")) {
				t.Errorf("%s after Rotate starts %q, want key 2's header", k, raw[:6])
			}
		}
		// Key 1 retired: key 2 alone opens everything, key 1 alone nothing.
		newOnly := b.open(t, newSealer(t, tokenKey2))
		for _, k := range keys {
			want := "refresh-" + k
			if k == "loc-1" {
				want = "refresh-new"
			}
			if got, err := newOnly.Load(ctx, k); err != nil || got.RefreshToken != want {
				t.Errorf("Load(%s) with key 2 only = %+v, %v", k, got, err)
			}
		}
		if _, err := old.Load(ctx, "loc-2"); !errors.Is(err, oauth.ErrDecrypt) {
			t.Errorf("Load with the retired key only = %v, want ErrDecrypt", err)
		}
		// A token no key opens stops the rotation with ErrDecrypt.
		b.setRaw(t, "loc-4", []byte("GHLT\x01\x07 not a token"))
		if _, err := newOnly.Rotate(ctx); !errors.Is(err, oauth.ErrDecrypt) {
			t.Errorf("Rotate over an unknown key = %v, want ErrDecrypt", err)
		}
	})

	t.Run("RefreshLock", func(t *testing.T) {
		t.Parallel()
		b := backend(t)
		s1, s2 := b.open(t, newSealer(t, tokenKey1)), b.open(t, newSealer(t, tokenKey1))
		unlock, err := s1.LockRefresh(ctx, "loc-1")
		if err != nil {
			t.Fatal(err)
		}
		// Another key is free; the same key waits until ctx ends.
		u2, err := s2.LockRefresh(ctx, "loc-2")
		if err != nil {
			t.Fatal(err)
		}
		u2()
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := s2.LockRefresh(short, "loc-1"); err == nil {
			t.Fatal("the same key was locked twice")
		}
		unlock()
		unlock() // twice is harmless
		u3, err := s2.LockRefresh(ctx, "loc-1")
		if err != nil {
			t.Fatalf("after unlock: %v", err)
		}
		u3()
	})
}

// refreshRace: replicas Apps, each on a token store of its own over one
// storage, and callers goroutines whose token has just expired. Exactly one
// refresh reaches ghltest, whose refresh tokens are single-use and rotate,
// and every caller gets the new token.
func refreshRace(t *testing.T, stores []TokenStore, callers int) {
	t.Helper()
	ctx := context.Background()
	clock := struct {
		sync.Mutex
		t time.Time
	}{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.t }
	hl := ghltest.NewServer(ghltest.WithClock(now))
	t.Cleanup(hl.Close)
	hl.AddOAuthClient("app-id", "app-secret")

	apps := make([]*oauth.App, len(stores))
	for i, s := range stores {
		app, err := oauth.NewApp(oauth.Config{ClientID: "app-id", ClientSecret: "app-secret", BaseURL: hl.URL, Store: s, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		apps[i] = app
	}
	code := hl.Authorize(ghltest.Install{ClientID: "app-id", LocationID: testLocation, CompanyID: "co-1",
		Scopes: []string{ghltest.ScopeContactsReadOnly}})
	first, err := apps[0].Exchange(ctx, code, oauth.UserTypeLocation)
	if err != nil {
		t.Fatal(err)
	}
	sources := make([]*oauth.TokenSource, len(apps))
	for i, app := range apps {
		if sources[i], err = app.TokenSource(ctx, testLocation); err != nil {
			t.Fatal(err)
		}
		// Every replica has read the token, so each would refresh it.
		if tok, err := sources[i].Current(); err != nil || tok.AccessToken != first.AccessToken {
			t.Fatalf("replica %d before expiry: %v", i, err)
		}
	}
	before := hl.TokenRequests()

	clock.Lock()
	clock.t = first.Expiry.Add(time.Second)
	clock.Unlock()
	got := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Go(func() {
			<-start
			tok, err := sources[i%len(sources)].Token()
			if err == nil {
				got[i] = tok.AccessToken
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()

	if n := hl.TokenRequests() - before; n != 1 {
		t.Errorf("%d token requests reached HighLevel, want exactly 1", n)
	}
	stored, err := stores[0].Load(ctx, testLocation)
	if err != nil {
		t.Fatal(err)
	}
	if stored.AccessToken == first.AccessToken || stored.RefreshToken == first.RefreshToken {
		t.Fatal("the stored token was not refreshed")
	}
	for i := range callers {
		if errs[i] != nil || got[i] != stored.AccessToken {
			t.Fatalf("caller %d got %q, %v; want the new token", i, got[i], errs[i])
		}
	}
	// The new refresh token is the live one: the location is not locked out.
	clock.Lock()
	clock.t = stored.Expiry.Add(time.Second)
	clock.Unlock()
	tok, err := sources[len(sources)-1].Current()
	if err != nil || tok.AccessToken == stored.AccessToken {
		t.Fatalf("next refresh: %v", err)
	}
	if n := hl.TokenRequests() - before; n != 2 {
		t.Errorf("%d token requests after the second refresh, want 2", n)
	}
}

// TestPGTokenStoreRefreshOnceAcrossReplicas: three replicas (three Apps on
// three PGStores over one database), one hundred callers.
func TestPGTokenStoreRefreshOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	newTestSchema(t) // skips without a database
	b := pgTokenBackend(t)
	var stores []TokenStore
	for range 3 {
		stores = append(stores, b.open(t, newSealer(t, tokenKey1)))
	}
	refreshRace(t, stores, 100)
}

// TestBoltTokenStoreRefreshOnce: the bbolt file belongs to one process;
// three Apps in it share its token store.
func TestBoltTokenStoreRefreshOnce(t *testing.T) {
	t.Parallel()
	b := boltTokenBackend(t)
	s := b.open(t, newSealer(t, tokenKey1))
	refreshRace(t, slices.Repeat([]TokenStore{s}, 3), 100)
}
