package webhook

import (
	"context"
	"errors"
)

// WithOutcome calls fn once per delivery the Handler answers, after the
// Handler's function (if it ran): with a nil error for an event handled, else with the
// reason it was refused or failed, which errors.Is matches against this
// package's sentinel errors (ErrDuplicate, ErrTooOld, ErrBadSignature, …).
// e is nil when the delivery was refused before it could be decoded. Use
// it to count deliveries by outcome.
func WithOutcome(fn func(ctx context.Context, e Event, err error)) HandlerOption {
	return func(h *Handler) error {
		if fn == nil {
			return errors.New("webhook: WithOutcome: nil function")
		}
		h.outcome = fn
		return nil
	}
}

func (h *Handler) report(ctx context.Context, e Event, err error) {
	if h.outcome != nil {
		h.outcome(ctx, e, err)
	}
}
