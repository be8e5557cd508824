package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ghlkit/ghl/internal/httpbody"
)

// DefaultMaxBodyBytes is the largest body Handler reads unless
// WithMaxBodyBytes says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// retryAfterInProgress is the Retry-After Handler sends when a delivery races
// another attempt of the same event.
const retryAfterInProgress = 5 * time.Second

// HandlerOption configures a Handler; see NewHandler.
type HandlerOption func(*Handler) error

// WithMaxBodyBytes caps the request body Handler reads; a larger body is
// answered 413 unread. n must be positive.
func WithMaxBodyBytes(n int64) HandlerOption {
	return func(h *Handler) error {
		if n <= 0 {
			return fmt.Errorf("webhook: WithMaxBodyBytes(%d): not positive", n)
		}
		h.maxBody = n
		return nil
	}
}

// WithDedupeByFunction leaves deduplication to the Handler's function: the
// Handler neither reserves nor commits webhookIds. The function does, with
// the Verifier's Reserve, Commit and Release, or with a store of its own
// that records the webhookId in the transaction that stores the event (one
// write where Reserve and Commit take two more), and returns an error
// wrapping ErrDuplicate for an event processed already (answered 200 and
// reported as a duplicate) or ErrInProgress for one being processed by
// another request (503 with Retry-After). A delivery without webhookId is
// still answered 400 when the Verifier deduplicates.
func WithDedupeByFunction() HandlerOption {
	return func(h *Handler) error {
		h.fnDedupes = true
		return nil
	}
}

// WithLogger logs every delivery Handler does not answer 200 for, and
// duplicates, with the reason, the event type and webhookId when known, and
// never the body or a signature. Without it, or with WithLogger(nil),
// Handler logs nothing.
func WithLogger(l *slog.Logger) HandlerOption {
	return func(h *Handler) error {
		h.log = l
		return nil
	}
}

// Handler is an http.Handler that receives HighLevel webhooks: it verifies
// each delivery with its Verifier, processes each event once (Reserve,
// then Commit or Release, unless WithDedupeByFunction leaves that to its
// function) and passes it to its function, answering
//
//   - 405 to anything but POST;
//   - 413 to a body over the cap (DefaultMaxBodyBytes, WithMaxBodyBytes);
//   - 401 to a missing, malformed or wrong signature (or no key for it);
//   - 400 to a body that is not a webhook, or whose timestamp is missing or
//     outside the tolerance, or (deduplication on) whose webhookId is
//     missing: a retry would fail the same way;
//   - 200, without calling the function, to a webhookId already processed;
//   - 503 with Retry-After to a webhookId being processed right now by
//     another request, whose outcome is not known yet;
//   - 500 when the function returns an error (or panics) or the
//     DedupeStore fails; the webhookId is released, so HighLevel's retry is
//     processed;
//   - 200 once the function returned nil.
//
// The function runs with the request's context. Build a Handler with
// NewHandler.
type Handler struct {
	v       *Verifier
	fn      func(context.Context, Event) error
	maxBody int64
	log     *slog.Logger
	outcome func(context.Context, Event, error) // outcome.go
	// fnDedupes: fn deduplicates (WithDedupeByFunction).
	fnDedupes bool
}

// NewHandler returns a Handler that verifies deliveries with v and passes
// their events to fn. It returns an error when v or fn is nil or an option
// is invalid.
func NewHandler(v *Verifier, fn func(ctx context.Context, e Event) error, opts ...HandlerOption) (*Handler, error) {
	if v == nil || fn == nil {
		return nil, errors.New("webhook: NewHandler needs a Verifier and a function")
	}
	h := &Handler{v: v, fn: fn, maxBody: DefaultMaxBodyBytes}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// ServeHTTP receives one delivery; see Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(r, w, http.StatusMethodNotAllowed, nil, errors.New("method "+r.Method))
		return
	}
	if r.ContentLength > h.maxBody {
		h.fail(r, w, http.StatusRequestEntityTooLarge, nil, fmt.Errorf("Content-Length %d over the %d byte cap", r.ContentLength, h.maxBody))
		return
	}
	body, err := httpbody.Read(http.MaxBytesReader(w, r.Body, h.maxBody), r.ContentLength, h.maxBody+1)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.fail(r, w, http.StatusRequestEntityTooLarge, nil, fmt.Errorf("body over the %d byte cap", h.maxBody))
			return
		}
		h.fail(r, w, http.StatusBadRequest, nil, fmt.Errorf("reading body: %w", err))
		return
	}

	e, err := h.v.Verify(body, r.Header)
	if err != nil {
		h.fail(r, w, statusFor(err), nil, err)
		return
	}
	ctx := r.Context()
	if h.fnDedupes {
		h.serveDedupedByFunction(w, r, e)
		return
	}
	if err := h.v.Reserve(ctx, e); err != nil {
		h.notProcessed(w, r, e, err)
		return
	}

	// Not the request's context from here: the webhookId must be committed
	// or released even if the client went away, or HighLevel's retry would
	// be dropped as a duplicate or told to wait for nothing.
	if err := h.call(ctx, e); err != nil {
		if rerr := h.v.Release(context.WithoutCancel(ctx), e); rerr != nil {
			err = fmt.Errorf("%w (and releasing the webhookId failed: %v)", err, rerr)
		}
		h.fail(r, w, http.StatusInternalServerError, e, fmt.Errorf("handler: %w", err))
		return
	}
	if err := h.v.Commit(context.WithoutCancel(ctx), e); err != nil {
		// The event was processed: acknowledge it. The reservation stays
		// in progress until it expires, so a redelivery is told to retry
		// rather than processed twice.
		h.logf(ctx, slog.LevelWarn, "webhook processed but committing its webhookId failed", e, http.StatusOK, err)
	}
	h.report(ctx, e, nil)
	w.WriteHeader(http.StatusOK)
}

// serveDedupedByFunction passes e to fn, which deduplicates it
// (WithDedupeByFunction).
func (h *Handler) serveDedupedByFunction(w http.ResponseWriter, r *http.Request, e Event) {
	ctx := r.Context()
	if h.v.dedupe != nil && e.EventMeta().WebhookID == "" {
		h.fail(r, w, http.StatusBadRequest, e, fmt.Errorf("%w: no webhookId", ErrMalformedPayload))
		return
	}
	switch err := h.call(ctx, e); {
	case errors.Is(err, ErrDuplicate), errors.Is(err, ErrInProgress):
		h.notProcessed(w, r, e, err)
	case err != nil:
		h.fail(r, w, http.StatusInternalServerError, e, fmt.Errorf("handler: %w", err))
	default:
		h.report(ctx, e, nil)
		w.WriteHeader(http.StatusOK)
	}
}

// notProcessed answers a delivery whose event was not processed: a
// duplicate (200), one being processed by another request (503), or a
// failure to tell.
func (h *Handler) notProcessed(w http.ResponseWriter, r *http.Request, e Event, err error) {
	switch {
	case errors.Is(err, ErrDuplicate):
		h.logf(r.Context(), slog.LevelInfo, "duplicate webhook acknowledged", e, http.StatusOK, err)
		h.report(r.Context(), e, err)
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, ErrInProgress):
		w.Header().Set("Retry-After", fmt.Sprint(int(retryAfterInProgress/time.Second)))
		h.fail(r, w, http.StatusServiceUnavailable, e, err)
	default:
		h.fail(r, w, statusFor(err), e, err)
	}
}

// call runs fn, turning a panic into an error so the webhookId is released
// (unless fn deduplicates: then it holds no reservation of the Handler's);
// the panic is then re-raised for net/http to handle as usual.
func (h *Handler) call(ctx context.Context, e Event) (err error) {
	panicked := true
	defer func() {
		if panicked {
			if !h.fnDedupes {
				_ = h.v.Release(context.WithoutCancel(ctx), e)
			}
			h.logf(ctx, slog.LevelError, "webhook handler panicked", e, http.StatusInternalServerError, errors.New("panic"))
		}
	}()
	err = h.fn(ctx, e)
	panicked = false
	return err
}

// statusFor maps a rejection by Verify or Reserve to its HTTP status.
func statusFor(err error) int {
	switch {
	case errors.Is(err, ErrNoSignature), errors.Is(err, ErrMalformedSignature),
		errors.Is(err, ErrBadSignature), errors.Is(err, ErrNoKey):
		return http.StatusUnauthorized
	case errors.Is(err, ErrMalformedPayload), errors.Is(err, ErrTooOld):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

func (h *Handler) fail(r *http.Request, w http.ResponseWriter, status int, e Event, err error) {
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	h.logf(r.Context(), level, "webhook rejected", e, status, err)
	h.report(r.Context(), e, err)
	http.Error(w, http.StatusText(status), status)
}

// logf logs the outcome of one delivery. The error messages of this package
// name headers, sizes and timestamps, never the body or a signature.
func (h *Handler) logf(ctx context.Context, level slog.Level, msg string, e Event, status int, err error) {
	if h.log == nil {
		return
	}
	attrs := []slog.Attr{slog.Int("status", status), slog.String("reason", err.Error())}
	if e != nil {
		m := e.EventMeta()
		attrs = append(attrs, slog.String("type", m.Type), slog.String("webhookId", m.WebhookID))
	}
	h.log.LogAttrs(ctx, level, msg, attrs...)
}
