package oauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/oauth"
)

// The install flow, end to end, against ghltest standing in for HighLevel
// and its marketplace.
func Example() {
	srv := ghltest.NewServer()
	defer srv.Close()
	srv.AddOAuthClient("my-client-id", "my-client-secret")
	srv.AddContact(ghltest.Contact{LocationID: "loc-1", FirstName: "Ada"})

	app, err := oauth.NewApp(oauth.Config{
		ClientID:     "my-client-id",
		ClientSecret: "my-client-secret",
		RedirectURL:  "https://app.example.com/oauth/callback",
		Scopes:       []string{"contacts.readonly", "contacts.write"},
		BaseURL:      srv.URL,                // omit in production
		Store:        oauth.NewMemoryStore(), // in production: a FileStore or your database
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// 1. Send the installer to HighLevel's consent page, remembering state
	// (in production: in a short-lived HttpOnly cookie).
	state := oauth.NewState()
	consent, _ := url.Parse(app.AuthCodeURL(state))
	fmt.Println(consent.Host + consent.Path)
	fmt.Println(consent.Query().Get("scope"))

	// 2. HighLevel redirects back with a code; ghltest plays the marketplace.
	code := srv.Authorize(ghltest.Install{
		ClientID: "my-client-id", LocationID: "loc-1",
		Scopes:      []string{ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite},
		RedirectURI: "https://app.example.com/oauth/callback",
	})
	callback, _ := url.Parse("https://app.example.com/oauth/callback?code=" + code + "&state=" + state)
	if !oauth.VerifyState(callback.Query().Get("state"), state) {
		log.Fatal("state mismatch")
	}
	tok, err := app.Exchange(ctx, callback.Query().Get("code"), oauth.UserTypeLocation)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.LocationID, tok.Scopes)

	// 3. Call the API with tokens that renew themselves. Use a long-lived
	// context for the source, not a request's.
	ts, err := app.TokenSource(ctx, tok.LocationID)
	if err != nil {
		log.Fatal(err)
	}
	client, err := ghl.NewClient(ghl.WithTokenSource(ts), ghl.WithBaseURL(srv.URL), ghl.WithLocationID(tok.LocationID))
	if err != nil {
		log.Fatal(err)
	}
	var out struct {
		Contacts []struct {
			FirstName string `json:"firstName"`
		} `json:"contacts"`
	}
	query := struct {
		LocationID string `url:"locationId"`
	}{client.LocationID()}
	if _, err := client.Do(ctx, &ghl.Request{Method: http.MethodGet, Path: "/contacts/", Query: query}, &out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Contacts[0].FirstName)

	// Before shutting down, make sure no rotated token is left unsaved.
	if err := ts.Flush(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	// Output:
	// marketplace.gohighlevel.com/v2/oauth/chooselocation
	// contacts.readonly contacts.write
	// loc-1 [contacts.readonly contacts.write]
	// Ada
}

// A FileStore keeps tokens encrypted on disk. Take the key from a secret
// manager; to rotate it, make the new key primary, keep the old one as an
// older key, and call Rotate.
func ExampleNewFileStore() {
	dir, err := os.MkdirTemp("", "tokens")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	oldKey := oauth.EncryptionKey{ID: 1, Key: make([]byte, 32)} // use real random keys
	newKey := oauth.EncryptionKey{ID: 2, Key: []byte("0123456789abcdef0123456789abcdef")}

	ctx := context.Background()
	v1, err := oauth.NewFileStore(dir, oldKey)
	if err != nil {
		log.Fatal(err)
	}
	if err := v1.Save(ctx, "loc-1", &oauth.Token{AccessToken: "a", RefreshToken: "r", LocationID: "loc-1"}); err != nil {
		log.Fatal(err)
	}

	v2, err := oauth.NewFileStore(dir, newKey, oldKey)
	if err != nil {
		log.Fatal(err)
	}
	n, err := v2.Rotate(ctx)
	fmt.Println(n, err)
	tok, err := v2.Load(ctx, "loc-1")
	fmt.Println(tok.LocationID, err)
	// Output:
	// 1 <nil>
	// loc-1 <nil>
}
