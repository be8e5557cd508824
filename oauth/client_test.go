package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/oauth"
)

// Unit tests of the ghl.Client integration against the local fake server;
// ghltest_test.go repeats them against ghltest.

func TestClientRenewsOn401(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.install(t)
	ts := e.source(t, "loc-1")
	c, err := ghl.NewClient(ghl.WithTokenSource(ts), ghl.WithBaseURL(e.srv.URL), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	e.srv.revokeAccess("at-1") // HighLevel revoked the token before its expiry
	var out struct {
		LocationID string `json:"locationId"`
	}
	if _, err := c.Do(context.Background(), &ghl.Request{Method: http.MethodGet, Path: "/whoami"}, &out); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if out.LocationID != "loc-1" {
		t.Fatalf("locationId = %q", out.LocationID)
	}
	var auths []string
	for _, r := range e.srv.log() {
		if r.Path == "/whoami" {
			auths = append(auths, r.Header.Get("Authorization"))
		}
	}
	if len(auths) != 2 || auths[0] != "Bearer at-1" || auths[1] != "Bearer at-2" {
		t.Fatalf("Authorization headers = %q; want at-1 then the refreshed at-2", auths)
	}
	if n := e.srv.tokenCalls.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
}

func TestClientScopeCheck(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.addCode("ro", grant{userType: "Location", locationID: "loc-1", companyID: "co-1", scopes: "contacts.readonly"})
	if _, err := e.app.Exchange(context.Background(), "ro", oauth.UserTypeLocation); err != nil {
		t.Fatal(err)
	}
	c, err := ghl.NewClient(ghl.WithTokenSource(e.source(t, "loc-1")), ghl.WithBaseURL(e.srv.URL), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.srv.log())
	_, err = c.Do(context.Background(), &ghl.Request{Method: http.MethodPost, Path: "/whoami", Body: map[string]string{"a": "b"}}, nil)
	var se *ghl.ScopeError
	if !errors.As(err, &se) || se.Scope != "contacts.write" || !errors.Is(err, ghl.ErrMissingScope) {
		t.Fatalf("err = %v, want *ghl.ScopeError for contacts.write", err)
	}
	if n := len(e.srv.log()); n != before {
		t.Fatalf("%d requests sent; the write must fail before sending", n-before)
	}
	if _, err := c.Do(context.Background(), &ghl.Request{Method: http.MethodGet, Path: "/whoami"}, nil); err != nil {
		t.Fatalf("a read with a read-only token: %v", err)
	}
}
