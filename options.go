package ghl

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl/internal/httpretry"
)

// An Option configures a Client. Options check their input: NewClient
// returns the first error rather than building a client that fails later.
type Option func(*settings) error

type settings struct {
	token       string
	tokenSource oauth2.TokenSource
	baseURL     *url.URL
	apiVersion  string
	httpClient  *http.Client
	transport   http.RoundTripper
	logger      *slog.Logger
	retry       httpretry.Policy
	rateMax     int
	rateEvery   time.Duration
	locationID  string
	observer    func(RequestInfo) // observer.go
}

// WithToken authenticates with a static bearer token: a Private Integration
// Token or a location access token.
func WithToken(token string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("ghl: WithToken: token is empty")
		}
		s.token = token
		return nil
	}
}

// WithTokenSource authenticates with OAuth tokens from ts, asked before every
// request (see package oauth for HighLevel's rotating refresh tokens). When a
// token carries its granted scopes (the "scope" extra field), writes that need
// a scope the token lacks fail before they are sent. When ts implements
// TokenInvalidator, a 401 makes the client drop the token and repeat the
// request once with a fresh one.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(s *settings) error {
		if ts == nil {
			return errors.New("ghl: WithTokenSource: token source is nil")
		}
		s.tokenSource = ts
		return nil
	}
}

// WithBaseURL points the client at another server, such as a ghltest server
// (default DefaultBaseURL).
func WithBaseURL(rawURL string) Option {
	return func(s *settings) error {
		u, err := url.Parse(rawURL)
		if err != nil {
			return fmt.Errorf("ghl: WithBaseURL: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("ghl: WithBaseURL: %q is not an http or https URL", rawURL)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("ghl: WithBaseURL: %q must not carry credentials, a query or a fragment", u.Redacted())
		}
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		s.baseURL = u
		return nil
	}
}

// WithAPIVersion sets the Version header (default DefaultAPIVersion).
func WithAPIVersion(version string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(version) == "" {
			return errors.New("ghl: WithAPIVersion: version is empty")
		}
		s.apiVersion = version
		return nil
	}
}

// WithHTTPClient sends through a copy of hc (its Transport, Timeout, Jar and
// redirect policy), leaving hc itself untouched.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("ghl: WithHTTPClient: client is nil")
		}
		cp := *hc
		s.httpClient = &cp
		return nil
	}
}

// WithTransport sends through rt, for example to add tracing.
func WithTransport(rt http.RoundTripper) Option {
	return func(s *settings) error {
		if rt == nil {
			return errors.New("ghl: WithTransport: round tripper is nil")
		}
		s.transport = rt
		return nil
	}
}

// WithLogger logs requests, retries and failures at debug and error level.
// Without it, or with WithLogger(nil), the client logs nothing. Tokens are
// never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// RetryPolicy bounds retries; zero fields take the defaults (3 retries,
// backoff from 500ms to 30s).
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt. A
	// negative value disables retries.
	MaxRetries int
	// MinWait and MaxWait bound the exponential backoff. MaxWait also caps
	// a server's Retry-After.
	MinWait, MaxWait time.Duration
}

// WithRetry sets the retry bounds. Which requests are retried is fixed by
// the policy described in the package documentation.
func WithRetry(p RetryPolicy) Option {
	return func(s *settings) error {
		hp := httpretry.Policy(p)
		if err := hp.Validate(); err != nil {
			return fmt.Errorf("ghl: WithRetry: %w", err)
		}
		s.retry = hp
		return nil
	}
}

// WithRateLimit paces the client to at most n requests per interval (default
// DefaultRateLimit per DefaultRateInterval, as HighLevel allows). The client
// adopts the limits HighLevel announces in its X-RateLimit-* headers.
func WithRateLimit(n int, per time.Duration) Option {
	return func(s *settings) error {
		if n <= 0 || per <= 0 {
			return fmt.Errorf("ghl: WithRateLimit: need a positive count and interval, got %d per %v", n, per)
		}
		s.rateMax, s.rateEvery = n, per
		return nil
	}
}

// WithoutRateLimit turns pacing off, for tests and for callers that pace
// requests themselves.
func WithoutRateLimit() Option {
	return func(s *settings) error {
		s.rateMax, s.rateEvery = 0, 0
		return nil
	}
}

// WithLocationID sets the location used by calls that need a locationId when
// the caller does not give one.
func WithLocationID(id string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(id) == "" {
			return errors.New("ghl: WithLocationID: id is empty")
		}
		s.locationID = id
		return nil
	}
}
