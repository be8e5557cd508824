package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/oauth"
)

// TestOAuthConfig: with OAuth instead of GHL_TOKEN, the bridge reads the
// location's token from the encrypted file store an install filled.
func TestOAuthConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	ctx := context.Background()
	key := bytes.Repeat([]byte{42}, 32)
	dir := t.TempDir()

	// The install (what examples/oauth-install does).
	e.hl.AddOAuthClient("app-id", "app-secret")
	code := e.hl.Authorize(ghltest.Install{ClientID: "app-id", LocationID: testLocation, Scopes: []string{ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite}})
	fs, err := oauth.NewFileStore(dir, oauth.EncryptionKey{ID: 1, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	app, err := oauth.NewApp(oauth.Config{ClientID: "app-id", ClientSecret: "app-secret", BaseURL: e.hl.URL, Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exchange(ctx, code, oauth.UserTypeLocation); err != nil {
		t.Fatal(err)
	}

	cfg := e.cfg
	cfg.GHLToken = ""
	cfg.OAuth = &OAuthConfig{ClientID: "app-id", ClientSecret: "app-secret", TokenDir: dir, TokenKey: Secret(base64.StdEncoding.EncodeToString(key))}
	_, mc := e.clients()
	b, err := New(cfg, WithMattermostClient(mc))
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.b, e.handler = b, b
	e.mu.Unlock()
	t.Cleanup(func() { b.Close() })
	res := e.slash(e.alice, e.channel.ID, "/ghl contact "+e.contact.ID)
	if len(res.Response.Attachments) != 1 || !strings.Contains(postText(mattermost.Post{Props: mattermost.Props{Attachments: res.Response.Attachments}}), "Ada Lovelace") {
		t.Errorf("contact with an OAuth token: %+v", res.Response)
	}

	// No token stored for the location: the failure names the install.
	cfg.OAuth.TokenDir = t.TempDir()
	cfg.DataPath = t.TempDir() + "/other.db" // the first bridge holds its file
	_, err = New(cfg, WithMattermostClient(mc))
	if err == nil || !strings.Contains(err.Error(), "no OAuth token stored for location loc1") || !strings.Contains(err.Error(), "install the app first") {
		t.Errorf("missing token: %v", err)
	}
	// A token file sealed with another key.
	cfg.OAuth.TokenDir = dir
	cfg.OAuth.TokenKey = Secret(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	if _, err := New(cfg, WithMattermostClient(mc)); err == nil || !strings.Contains(err.Error(), "reading the OAuth token") {
		t.Errorf("wrong key: %v", err)
	}
}
