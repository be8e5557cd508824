package bridge

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ghlkit/ghl/webhook"
)

// intake is one webhook delivery's deduplication. webhook.Handler reserves
// the webhookId before it calls acceptEvent and commits it after, but for
// the events the bridge stores, Enqueue already records the id,
// insert-if-absent, in the transaction that stores the event: a duplicate
// arriving at the same time waits for that transaction and then finds the
// id (stored once, and its 200 answered only once stored). So within a
// delivery the reservation is put off to acceptEvent, which makes it only
// for the events it does not store (ignored ones, installs): a stored
// event costs the store one write, not three.
type intake struct {
	id       string
	ttl      time.Duration
	deferred bool // Reserve was put off
	reserved bool // the store holds the reservation put off
	dup      bool // the webhookId had been accepted already
}

type intakeKey struct{}

// withIntake gives each webhook delivery its intake.
func withIntake(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), intakeKey{}, &intake{})))
	})
}

func intakeOf(ctx context.Context) *intake {
	in, _ := ctx.Value(intakeKey{}).(*intake)
	return in
}

// reserve makes the reservation put off, for an event acceptEvent does not
// store. dup reports a webhookId accepted already; a reservation under way
// elsewhere is an error wrapping webhook.ErrInProgress (503: HighLevel
// delivers it again).
func (in *intake) reserve(ctx context.Context, s Store) (dup bool, err error) {
	if in == nil || !in.deferred || in.reserved {
		return false, nil
	}
	switch err := s.Reserve(ctx, in.id, in.ttl); {
	case err == nil:
		in.reserved = true
		return false, nil
	case errors.Is(err, webhook.ErrDuplicate):
		in.dup = true
		return true, nil
	default:
		return false, err
	}
}

// intakeDedupe is the verifier's webhook.DedupeStore: the bridge's store,
// except within a delivery through withIntake, where Reserve is put off to
// acceptEvent, and Commit and Release act only on a reservation made.
type intakeDedupe struct{ store Store }

func (d intakeDedupe) Reserve(ctx context.Context, id string, ttl time.Duration) error {
	if in := intakeOf(ctx); in != nil {
		in.id, in.ttl, in.deferred = id, ttl, true
		return nil
	}
	return d.store.Reserve(ctx, id, ttl)
}

func (d intakeDedupe) Commit(ctx context.Context, id string) error {
	if in := intakeOf(ctx); in != nil && in.deferred && in.id == id && !in.reserved {
		return nil // Enqueue committed it, or nothing was reserved
	}
	return d.store.Commit(ctx, id)
}

func (d intakeDedupe) Release(ctx context.Context, id string) error {
	if in := intakeOf(ctx); in != nil && in.deferred && in.id == id && !in.reserved {
		// Nothing to undo: Enqueue records the id with the event or not
		// at all, and a record made by another delivery must stay.
		return nil
	}
	return d.store.Release(ctx, id)
}
