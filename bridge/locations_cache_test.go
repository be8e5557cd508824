package bridge

import (
	"context"
	"testing"

	"github.com/ghlkit/ghl/contacts"
)

// TestLocationCacheBounded: past its bound the cache drops the least
// recently used location's client; that location gets a new, working one
// on its next use, and a request still holding the old one can finish.
func TestLocationCacheBounded(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, "")
	e.apps.locs.max = 2
	for _, id := range []string{"locA", "locB", "locC"} {
		e.install(id)
	}
	a, b := e.servicesT("locA"), e.servicesT("locB")
	if e.servicesT("locA") != a { // locA is now the most recently used
		t.Fatal("locA rebuilt while cached")
	}
	c := e.servicesT("locC")
	if n := e.apps.locs.len(); n != 2 {
		t.Fatalf("%d cached, want 2", n)
	}
	if e.servicesT("locA") != a || e.servicesT("locC") != c {
		t.Fatal("a recently used location was dropped")
	}
	ctx := context.Background()
	if _, err := b.contacts.List(ctx, contacts.ListOptions{}); err != nil {
		t.Fatalf("the dropped client of locB, still held: %v", err)
	}
	b2 := e.servicesT("locB")
	if b2 == b || b2.locationID != "locB" {
		t.Fatal("locB was not built again after it was dropped")
	}
	if _, err := b2.contacts.List(ctx, contacts.ListOptions{}); err != nil {
		t.Fatalf("locB's new client: %v", err)
	}
	if n := e.apps.locs.len(); n != 2 {
		t.Fatalf("%d cached after locB came back, want 2", n)
	}
	// An uninstall drops a cached location at once.
	e.apps.forget("locB")
	if e.apps.locs.get("locB") != nil || e.apps.locs.len() != 1 {
		t.Fatal("forget kept locB")
	}
}
