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
// A delivery is accepted only if, in this order: its signature verifies on
// the raw body bytes; the body is a well-formed webhook with a type, a
// timestamp and a webhookId; the timestamp is within the tolerance of the
// Verifier's clock; and its webhookId is not already held by the
// DedupeStore. Nothing from the body is trusted or stored before the
// signature verified.
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
// remembers webhookIds in a MemoryDedupe of DefaultDedupeSize that reads the
// Verifier's clock.
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
// first result of TestPublicKeys in tests. The keys are copied.
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

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("webhook: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithDedupe sets the store that remembers webhookIds, for example one shared
// by several replicas.
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
// deduplicate downstream. Replays within the tolerance window then pass, and
// a missing webhookId is not an error.
func WithoutDedupe() Option {
	return func(c *config) error {
		c.dedupe, c.dedupeSet = nil, true
		return nil
	}
}

// Verify authenticates one delivery from its raw body and headers, decodes
// it, and records its webhookId as processed. It returns ErrDuplicate (or
// ErrInProgress) for a webhookId already accepted within the tolerance
// window.
//
// Because the webhookId is recorded as processed as soon as Verify returns
// the event, a caller whose processing then fails must call Release, or
// HighLevel's retry will be dropped as a duplicate. Handler does this
// bookkeeping (and answers a retry that races an ongoing attempt correctly);
// prefer it where an http.Handler fits.
func (v *Verifier) Verify(ctx context.Context, body []byte, h http.Header) (Event, error) {
	e, ttl, err := v.check(body, h)
	if err != nil {
		return nil, err
	}
	if v.dedupe == nil {
		return e, nil
	}
	id := e.EventMeta().WebhookID
	if err := v.reserve(ctx, id, ttl); err != nil {
		return nil, err
	}
	if err := v.dedupe.Commit(context.WithoutCancel(ctx), id); err != nil {
		_ = v.dedupe.Release(context.WithoutCancel(ctx), id)
		return nil, fmt.Errorf("webhook: dedupe store: commit: %w", err)
	}
	return e, nil
}

// Release forgets webhookID in the DedupeStore, so that HighLevel's next
// delivery of that event is processed. Call it when processing an event
// returned by Verify failed. It does nothing when deduplication is off.
func (v *Verifier) Release(ctx context.Context, webhookID string) error {
	if v == nil || v.dedupe == nil || webhookID == "" {
		return nil
	}
	if err := v.dedupe.Release(ctx, webhookID); err != nil {
		return fmt.Errorf("webhook: dedupe store: release: %w", err)
	}
	return nil
}

// VerifySignature checks only the signature of body against h, by the rules
// of Verify: no timestamp check, no decoding, no deduplication.
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

// check verifies the signature, decodes and applies the timestamp rules; it
// returns the time the webhookId must be remembered.
func (v *Verifier) check(body []byte, h http.Header) (Event, time.Duration, error) {
	if err := v.VerifySignature(body, h); err != nil {
		return nil, 0, err
	}
	e, err := Parse(body)
	if err != nil {
		return nil, 0, err
	}
	m := e.EventMeta()
	if m.Timestamp.IsZero() {
		return nil, 0, fmt.Errorf("%w: no timestamp", ErrMalformedPayload)
	}
	if v.dedupe != nil && m.WebhookID == "" {
		return nil, 0, fmt.Errorf("%w: no webhookId", ErrMalformedPayload)
	}
	now := v.now()
	switch age := now.Sub(m.Timestamp); {
	case age > v.tolerance:
		return nil, 0, fmt.Errorf("%w: timestamp %s is %v old, tolerance %v", ErrTooOld, m.Timestamp.Format(time.RFC3339), age.Round(time.Second), v.tolerance)
	case -age > v.tolerance:
		return nil, 0, fmt.Errorf("%w: timestamp %s is %v in the future, tolerance %v", ErrTooOld, m.Timestamp.Format(time.RFC3339), (-age).Round(time.Second), v.tolerance)
	}
	// After timestamp+tolerance the timestamp check alone rejects a replay,
	// so the id need not be remembered longer.
	return e, m.Timestamp.Add(v.tolerance).Sub(now) + dedupeMargin, nil
}

// reserve claims id in the store, passing ErrDuplicate and ErrInProgress
// through and wrapping store failures.
func (v *Verifier) reserve(ctx context.Context, id string, ttl time.Duration) error {
	err := v.dedupe.Reserve(ctx, id, ttl)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDuplicate), errors.Is(err, ErrInProgress):
		return fmt.Errorf("%w: webhookId %q", err, id)
	default:
		return fmt.Errorf("webhook: dedupe store: reserve: %w", err)
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
