package webhook

import "context"

// WithOutcome calls fn once per delivery Handler answers, after fn of
// Handler (if it ran): with a nil error for an event handled, else with the
// reason it was refused or failed, which errors.Is matches against this
// package's sentinel errors (ErrDuplicate, ErrTooOld, ErrBadSignature, …).
// e is nil when the delivery was refused before it could be decoded. Use
// it to count deliveries by outcome.
func WithOutcome(fn func(ctx context.Context, e Event, err error)) HandlerOption {
	return func(h *handler) { h.outcome = fn }
}

func (h *handler) report(ctx context.Context, e Event, err error) {
	if h.outcome != nil {
		h.outcome(ctx, e, err)
	}
}
