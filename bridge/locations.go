package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/oauth"
	"github.com/ghlkit/ghl/tasks"
)

// errNotInstalled is the error of a location the app is not (or no longer)
// installed in: the bridge holds no token for it.
var errNotInstalled = errors.New("the app is not installed in this location")

// services are the HighLevel services of one location: its own client, so
// its own pacing, retries and token source. HighLevel's limits are per app
// and location, so one location's 429s, revoked install or outage leave the
// other locations' clients untouched.
type services struct {
	locationID string
	client     *ghl.Client
	contacts   *contacts.Service
	tasks      *tasks.Service
	notes      *notes.Service
	lookups    lookupPause   // contact names for events (contactFor)
	readOnly   readOnlyState // learnt in app mode (readonly.go)
}

func newServices(locationID string, c *ghl.Client) *services {
	return &services{locationID: locationID, client: c, contacts: contacts.New(c), tasks: tasks.New(c), notes: notes.New(c)}
}

// services returns the services of locationID, building its client on
// first use from the stored location token. It returns an error wrapping
// errNotInstalled when no token is stored for it. The store is read
// outside the lock, so a slow read for one location holds up no other.
func (a *apps) services(ctx context.Context, locationID string) (*services, error) {
	if locationID == "" {
		return nil, errors.New("bridge: no location")
	}
	if s := a.locs.get(locationID); s != nil {
		return s, nil
	}
	switch _, err := a.tokens.Load(ctx, locationID); {
	case errors.Is(err, oauth.ErrNotFound):
		return nil, fmt.Errorf("bridge: location %s: %w", locationID, errNotInstalled)
	case err != nil:
		return nil, fmt.Errorf("bridge: location %s: reading its token: %w", locationID, err)
	}
	// The source outlives the request: its refreshes serve every later one.
	ts, err := a.app.TokenSource(a.bg, locationID)
	if err != nil {
		return nil, fmt.Errorf("bridge: location %s: %w", locationID, err)
	}
	copts := []ghl.Option{
		ghl.WithBaseURL(a.baseURL),
		ghl.WithLocationID(locationID),
		ghl.WithLogger(a.hlLog),
		ghl.WithTokenSource(ts),
	}
	if a.httpClient != nil {
		copts = append(copts, ghl.WithHTTPClient(a.httpClient))
	}
	c, err := ghl.NewClient(copts...)
	if err != nil {
		return nil, fmt.Errorf("bridge: location %s: HighLevel client: %w", locationID, err)
	}
	// Services built meanwhile by another request win.
	return a.locs.add(newServices(locationID, c)), nil
}

// forget drops the cached services of key (an uninstalled location), so
// that the next use finds it not installed, or builds a fresh client for a
// new install.
func (a *apps) forget(key string) {
	a.locs.remove(key)
}

// servicesKey is the context key of the location a chat request or an
// event acts on.
type servicesKey struct{}

// withServices returns ctx acting on the location of s: the channel
// wrappers (policy.go) put there the location of the channel a request
// comes from, the deliverer the location of the event.
func withServices(ctx context.Context, s *services) context.Context {
	return context.WithValue(ctx, servicesKey{}, s)
}

// location returns the services of the location ctx acts on: the one
// withServices put there, else the one location of a single-location
// bridge. ok is false in app mode outside a location (an event of a
// location no longer installed).
func (b *Bridge) location(ctx context.Context) (s *services, ok bool) {
	if s, ok := ctx.Value(servicesKey{}).(*services); ok {
		return s, true
	}
	return b.one, b.one != nil
}

// svc returns the services of the location ctx acts on. Every chat entry
// point resolves its channel's location first (policy.go), so a missing
// one is a bug in the bridge, not a user's mistake.
func (b *Bridge) svc(ctx context.Context) *services {
	s, ok := b.location(ctx)
	if !ok {
		panic("bridge: a HighLevel call outside any location")
	}
	return s
}
