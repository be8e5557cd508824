package bridge

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/oauth"
)

// install installs the app in a location through the install flow.
func (e *appEnv) install(locationID string) {
	e.t.Helper()
	state, cookie := e.start("contacts.readonly contacts.write")
	code := e.hl.Authorize(ghltest.Install{ClientID: appClientID, LocationID: locationID, Scopes: locationScopes, RedirectURI: appPublic + PathCallback})
	if p := e.callback(code, state, cookie); p.status != 200 {
		e.t.Fatalf("install of %s: %d %q", locationID, p.status, p.body)
	}
}

func (e *appEnv) servicesT(locationID string) *services {
	e.t.Helper()
	s, err := e.apps.services(context.Background(), locationID)
	if err != nil {
		e.t.Fatalf("services(%s): %v", locationID, err)
	}
	return s
}

// TestLocationServicesIsolated: each location has its own client, so one
// location rate-limited, then uninstalled, does not hold up another.
func TestLocationServicesIsolated(t *testing.T) {
	t.Parallel()
	// Two requests per location per (frozen) hour.
	e := newAppEnv(t, "", ghltest.WithRateLimit(2, time.Hour, 1000))
	e.install("locA")
	e.install("locB")
	ctx := context.Background()
	a, b := e.servicesT("locA"), e.servicesT("locB")
	if a == b || a.client == b.client || a.locationID != "locA" || b.locationID != "locB" {
		t.Fatalf("services share a client: %+v %+v", a, b)
	}
	if again := e.servicesT("locA"); again != a {
		t.Fatal("the services of locA were built twice")
	}
	if a.client.LocationID() != "locA" {
		t.Fatalf("locA's client defaults to %q", a.client.LocationID())
	}
	for range 2 {
		if _, err := a.contacts.List(ctx, contacts.ListOptions{}); err != nil {
			t.Fatalf("locA: %v", err)
		}
	}
	// locA is out of requests: its next call cannot succeed (the fake's
	// clock does not move), whether its client waits or gives up.
	actx, cancel := context.WithCancel(ctx)
	aDone := make(chan error, 1)
	go func() {
		_, err := a.contacts.List(actx, contacts.ListOptions{})
		aDone <- err
	}()
	// locB answers meanwhile; the deadline only turns a hang into a failure.
	bctx, bcancel := context.WithTimeout(ctx, 10*time.Second)
	defer bcancel()
	for range 2 {
		if _, err := b.contacts.List(bctx, contacts.ListOptions{}); err != nil {
			t.Fatalf("locB while locA is rate-limited: %v", err)
		}
	}
	cancel()
	var apiErr *ghl.APIError
	if err := <-aDone; err == nil || !(errors.Is(err, context.Canceled) || errors.As(err, &apiErr) && apiErr.StatusCode == 429) {
		t.Fatalf("locA's rate-limited call: %v", err)
	}

	// locA uninstalled: HighLevel refuses its token (or, once the UNINSTALL
	// webhook, sent in the background, is handled, no token is left); locB
	// is untouched.
	e2 := newAppEnv(t, "")
	e2.install("locA")
	e2.install("locB")
	a, b = e2.servicesT("locA"), e2.servicesT("locB")
	e2.hl.Uninstall(appClientID, "locA")
	if _, err := a.contacts.List(ctx, contacts.ListOptions{}); !errors.Is(err, oauth.ErrReinstallRequired) && !errors.Is(err, oauth.ErrNotFound) {
		t.Fatalf("locA after its uninstall: %v", err)
	}
	if _, err := b.contacts.List(ctx, contacts.ListOptions{}); err != nil {
		t.Fatalf("locB after locA's uninstall: %v", err)
	}
	// The UNINSTALL webhook forgets locA's client and token.
	e2.hl.FlushWebhooks()
	if _, err := e2.apps.services(ctx, "locA"); !errors.Is(err, errNotInstalled) {
		t.Fatalf("services(locA) after UNINSTALL: %v", err)
	}
	if e2.servicesT("locB") != b {
		t.Fatal("locB's services were rebuilt by locA's uninstall")
	}
	if _, err := e2.apps.services(ctx, "locNever"); !errors.Is(err, errNotInstalled) {
		t.Fatalf("services of a location never installed: %v", err)
	}
	// A new install of locA gets a new client.
	e2.install("locA")
	if a2 := e2.servicesT("locA"); a2 == a {
		t.Fatal("the client of the uninstalled locA was reused")
	} else if _, err := a2.contacts.List(ctx, contacts.ListOptions{}); err != nil {
		t.Fatalf("locA reinstalled: %v", err)
	}
}
