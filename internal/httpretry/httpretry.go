// Package httpretry holds the one retry policy shared by ghlkit's HTTP
// clients (the HighLevel client in package ghl and the Mattermost client).
//
// It configures github.com/hashicorp/go-retryablehttp, whose defaults do not
// fit an API that creates records: they retry every method (a POST retried
// after a timeout creates a duplicate), follow Retry-After without a cap,
// drop the last response when retries run out, and log to stderr.
package httpretry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// ErrOutcomeUnknown reports that a request which is not safe to repeat may
// have been applied by the server: the connection failed after the request
// was sent, or the server answered 5xx. It was not retried, because a second
// attempt could create a duplicate record.
var ErrOutcomeUnknown = errors.New("request may have been processed, outcome unknown (not retried to avoid a duplicate)")

// Policy bounds the retries. Zero fields take the defaults.
type Policy struct {
	// MaxRetries is the number of retries after the first attempt.
	// A negative value disables retries.
	MaxRetries int
	// MinWait and MaxWait bound the exponential backoff. MaxWait also caps
	// a server's Retry-After.
	MinWait, MaxWait time.Duration
}

// Defaults for a zero Policy.
const (
	DefaultMaxRetries = 3
	DefaultMinWait    = 500 * time.Millisecond
	DefaultMaxWait    = 30 * time.Second
)

// WithDefaults returns p with zero fields set to the defaults.
func (p Policy) WithDefaults() Policy {
	if p.MaxRetries == 0 {
		p.MaxRetries = DefaultMaxRetries
	}
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if p.MinWait <= 0 {
		p.MinWait = DefaultMinWait
	}
	if p.MaxWait <= 0 {
		p.MaxWait = DefaultMaxWait
	}
	if p.MaxWait < p.MinWait {
		p.MaxWait = p.MinWait
	}
	return p
}

// Validate reports a policy that cannot be used.
func (p Policy) Validate() error {
	if p.MinWait < 0 || p.MaxWait < 0 {
		return errors.New("retry waits must not be negative")
	}
	if p.MaxWait != 0 && p.MinWait > p.MaxWait {
		return fmt.Errorf("retry MinWait %v is longer than MaxWait %v", p.MinWait, p.MaxWait)
	}
	return nil
}

type idempotentKey struct{}

// MarkIdempotent marks the requests made with ctx as safe to repeat even
// though their method is POST: a read-only search, or a create that the
// server deduplicates (a Mattermost post with a pending_post_id).
func MarkIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// isIdempotent reports whether a request with this method and context may be
// sent twice without changing the outcome.
func isIdempotent(ctx context.Context, method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	marked, _ := ctx.Value(idempotentKey{}).(bool)
	return marked
}

// NewClient returns a retrying client that sends through a copy of base (nil
// means a new default client), reporting to hooks (see Hooks).
func NewClient(base *http.Client, p Policy, hooks Hooks) *retryablehttp.Client {
	p = p.WithDefaults()
	hc := &http.Client{}
	if base != nil {
		*hc = *base
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = linkRequest{observed{next: next, hooks: hooks}}
	return &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		RetryMax:     p.MaxRetries,
		CheckRetry:   logRetries(CheckRetry, p.MaxRetries, hooks),
		Backoff:      Backoff,
		ErrorHandler: keepLastResponse,
		// No Logger: go-retryablehttp would log every attempt at ERROR and
		// every request at DEBUG; Hooks.Logger logs the retries once each.
	}
}

// CheckRetry decides whether to retry. GET, HEAD, OPTIONS, PUT, DELETE and
// requests marked with MarkIdempotent are retried on connection errors, 429,
// 500, 502, 503 and 504. Other POSTs are retried only on 429 and on errors that
// prove the request never reached the server (dial, DNS, TLS handshake); any
// other connection failure returns an error wrapping ErrOutcomeUnknown.
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	method := requestMethod(resp, err)
	safe := isIdempotent(ctx, method)
	if err != nil {
		if permanent(err) {
			return false, err
		}
		if safe || neverSent(err) {
			return true, err
		}
		return false, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true, nil
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return safe, nil
	}
	return false, nil
}

// requestMethod recovers the method: from the response, or from the
// *url.Error that net/http returns, whose Op is the method ("Post").
func requestMethod(resp *http.Response, err error) string {
	if resp != nil && resp.Request != nil {
		return resp.Request.Method
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return strings.ToUpper(uerr.Op)
	}
	return ""
}

// permanent reports errors that a retry cannot fix.
func permanent(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuthority) {
		return true
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		msg := uerr.Err.Error()
		if strings.Contains(msg, "stopped after") && strings.Contains(msg, "redirects") ||
			strings.Contains(msg, "unsupported protocol scheme") ||
			strings.Contains(msg, "invalid header") {
			return true
		}
	}
	return false
}

// neverSent reports errors raised before a byte of the request reached the
// server: the connection could not be opened or secured.
func neverSent(err error) bool {
	var noConn notSentError
	if errors.As(err, &noConn) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// Backoff waits for Retry-After when the server sent one (capped at max), and
// otherwise backs off exponentially from min with full jitter.
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, ok := RetryAfter(resp.Header, time.Now()); ok {
			return min2(wait, max)
		}
	}
	ceiling := max
	if attempt < 30 {
		if exp := min << attempt; exp > 0 && exp < max {
			ceiling = exp
		}
	}
	// Full jitter between min/2 and the ceiling spreads out clients that
	// failed together.
	low := min / 2
	if ceiling <= low {
		return ceiling
	}
	return low + rand.N(ceiling-low+1)
}

func min2(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// RetryAfter parses a Retry-After header in seconds or as an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		wait := at.Sub(now)
		if wait < 0 {
			wait = 0
		}
		return wait, true
	}
	return 0, false
}

// keepLastResponse hands back the last response when retries run out, so the
// caller can decode the server's error body instead of a bare "giving up".
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err == nil && resp != nil {
		return resp, nil
	}
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}

// linkRequest makes sure every response names its request, which CheckRetry
// reads the method from; some RoundTrippers (test doubles) leave it unset.
//
// It also marks the errors of requests that failed before the transport had
// a connection for them (DNS, dial, proxy, TLS handshake): only those are
// known not to have been sent. The error types alone cannot tell: a TLS
// alert from the server is a *net.OpError "remote error", a handshake
// timeout or a plain HTTP server answering a bare error string. A transport
// that reports no connection events (a test double) marks nothing.
type linkRequest struct{ next http.RoundTripper }

func (t linkRequest) RoundTrip(req *http.Request) (*http.Response, error) {
	var asked, got atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { asked.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { got.Store(true) },
	}
	resp, err := t.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil && asked.Load() && !got.Load() {
		err = notSentError{err}
	}
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// notSentError wraps the error of a request that never had a connection;
// its message is the cause's.
type notSentError struct{ err error }

func (e notSentError) Error() string { return e.err.Error() }
func (e notSentError) Unwrap() error { return e.err }
