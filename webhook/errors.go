package webhook

import "errors"

// Sentinel errors. Every rejection wraps exactly one of them, so callers can
// branch with errors.Is; the wrapped message adds the detail.
var (
	// ErrNoSignature: the request carries no signature header this Verifier
	// accepts (for example only the legacy X-WH-Signature while the legacy
	// scheme is off).
	ErrNoSignature = errors.New("webhook: no signature")
	// ErrMalformedSignature: a signature header is empty, repeated, not
	// standard base64, or decodes to the wrong length for its scheme.
	ErrMalformedSignature = errors.New("webhook: malformed signature")
	// ErrBadSignature: the signature is well formed but does not match the
	// raw body under any configured key (forged, altered or re-serialized
	// body, or a key HighLevel does not use).
	ErrBadSignature = errors.New("webhook: signature does not match")
	// ErrNoKey: the Verifier has no key for the scheme the request is
	// signed with (or no key at all, such as a zero Verifier).
	ErrNoKey = errors.New("webhook: no verification key")
	// ErrMalformedPayload: the body is not the JSON object of a webhook, a
	// field has the wrong type, or the timestamp or webhookId that replay
	// defence needs is missing.
	ErrMalformedPayload = errors.New("webhook: malformed payload")
	// ErrTooOld: the payload's timestamp is outside the tolerance window,
	// in the past or in the future.
	ErrTooOld = errors.New("webhook: timestamp outside tolerance")
	// ErrDuplicate: this webhookId was already accepted within the
	// tolerance window (a replay or a redelivery of a processed event).
	ErrDuplicate = errors.New("webhook: duplicate delivery")
	// ErrInProgress: another delivery with this webhookId is being
	// processed right now; its outcome decides whether this one is a
	// duplicate, so the sender should retry later.
	ErrInProgress = errors.New("webhook: delivery in progress")
)
