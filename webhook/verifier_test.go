package webhook

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func TestVerifySignatureSchemes(t *testing.T) {
	t.Parallel()
	body := taskBody("wh-1", testNow)
	// reserialized is the same JSON with different spacing: equal as
	// data, different as bytes.
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	reserialized := buf.Bytes()
	oneByte := bytes.Replace(body, []byte("Follow up"), []byte("Follow uP"), 1)

	otherEd, otherRSA := otherKeys()
	edOther := base64.StdEncoding.EncodeToString(ed25519.Sign(otherEd, body))
	sum := sha256.Sum256(body)
	rsaOtherSig, err := rsa.SignPKCS1v15(rand.Reader, otherRSA, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	rsaOther := base64.StdEncoding.EncodeToString(rsaOtherSig)

	good := sign(t, body, true, true)
	edGood, rsaGood := good.Get(HeaderSignature), good.Get(HeaderLegacySignature)
	rawEd, _ := base64.StdEncoding.DecodeString(edGood)

	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name   string
		legacy bool // verifier accepts the legacy scheme
		noEd   bool // verifier has no Ed25519 key (legacy only)
		body   []byte
		h      http.Header
		want   error
	}{
		{name: "ed25519 ok", body: body, h: hdr(HeaderSignature, edGood)},
		{name: "ed25519 ok, legacy on", legacy: true, body: body, h: hdr(HeaderSignature, edGood)},
		{name: "rsa ok, legacy on", legacy: true, body: body, h: hdr(HeaderLegacySignature, rsaGood)},
		{name: "rsa only, legacy off", body: body, h: hdr(HeaderLegacySignature, rsaGood), want: ErrNoSignature},
		{name: "no header", legacy: true, body: body, h: hdr(), want: ErrNoSignature},
		{name: "unrelated header only", legacy: true, body: body, h: hdr("X-Signature", edGood), want: ErrNoSignature},
		{name: "ed25519 empty", body: body, h: hdr(HeaderSignature, ""), want: ErrMalformedSignature},
		{name: "ed25519 repeated", body: body, h: hdr(HeaderSignature, edGood, HeaderSignature, edGood), want: ErrMalformedSignature},
		{name: "ed25519 bad base64", body: body, h: hdr(HeaderSignature, "not*base64!"), want: ErrMalformedSignature},
		{name: "ed25519 url base64", body: body, h: hdr(HeaderSignature, base64.URLEncoding.EncodeToString(rawEd)), want: ErrMalformedSignature},
		{name: "ed25519 short", body: body, h: hdr(HeaderSignature, base64.StdEncoding.EncodeToString(rawEd[:63])), want: ErrMalformedSignature},
		{name: "ed25519 long", body: body, h: hdr(HeaderSignature, base64.StdEncoding.EncodeToString(append(rawEd, 0))), want: ErrMalformedSignature},
		{name: "ed25519 wrong key", body: body, h: hdr(HeaderSignature, edOther), want: ErrBadSignature},
		{name: "ed25519 one byte changed", body: oneByte, h: hdr(HeaderSignature, edGood), want: ErrBadSignature},
		{name: "ed25519 reserialized", body: reserialized, h: hdr(HeaderSignature, edGood), want: ErrBadSignature},
		{name: "ed25519 empty body", body: []byte{}, h: hdr(HeaderSignature, edGood), want: ErrBadSignature},
		{name: "rsa bad base64", legacy: true, body: body, h: hdr(HeaderLegacySignature, "%%%"), want: ErrMalformedSignature},
		{name: "rsa wrong length", legacy: true, body: body, h: hdr(HeaderLegacySignature, edGood), want: ErrMalformedSignature},
		{name: "rsa empty", legacy: true, body: body, h: hdr(HeaderLegacySignature, ""), want: ErrMalformedSignature},
		{name: "rsa wrong key", legacy: true, body: body, h: hdr(HeaderLegacySignature, rsaOther), want: ErrBadSignature},
		{name: "rsa one byte changed", legacy: true, body: oneByte, h: hdr(HeaderLegacySignature, rsaGood), want: ErrBadSignature},
		{name: "rsa reserialized", legacy: true, body: reserialized, h: hdr(HeaderLegacySignature, rsaGood), want: ErrBadSignature},
		// Both headers: Ed25519 decides.
		{name: "both ok", legacy: true, body: body, h: hdr(HeaderSignature, edGood, HeaderLegacySignature, rsaGood)},
		{name: "both, rsa garbage", legacy: true, body: body, h: hdr(HeaderSignature, edGood, HeaderLegacySignature, "%%%")},
		{name: "both, ed25519 wrong, rsa ok", legacy: true, body: body, h: hdr(HeaderSignature, edOther, HeaderLegacySignature, rsaGood), want: ErrBadSignature},
		{name: "both, ed25519 malformed, rsa ok", legacy: true, body: body, h: hdr(HeaderSignature, "x", HeaderLegacySignature, rsaGood), want: ErrMalformedSignature},
		// A legacy-only verifier checks what it can.
		{name: "legacy-only, both headers", legacy: true, noEd: true, body: body, h: hdr(HeaderSignature, edOther, HeaderLegacySignature, rsaGood)},
		{name: "legacy-only, ed25519 header only", legacy: true, noEd: true, body: body, h: hdr(HeaderSignature, edGood), want: ErrNoKey},
		// Header maps built by hand or lower-cased by a gateway.
		{name: "lower-case header key", body: body, h: http.Header{"x-ghl-signature": {edGood}}},
		{name: "upper-case header key", legacy: true, body: body, h: http.Header{"X-WH-SIGNATURE": {rsaGood}}},
	}
	edPub, rsaPub := ghltest.WebhookPublicKeys()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []Option
			if !tt.noEd {
				opts = append(opts, WithEd25519PublicKeys(edPub))
			}
			if tt.legacy {
				opts = append(opts, WithLegacyRSA(rsaPub))
			}
			v, err := NewVerifier(opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = v.VerifySignature(tt.body, tt.h)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifySignature = %v, want %v", err, tt.want)
			}
			// Verify applies the same rule before anything else.
			_, err = v.Verify(tt.body, tt.h)
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	t.Parallel()
	otherEd, _ := otherKeys()
	edPub, _ := ghltest.WebhookPublicKeys()
	v, err := NewVerifier(
		WithEd25519PublicKeys(otherEd.Public().(ed25519.PublicKey)),
		WithEd25519PublicKeys(edPub),
		WithClock(func() time.Time { return testNow }),
	)
	if err != nil {
		t.Fatal(err)
	}
	body := taskBody("rot-1", testNow)
	if _, err := v.Verify(body, sign(t, body, true, false)); err != nil {
		t.Fatalf("signature by the second key: %v", err)
	}
	body = taskBody("rot-2", testNow)
	h := http.Header{HeaderSignature: {base64.StdEncoding.EncodeToString(ed25519.Sign(otherEd, body))}}
	if _, err := v.Verify(body, h); err != nil {
		t.Fatalf("signature by the first key: %v", err)
	}
}

func TestZeroVerifierRejects(t *testing.T) {
	t.Parallel()
	var v Verifier
	body := taskBody("z", testNow)
	if err := v.VerifySignature(body, sign(t, body, true, true)); !errors.Is(err, ErrNoKey) {
		t.Fatalf("zero Verifier: %v, want ErrNoKey", err)
	}
	var nilV *Verifier
	if _, err := nilV.Verify(body, sign(t, body, true, true)); !errors.Is(err, ErrNoKey) {
		t.Fatalf("nil Verifier: %v, want ErrNoKey", err)
	}
}

func TestVerifyReplayRules(t *testing.T) {
	t.Parallel()
	const tol = 5 * time.Minute
	tests := []struct {
		name string
		body []byte
		opts []Option
		want error
	}{
		{name: "now", body: taskBody("a", testNow)},
		{name: "exactly tolerance old", body: taskBody("a", testNow.Add(-tol))},
		{name: "exactly tolerance ahead", body: taskBody("a", testNow.Add(tol))},
		{name: "too old", body: taskBody("a", testNow.Add(-tol-time.Millisecond)), want: ErrTooOld},
		{name: "too far ahead", body: taskBody("a", testNow.Add(tol+time.Millisecond)), want: ErrTooOld},
		{name: "days old", body: taskBody("a", testNow.AddDate(0, 0, -3)), want: ErrTooOld},
		{name: "custom tolerance", body: taskBody("a", testNow.Add(-20*time.Minute)), opts: []Option{WithTolerance(30 * time.Minute)}},
		{name: "custom tolerance exceeded", body: taskBody("a", testNow.Add(-2*time.Minute)), opts: []Option{WithTolerance(time.Minute)}, want: ErrTooOld},
		{name: "whole-second timestamp", body: []byte(`{"type":"NoteCreate","webhookId":"n","timestamp":"2025-01-28T14:35:00Z"}`)},
		{name: "no timestamp", body: []byte(`{"type":"NoteCreate","webhookId":"n"}`), want: ErrMalformedPayload},
		{name: "null timestamp", body: []byte(`{"type":"NoteCreate","webhookId":"n","timestamp":null}`), want: ErrMalformedPayload},
		{name: "bad timestamp", body: []byte(`{"type":"NoteCreate","webhookId":"n","timestamp":"yesterday"}`), want: ErrMalformedPayload},
		{name: "no webhookId", body: []byte(`{"type":"NoteCreate","timestamp":"2025-01-28T14:35:00Z"}`)},
		{name: "not JSON", body: []byte(`type=NoteCreate`), want: ErrMalformedPayload},
		{name: "JSON array", body: []byte(`[{"type":"NoteCreate"}]`), want: ErrMalformedPayload},
		{name: "no type", body: []byte(`{"webhookId":"n","timestamp":"2025-01-28T14:35:00Z"}`), want: ErrMalformedPayload},
		{name: "trailing garbage", body: append(taskBody("a", testNow), '}'), want: ErrMalformedPayload},
		// An odd value in the task (title 42) would not fail the payload;
		// an odd timestamp does.
		{name: "wrong timestamp type", body: []byte(`{"type":"TaskCreate","webhookId":"n","timestamp":true,"title":42}`), want: ErrMalformedPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, false, tt.opts...)
			e, err := v.Verify(tt.body, sign(t, tt.body, true, false))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err == nil && e == nil {
				t.Fatal("nil event without error")
			}
			if err != nil && e != nil {
				t.Fatalf("event %T returned with error", e)
			}
		})
	}
}

func TestVerifyIsPure(t *testing.T) {
	t.Parallel()
	store := &recordingStore{}
	v := newVerifier(t, true, WithDedupe(store))
	body := taskBody("pure-1", testNow)
	h := sign(t, body, true, true)
	for i := range 3 {
		if _, err := v.Verify(body, h); err != nil {
			t.Fatalf("Verify #%d of the same delivery: %v", i+1, err)
		}
	}
	if calls := store.Calls(); len(calls) != 0 {
		t.Fatalf("Verify touched the DedupeStore: %v", calls)
	}
}

// verifyAndProcess is a caller of Verify, as the Verify documentation
// shows: it reserves the event, runs process, and commits or releases.
func verifyAndProcess(ctx context.Context, v *Verifier, body []byte, h http.Header, process func(Event) error) error {
	e, err := v.Verify(body, h)
	if err != nil {
		return err
	}
	if err := v.Reserve(ctx, e); err != nil {
		return err
	}
	if err := process(e); err != nil {
		if rerr := v.Release(context.WithoutCancel(ctx), e); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return v.Commit(context.WithoutCancel(ctx), e)
}

func TestProcessingFailureAfterVerifyKeepsRedelivery(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, true)
	ctx := context.Background()
	body := taskBody("dup-1", testNow)
	h := sign(t, body, true, true)
	boom := errors.New("database down")
	fail := func(Event) error { return boom }
	var processed int
	succeed := func(Event) error { processed++; return nil }

	// Processing fails after Verify: HighLevel's redelivery (same
	// webhookId) is accepted and processed, as often as it keeps failing.
	for range 2 {
		if err := verifyAndProcess(ctx, v, body, h, fail); !errors.Is(err, boom) {
			t.Fatalf("failing attempt = %v, want the processing error", err)
		}
	}
	if err := verifyAndProcess(ctx, v, body, h, succeed); err != nil {
		t.Fatalf("redelivery after a failure: %v", err)
	}
	// Processing succeeded: a redelivery is a duplicate, by either header.
	if err := verifyAndProcess(ctx, v, body, h, succeed); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("redelivery after success: %v, want ErrDuplicate", err)
	}
	if err := verifyAndProcess(ctx, v, body, sign(t, body, false, true), succeed); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("redelivery via legacy header: %v, want ErrDuplicate", err)
	}
	if processed != 1 {
		t.Fatalf("processed %d times, want 1", processed)
	}
	// Another event is unaffected.
	other := taskBody("dup-2", testNow)
	if err := verifyAndProcess(ctx, v, other, sign(t, other, true, false), succeed); err != nil {
		t.Fatal(err)
	}
}

func TestReserveInProgress(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, false)
	ctx := context.Background()
	body := taskBody("prog", testNow)
	e, err := v.Verify(body, sign(t, body, true, false))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Reserve(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := v.Reserve(ctx, e); !errors.Is(err, ErrInProgress) {
		t.Fatalf("Reserve while held: %v, want ErrInProgress", err)
	}
	if err := v.Commit(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := v.Reserve(ctx, e); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Reserve after Commit: %v, want ErrDuplicate", err)
	}
}

func TestReserveNeedsWebhookID(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"NoteCreate","timestamp":"2025-01-28T14:35:00Z"}`)
	h := sign(t, body, true, false)
	ctx := context.Background()
	for name, tt := range map[string]struct {
		opts []Option
		want error
	}{
		"dedupe on":  {want: ErrMalformedPayload},
		"dedupe off": {opts: []Option{WithoutDedupe()}},
	} {
		v := newVerifier(t, false, tt.opts...)
		e, err := v.Verify(body, h)
		if err != nil {
			t.Fatalf("%s: Verify: %v", name, err)
		}
		if err := v.Reserve(ctx, e); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Fatalf("%s: Reserve = %v, want %v", name, err, tt.want)
		}
		if err := v.Commit(ctx, e); err != nil {
			t.Fatalf("%s: Commit: %v", name, err)
		}
		if err := v.Release(ctx, e); err != nil {
			t.Fatalf("%s: Release: %v", name, err)
		}
	}
}

// recordingStore records calls; it answers like an empty store.
type recordingStore struct {
	mu    sync.Mutex
	calls []string
	err   error // returned by Reserve when set
}

func (s *recordingStore) record(op, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, op+" "+id)
}

func (s *recordingStore) Reserve(_ context.Context, id string, ttl time.Duration) error {
	s.record("reserve", id)
	return s.err
}
func (s *recordingStore) Commit(_ context.Context, id string) error {
	s.record("commit", id)
	return nil
}
func (s *recordingStore) Release(_ context.Context, id string) error {
	s.record("release", id)
	return nil
}
func (s *recordingStore) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func TestRejectedDeliveriesNeverTouchTheStore(t *testing.T) {
	t.Parallel()
	store := &recordingStore{}
	v := newVerifier(t, true, WithDedupe(store))
	ctx := context.Background()
	body := taskBody("never", testNow)
	good := sign(t, body, true, true)
	otherEd, _ := otherKeys()
	rejects := []struct {
		body []byte
		h    http.Header
	}{
		{body, http.Header{}},
		{body, http.Header{HeaderSignature: {"%%%"}}},
		{body, http.Header{HeaderSignature: {base64.StdEncoding.EncodeToString(ed25519.Sign(otherEd, body))}}},
		{append([]byte(" "), body...), good},
		{taskBody("never", testNow.Add(-time.Hour)), sign(t, taskBody("never", testNow.Add(-time.Hour)), true, false)},
		{[]byte(`{"type":"X"}`), sign(t, []byte(`{"type":"X"}`), true, false)},
	}
	for i, r := range rejects {
		if _, err := v.Verify(r.body, r.h); err == nil {
			t.Fatalf("reject %d accepted", i)
		}
	}
	if calls := store.Calls(); len(calls) != 0 {
		t.Fatalf("store calls for rejected deliveries: %v", calls)
	}
	if err := verifyAndProcess(ctx, v, body, good, func(Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(store.Calls(), ","), "reserve never,commit never"; got != want {
		t.Fatalf("store calls = %s, want %s", got, want)
	}
}

func TestReserveStoreFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("redis down")
	v := newVerifier(t, false, WithDedupe(&recordingStore{err: boom}))
	body := taskBody("s", testNow)
	e, err := v.Verify(body, sign(t, body, true, false))
	if err != nil {
		t.Fatal(err)
	}
	err = v.Reserve(context.Background(), e)
	if !errors.Is(err, boom) || errors.Is(err, ErrDuplicate) {
		t.Fatalf("Reserve = %v, want the store's error", err)
	}
}

func TestReserveConcurrentDeliveriesExactlyOnce(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, false)
	body := taskBody("race", testNow)
	h := sign(t, body, true, false)
	const n = 32
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			e, err := v.Verify(body, h.Clone())
			if err != nil {
				t.Errorf("Verify: %v", err)
				return
			}
			err = v.Reserve(context.Background(), e)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, ErrDuplicate), errors.Is(err, ErrInProgress):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if accepted != 1 {
		t.Fatalf("%d of %d concurrent deliveries accepted, want exactly 1", accepted, n)
	}
}

func TestVerifyReturnsTypedEvent(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, false)
	body := taskBody("typed", testNow)
	e, err := v.Verify(body, sign(t, body, true, false))
	if err != nil {
		t.Fatal(err)
	}
	tc, ok := e.(*TaskCreate)
	if !ok {
		t.Fatalf("event is %T, want *TaskCreate", e)
	}
	if tc.WebhookID != "typed" || !tc.Timestamp.Equal(testNow) || tc.Task.Title != "Follow up" || tc.LocationID != "loc1" {
		t.Fatalf("event = %+v", tc)
	}
	if !bytes.Equal(tc.Raw, body) {
		t.Fatalf("Raw = %s", tc.Raw)
	}
}

func TestNewVerifierOptions(t *testing.T) {
	t.Parallel()
	edPub, rsaPub := ghltest.WebhookPublicKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		opts []Option
		want error
	}{
		{name: "no options", want: ErrNoKey},
		{name: "only tolerance", opts: []Option{WithTolerance(time.Minute)}, want: ErrNoKey},
		{name: "empty WithPublicKeys", opts: []Option{WithPublicKeys()}},
		{name: "garbage key", opts: []Option{WithPublicKeys("hello")}},
		{name: "RSA PEM as Ed25519", opts: []Option{WithPublicKeys(HighLevelRSAPublicKeyPEM)}},
		{name: "short Ed25519 key", opts: []Option{WithEd25519PublicKeys(edPub[:31])}},
		{name: "no Ed25519 key", opts: []Option{WithEd25519PublicKeys()}},
		{name: "nil RSA key", opts: []Option{WithLegacyRSA(nil)}},
		{name: "small RSA key", opts: []Option{WithLegacyRSA(&small.PublicKey)}},
		{name: "zero tolerance", opts: []Option{WithEd25519PublicKeys(edPub), WithTolerance(0)}},
		{name: "negative tolerance", opts: []Option{WithEd25519PublicKeys(edPub), WithTolerance(-time.Second)}},
		{name: "nil clock", opts: []Option{WithEd25519PublicKeys(edPub), WithClock(nil)}},
		{name: "nil store", opts: []Option{WithEd25519PublicKeys(edPub), WithDedupe(nil)}},
	}
	for _, tt := range bad {
		v, err := NewVerifier(tt.opts...)
		if err == nil || v != nil {
			t.Errorf("%s: NewVerifier = %v, %v; want an error", tt.name, v, err)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	good := [][]Option{
		{WithEd25519PublicKeys(edPub)},
		{WithLegacyRSA()}, // HighLevel's published key
		{WithLegacyRSA(rsaPub), nil},
		{WithPublicKeys(testEd25519PublicKeyPEM(t))},
	}
	for i, opts := range good {
		if _, err := NewVerifier(opts...); err != nil {
			t.Errorf("good options %d: %v", i, err)
		}
	}
}

func TestLegacyDefaultKeyIsHighLevels(t *testing.T) {
	t.Parallel()
	v, err := NewVerifier(WithLegacyRSA())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.rsaKeys) != 1 || !v.rsaKeys[0].Equal(HighLevelRSAPublicKey()) {
		t.Fatal("WithLegacyRSA() does not use HighLevel's published key")
	}
	// A payload signed by our test key must not pass HighLevel's key.
	body := taskBody("hl", testNow)
	if err := v.VerifySignature(body, sign(t, body, false, true)); !errors.Is(err, ErrMalformedSignature) {
		// 2048-bit test signature vs 4096-bit key: wrong length.
		t.Fatalf("VerifySignature = %v, want ErrMalformedSignature", err)
	}
}
