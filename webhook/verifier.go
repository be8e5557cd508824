package webhook

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultTolerance is how far a payload's timestamp may be from the
// Verifier's clock, in either direction, unless WithTolerance says otherwise.
const DefaultTolerance = 5 * time.Minute

// dedupeMargin keeps a webhookId a little longer than strictly needed, to
// absorb clock differences between the Verifier and a shared DedupeStore.
const dedupeMargin = time.Minute

// Verifier authenticates HighLevel webhook deliveries and decodes them.
//
// Verify is pure: it accepts a delivery only if its signature verifies on the
// raw body bytes, the body is a well-formed webhook with a type and a
// timestamp, and the timestamp is within the tolerance of the Verifier's
// clock. It remembers nothing, so calling it twice on one delivery gives the
// same answer. Nothing from the body is trusted before the signature
// verified.
//
// Processing each event once is an explicit step after Verify: Reserve claims
// the event's webhookId in the Verifier's DedupeStore, then Commit once
// processing succeeded or Release when it failed, so that HighLevel's
// redelivery of a failed event is processed rather than dropped. Handler
// does all of this.
//
// A Verifier is safe for concurrent use. Build one with NewVerifier; the zero
// Verifier rejects everything with ErrNoKey.
type Verifier struct {
	ed25519Keys []ed25519.PublicKey
	rsaKeys     []*rsa.PublicKey // non-empty only when the legacy scheme is on
	tolerance   time.Duration
	now         func() time.Time
	dedupe      DedupeStore // nil when turned off
}

// config collects options before NewVerifier builds the Verifier.
type config struct {
	ed25519Keys []ed25519.PublicKey
	rsaKeys     []*rsa.PublicKey
	tolerance   time.Duration
	now         func() time.Time
	dedupe      DedupeStore
	dedupeSet   bool // WithDedupe or WithoutDedupe was given
}

// Option configures a Verifier; see NewVerifier.
type Option func(*config) error

// NewVerifier returns a Verifier configured by opts. It needs at least one
// key: HighLevel's Ed25519 public key (WithPublicKeys, WithEd25519PublicKeys)
// or the legacy RSA scheme (WithLegacyRSA); otherwise it returns an error
// wrapping ErrNoKey. Unless told otherwise it allows DefaultTolerance and
// its Reserve remembers webhookIds in a MemoryDedupe of DefaultDedupeSize
// that reads the Verifier's clock.
func NewVerifier(opts ...Option) (*Verifier, error) {
	c := config{tolerance: DefaultTolerance, now: time.Now}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	if len(c.ed25519Keys) == 0 && len(c.rsaKeys) == 0 {
		return nil, fmt.Errorf("%w: configure HighLevel's Ed25519 public key (WithPublicKeys) or turn on the legacy scheme (WithLegacyRSA)", ErrNoKey)
	}
	if !c.dedupeSet {
		c.dedupe = newMemoryDedupe(DefaultDedupeSize, c.now)
	}
	return &Verifier{
		ed25519Keys: c.ed25519Keys,
		rsaKeys:     c.rsaKeys,
		tolerance:   c.tolerance,
		now:         c.now,
		dedupe:      c.dedupe,
	}, nil
}

// WithPublicKeys adds HighLevel's Ed25519 public keys, each as accepted by
// ParseEd25519PublicKey (PEM, or base64 of the raw key or its DER). Give
// several during a key rotation: a signature valid under any of them passes.
func WithPublicKeys(keys ...string) Option {
	return func(c *config) error {
		if len(keys) == 0 {
			return errors.New("webhook: WithPublicKeys: no key given")
		}
		for i, s := range keys {
			k, err := ParseEd25519PublicKey(s)
			if err != nil {
				return fmt.Errorf("webhook: WithPublicKeys: key %d: %w", i, err)
			}
			c.ed25519Keys = append(c.ed25519Keys, k)
		}
		return nil
	}
}

// WithEd25519PublicKeys adds Ed25519 public keys already parsed, such as the
// first result of ghltest.WebhookPublicKeys in tests. The keys are copied.
func WithEd25519PublicKeys(keys ...ed25519.PublicKey) Option {
	return func(c *config) error {
		if len(keys) == 0 {
			return errors.New("webhook: WithEd25519PublicKeys: no key given")
		}
		for i, k := range keys {
			if len(k) != ed25519.PublicKeySize {
				return fmt.Errorf("webhook: WithEd25519PublicKeys: key %d has %d bytes, want %d", i, len(k), ed25519.PublicKeySize)
			}
			c.ed25519Keys = append(c.ed25519Keys, append(ed25519.PublicKey(nil), k...))
		}
		return nil
	}
}

// WithLegacyRSA turns on HighLevel's legacy X-WH-Signature scheme
// (RSA-SHA256, PKCS#1 v1.5), which HighLevel deprecated on 2026-07-01. With
// no keys it uses HighLevelRSAPublicKey. When a request carries both headers
// and Ed25519 keys are configured, X-GHL-Signature alone decides.
func WithLegacyRSA(keys ...*rsa.PublicKey) Option {
	return func(c *config) error {
		if len(keys) == 0 {
			keys = []*rsa.PublicKey{HighLevelRSAPublicKey()}
		}
		for i, k := range keys {
			if k == nil || k.N == nil {
				return fmt.Errorf("webhook: WithLegacyRSA: key %d is nil", i)
			}
			if k.N.BitLen() < minRSABits {
				return fmt.Errorf("webhook: WithLegacyRSA: key %d has %d bits, want at least %d", i, k.N.BitLen(), minRSABits)
			}
			c.rsaKeys = append(c.rsaKeys, k)
		}
		return nil
	}
}

// WithTolerance sets how far the payload's timestamp may be from the clock,
// in the past or the future; d must be positive. HighLevel's retries of one
// event keep its timestamp, so a retry arriving later than d is rejected as
// ErrTooOld.
func WithTolerance(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("webhook: WithTolerance: %v is not positive", d)
		}
		c.tolerance = d
		return nil
	}
}

// WithClock replaces time.Now as the clock timestamps are checked against
// (and the default MemoryDedupe's). It exists for users' tests that verify a
// recorded delivery: a payload HighLevel signed cannot be re-signed with a
// fresh timestamp, so the test sets the clock to the payload's time instead.
// Tests that only need time to pass can use testing/synctest without it.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("webhook: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithDedupe sets the store Reserve, Commit and Release remember webhookIds
// in, for example one shared by several replicas.
func WithDedupe(s DedupeStore) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("webhook: WithDedupe: nil store (use WithoutDedupe to turn deduplication off)")
		}
		c.dedupe, c.dedupeSet = s, true
		return nil
	}
}

// WithoutDedupe turns off webhookId deduplication, for receivers that
// deduplicate downstream: Reserve, Commit and Release then do nothing, so
// replays within the tolerance window pass and a missing webhookId is not an
// error.
func WithoutDedupe() Option {
	return func(c *config) error {
		c.dedupe, c.dedupeSet = nil, true
		return nil
	}
}

// Verify authenticates one delivery from its raw body and headers and
// decodes it: signature, then payload, then timestamp. It has no side
// effect; a replay of a delivery it accepted is accepted again until its
// timestamp leaves the tolerance window. To process each event once, follow
// it with Reserve and then Commit or Release:
//
//	e, err := v.Verify(body, r.Header)
//	if err != nil {
//		// 401 for a signature error, 400 otherwise
//	}
//	if err := v.Reserve(ctx, e); err != nil {
//		// ErrDuplicate: already processed, answer 200
//		// ErrInProgress: another attempt is running, answer 503
//	}
//	done := context.WithoutCancel(ctx) // outlives a client hanging up
//	if err := process(ctx, e); err != nil {
//		v.Release(done, e) // HighLevel's redelivery will be processed
//		// answer 500
//	}
//	v.Commit(done, e) // a redelivery is now ErrDuplicate
func (v *Verifier) Verify(body []byte, h http.Header) (Event, error) {
	if err := v.VerifySignature(body, h); err != nil {
		return nil, err
	}
	e, err := Parse(body)
	if err != nil {
		return nil, err
	}
	m := e.EventMeta()
	if m.Timestamp.IsZero() {
		return nil, fmt.Errorf("%w: no timestamp", ErrMalformedPayload)
	}
	switch age := v.now().Sub(m.Timestamp); {
	case age > v.tolerance:
		return nil, fmt.Errorf("%w: timestamp %s is %v old, tolerance %v", ErrTooOld, m.Timestamp.Format(time.RFC3339), age.Round(time.Second), v.tolerance)
	case -age > v.tolerance:
		return nil, fmt.Errorf("%w: timestamp %s is %v in the future, tolerance %v", ErrTooOld, m.Timestamp.Format(time.RFC3339), (-age).Round(time.Second), v.tolerance)
	}
	return e, nil
}

// Reserve claims the webhookId of e, an event Verify returned, before it is
// processed. It returns nil when the claim is new; an error wrapping
// ErrDuplicate when the webhookId was committed (the event was processed:
// acknowledge it without processing it again); an error wrapping
// ErrInProgress when another attempt holds it uncommitted (ask HighLevel to
// retry later); and ErrMalformedPayload when e has no webhookId. Other
// errors mean the DedupeStore failed.
//
// The claim lasts as long as a replay of e could pass Verify's timestamp
// check, plus a margin for clock differences. Follow a successful Reserve
// with exactly one Commit or Release. With WithoutDedupe, Reserve returns
// nil.
func (v *Verifier) Reserve(ctx context.Context, e Event) error {
	if v == nil || v.dedupe == nil {
		return nil
	}
	m := e.EventMeta()
	if m.WebhookID == "" {
		return fmt.Errorf("%w: no webhookId", ErrMalformedPayload)
	}
	// After timestamp+tolerance the timestamp check alone rejects a replay,
	// so the id need not be remembered longer.
	ttl := max(m.Timestamp.Add(v.tolerance).Sub(v.now()), 0) + dedupeMargin
	err := v.dedupe.Reserve(ctx, m.WebhookID, ttl)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDuplicate), errors.Is(err, ErrInProgress):
		return fmt.Errorf("%w: webhookId %q", err, m.WebhookID)
	default:
		return fmt.Errorf("webhook: dedupe store: reserve: %w", err)
	}
}

// Commit records that e, reserved by Reserve, was processed: until the claim
// expires, Reserve of the same webhookId returns ErrDuplicate. Call it with a
// context that outlives the request (context.WithoutCancel), so a client
// hanging up does not leave the claim uncommitted. It does nothing when
// deduplication is off.
func (v *Verifier) Commit(ctx context.Context, e Event) error {
	if v == nil || v.dedupe == nil || e.EventMeta().WebhookID == "" {
		return nil
	}
	if err := v.dedupe.Commit(ctx, e.EventMeta().WebhookID); err != nil {
		return fmt.Errorf("webhook: dedupe store: commit: %w", err)
	}
	return nil
}

// Release forgets the webhookId of e, so that HighLevel's next delivery of
// that event is processed. Call it when processing an event that Reserve
// claimed failed, with a context that outlives the request. It does nothing
// when deduplication is off.
func (v *Verifier) Release(ctx context.Context, e Event) error {
	if v == nil || v.dedupe == nil || e.EventMeta().WebhookID == "" {
		return nil
	}
	if err := v.dedupe.Release(ctx, e.EventMeta().WebhookID); err != nil {
		return fmt.Errorf("webhook: dedupe store: release: %w", err)
	}
	return nil
}

// VerifySignature checks only the signature of body against h, by the rules
// of Verify: no timestamp check, no decoding.
func (v *Verifier) VerifySignature(body []byte, h http.Header) error {
	if v == nil || (len(v.ed25519Keys) == 0 && len(v.rsaKeys) == 0) {
		return fmt.Errorf("%w: Verifier has no key (build it with NewVerifier)", ErrNoKey)
	}
	edSig := headerValues(h, HeaderSignature)
	rsaSig := headerValues(h, HeaderLegacySignature)
	edOK, rsaOK := len(edSig) > 0, len(rsaSig) > 0
	switch {
	case edOK && len(v.ed25519Keys) > 0:
		// The current scheme decides whenever it can be checked, so a valid
		// legacy header never rescues a bad Ed25519 one.
		return v.verifyEd25519(body, edSig)
	case rsaOK && len(v.rsaKeys) > 0:
		return v.verifyRSA(body, rsaSig)
	case edOK:
		return fmt.Errorf("%w: request is signed with Ed25519 (%s) but no Ed25519 key is configured", ErrNoKey, HeaderSignature)
	case rsaOK:
		return fmt.Errorf("%w: only the legacy %s header is present and the legacy scheme is off (WithLegacyRSA)", ErrNoSignature, HeaderLegacySignature)
	default:
		return fmt.Errorf("%w: neither %s nor %s header", ErrNoSignature, HeaderSignature, HeaderLegacySignature)
	}
}

func (v *Verifier) verifyEd25519(body []byte, value []string) error {
	sig, err := decodeSignature(value, ed25519.SignatureSize, HeaderSignature)
	if err != nil {
		return err
	}
	for _, k := range v.ed25519Keys {
		if ed25519.Verify(k, body, sig) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrBadSignature, HeaderSignature)
}

func (v *Verifier) verifyRSA(body []byte, value []string) error {
	sig, err := decodeSignature(value, -1, HeaderLegacySignature)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	sized := false
	for _, k := range v.rsaKeys {
		if len(sig) != k.Size() {
			continue
		}
		sized = true
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) == nil {
			return nil
		}
	}
	if !sized {
		return fmt.Errorf("%w: %s is %d bytes, which fits no configured RSA key", ErrMalformedSignature, HeaderLegacySignature, len(sig))
	}
	return fmt.Errorf("%w: %s", ErrBadSignature, HeaderLegacySignature)
}

// decodeSignature decodes the one standard base64 value of a header; size < 0
// skips the length check.
func decodeSignature(values []string, size int, name string) ([]byte, error) {
	if len(values) > 1 {
		return nil, fmt.Errorf("%w: %s is repeated", ErrMalformedSignature, name)
	}
	if values[0] == "" {
		return nil, fmt.Errorf("%w: %s is empty", ErrMalformedSignature, name)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(values[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not standard base64", ErrMalformedSignature, name)
	}
	if size >= 0 && len(sig) != size {
		return nil, fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformedSignature, name, len(sig), size)
	}
	return sig, nil
}

// headerValues returns the values of header name, also under a
// non-canonical key (a header map built by hand, or lower-cased by a
// serverless gateway).
func headerValues(h http.Header, name string) []string {
	if vals, ok := h[name]; ok {
		return vals
	}
	if vals, ok := h[http.CanonicalHeaderKey(name)]; ok {
		return vals
	}
	for k, vals := range h {
		if strings.EqualFold(k, name) {
			return vals
		}
	}
	return nil
}
