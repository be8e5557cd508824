package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/oauth"
)

// oauthEnv is a bridge test environment where an app was installed for the
// location with examples/oauth-install's flow, into a FileStore directory.
type oauthEnv struct {
	*env
	dir string // the FileStore the install filled
	key []byte
	app *oauth.App
}

func newOAuthEnv(t *testing.T, opts ...envOption) *oauthEnv {
	t.Helper()
	e := &oauthEnv{env: newEnv(t, append(opts, withoutRun(), withoutWebhookTarget())...), dir: t.TempDir(), key: bytes.Repeat([]byte{42}, 32)}
	e.stop()
	e.hl.AddOAuthClient("app-id", "app-secret")
	fs, err := oauth.NewFileStore(e.dir, oauth.EncryptionKey{ID: 1, Key: e.key})
	if err != nil {
		t.Fatal(err)
	}
	if e.app, err = oauth.NewApp(oauth.Config{ClientID: "app-id", ClientSecret: "app-secret", BaseURL: e.hl.URL, Store: fs}); err != nil {
		t.Fatal(err)
	}
	e.install(t)
	e.cfg.GHLToken = ""
	e.cfg.OAuth = &OAuthConfig{ClientID: "app-id", ClientSecret: "app-secret", TokenDir: e.dir, TokenKey: Secret(base64.StdEncoding.EncodeToString(e.key))}
	return e
}

// install installs the app for the location (again), into the directory.
func (e *oauthEnv) install(t *testing.T) *oauth.Token {
	t.Helper()
	code := e.hl.Authorize(ghltest.Install{ClientID: "app-id", LocationID: testLocation, Scopes: []string{ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite}})
	tok, err := e.app.Exchange(context.Background(), code, oauth.UserTypeLocation)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// open starts a bridge on cfg and checks it reaches HighLevel with its
// OAuth token.
func (e *oauthEnv) open(t *testing.T, cfg Config) *Bridge {
	t.Helper()
	_, mc := e.clients()
	b, err := New(cfg, WithMattermostClient(mc))
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.b, e.handler = b, b
	e.mu.Unlock()
	res := e.slash(e.alice, e.channel.ID, "/ghl contact "+e.contact.ID)
	if len(res.Response.Attachments) != 1 || !strings.Contains(postText(mattermost.Post{Props: mattermost.Props{Attachments: res.Response.Attachments}}), "Ada Lovelace") {
		t.Fatalf("contact with an OAuth token: %+v", res.Response)
	}
	return b
}

// TestOAuthConfig: with OAuth instead of GHL_TOKEN and bbolt, the token
// lives in the state file: imported from GHL_TOKEN_DIR at the first start,
// read from the file afterwards, imported again after a new install.
func TestOAuthConfig(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	ctx := context.Background()
	first, err := oauth.NewFileStore(e.dir, oauth.EncryptionKey{ID: 1, Key: e.key})
	if err != nil {
		t.Fatal(err)
	}
	installed, _ := first.Load(ctx, testLocation)

	// The first start imports the install's token into the state file.
	e.open(t, e.cfg).Close()
	stored := func() *oauth.Token {
		t.Helper()
		db := openStore(t, e.cfg.DataPath, nil)
		defer db.Close()
		ts, err := NewBoltTokenStore(db, newSealer(t, oauth.EncryptionKey{ID: 1, Key: e.key}))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := ts.Load(ctx, testLocation)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if got := stored(); got.RefreshToken != installed.RefreshToken {
		t.Fatal("the install's token is not in the state file")
	}

	// Without the directory: the token comes from the state file.
	cfg := e.cfg
	oc := *cfg.OAuth
	oc.TokenDir = ""
	cfg.OAuth = &oc
	e.open(t, cfg).Close()

	// A token refreshed since the import is not replaced by the older file.
	db := openStore(t, e.cfg.DataPath, nil)
	ts, _ := NewBoltTokenStore(db, newSealer(t, oauth.EncryptionKey{ID: 1, Key: e.key}))
	refreshed := *installed
	refreshed.RefreshToken, refreshed.IssuedAt = "refreshed-since", installed.IssuedAt.Add(1)
	if err := ts.Save(ctx, testLocation, &refreshed); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, mc := e.clients()
	b, err := New(e.cfg, WithMattermostClient(mc))
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if got := stored(); got.RefreshToken != "refreshed-since" {
		t.Fatalf("an older file replaced the stored token: %q", got.RefreshToken)
	}
	// A new install (issued later) is imported.
	again := e.install(t)
	e.open(t, e.cfg).Close()
	if got := stored(); got.RefreshToken != again.RefreshToken {
		t.Fatal("the new install's token was not imported")
	}

	// No token stored for the location: the failure names the install.
	cfg.DataPath = filepath.Join(t.TempDir(), "other.db")
	_, err = New(cfg, WithMattermostClient(mc))
	if err == nil || !strings.Contains(err.Error(), "no OAuth token stored for location loc1 in the state file") || !strings.Contains(err.Error(), "install the app first") {
		t.Errorf("missing token: %v", err)
	}
	// A token sealed with another key.
	cfg.DataPath = e.cfg.DataPath
	oc.TokenKey = Secret(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	if _, err := New(cfg, WithMattermostClient(mc)); err == nil || !strings.Contains(err.Error(), "reading the OAuth token") {
		t.Errorf("wrong key: %v", err)
	}
	// A Store of another kind keeps using the directory itself.
	cfg = e.cfg
	b, err = New(cfg, WithMattermostClient(mc), WithStore(otherStore{openStore(t, filepath.Join(t.TempDir(), "s.db"), nil)}))
	if err != nil {
		t.Fatalf("with another Store and GHL_TOKEN_DIR: %v", err)
	}
	b.Close()
	cfg.OAuth = &oc
	oc.TokenKey, oc.TokenDir = e.cfg.OAuth.TokenKey, ""
	if _, err := New(cfg, WithMattermostClient(mc), WithStore(otherStore{openStore(t, filepath.Join(t.TempDir(), "s.db"), nil)})); err == nil || !strings.Contains(err.Error(), "cannot keep OAuth tokens: set GHL_TOKEN_DIR") {
		t.Errorf("another Store without GHL_TOKEN_DIR: %v", err)
	}
}

// otherStore is a Store that is neither a BoltStore nor a PGStore.
type otherStore struct{ Store }

// TestOAuthConfigPostgres: with BRIDGE_DATABASE_URL the token lives in the
// database, where every replica reads it, and a new key re-seals it.
func TestOAuthConfigPostgres(t *testing.T) {
	t.Parallel()
	dbURL := newTestSchema(t)
	e := newOAuthEnv(t, withDatabase(dbURL))
	ctx := context.Background()
	installed, err := e.app.TokenSource(ctx, testLocation)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := installed.Current()

	// Replica 1 imports the install's token; replica 2 has no directory.
	r1 := e.open(t, e.cfg)
	defer r1.Close()
	cfg := e.cfg
	oc := *cfg.OAuth
	oc.TokenDir = ""
	cfg.OAuth = &oc
	r2 := e.open(t, cfg)
	defer r2.Close()

	db := openPGStoreT(t, dbURL, nil)
	raw := func() []byte {
		t.Helper()
		var sealed []byte
		if err := db.pool.QueryRow(ctx, `SELECT sealed FROM bridge_oauth_tokens WHERE key = $1`, testLocation).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		return sealed
	}
	if sealed := raw(); !bytes.HasPrefix(sealed, []byte("GHLT\x01\x01")) || bytes.Contains(sealed, []byte(want.RefreshToken)) {
		t.Fatalf("stored row = %q, want sealed with key 1", sealed)
	}

	// Key rotation: key 2 primary, key 1 previous. The next start re-seals.
	newKey := bytes.Repeat([]byte{43}, 32)
	oc.TokenKey = Secret("2:" + base64.StdEncoding.EncodeToString(newKey))
	oc.PreviousTokenKeys = []Secret{Secret(base64.StdEncoding.EncodeToString(e.key))}
	e.open(t, cfg).Close()
	if sealed := raw(); !bytes.HasPrefix(sealed, []byte("GHLT\x01\x02")) {
		t.Fatalf("after the rotation the row starts %q, want key 2's header", sealed[:6])
	}
	ts, _ := NewPGTokenStore(db, newSealer(t, oauth.EncryptionKey{ID: 2, Key: newKey}))
	if got, err := ts.Load(ctx, testLocation); err != nil || got.RefreshToken != want.RefreshToken {
		t.Fatalf("with the new key alone: %v", err)
	}
	oc.PreviousTokenKeys = nil
	e.open(t, cfg).Close()
}
