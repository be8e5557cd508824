package oauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/oauth"
)

func TestRemoveForgetsTheToken(t *testing.T) {
	t.Parallel()
	e := newGHLEnv(t, nil)
	store := oauth.NewMemoryStore()
	e.app = e.newApp(t, store) // MemoryStore can Delete
	e.installLocation(t, readWrite...)
	ctx := context.Background()
	ts, err := e.app.TokenSource(ctx, "loc-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); err != nil { // now held in memory
		t.Fatal(err)
	}
	if err := e.app.Remove(ctx, "loc-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, "loc-1"); !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("stored token after Remove: %v", err)
	}
	if _, err := ts.Token(); !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("Token after Remove: %v, want ErrNotFound", err)
	}
	// A new install works again.
	e.installLocation(t, readWrite...)
	if _, err := ts.Token(); err != nil {
		t.Fatalf("Token after a new install: %v", err)
	}
	if err := e.app.Remove(ctx, "absent"); err != nil {
		t.Fatalf("Remove of an absent key: %v", err)
	}
}

// loadSaveOnly is a TokenStore without Delete.
type loadSaveOnly struct{ oauth.TokenStore }

func TestRemoveNeedsDelete(t *testing.T) {
	t.Parallel()
	app, err := oauth.NewApp(oauth.Config{ClientID: "c", ClientSecret: "s", Store: loadSaveOnly{oauth.NewMemoryStore()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Remove(context.Background(), "k"); err == nil || !strings.Contains(err.Error(), "cannot delete tokens") {
		t.Fatalf("Remove: %v", err)
	}
}
