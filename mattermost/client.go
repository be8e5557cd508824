package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/ghlkit/ghl/internal/httpbody"
	"github.com/ghlkit/ghl/internal/httpretry"
)

// apiPrefix is where REST API v4 lives under the server URL.
const apiPrefix = "/api/v4"

// maxResponseBody caps a successful response read into memory.
const maxResponseBody = 64 << 20

// RetryPolicy bounds the retries of a Client or WebhookPoster. Zero fields
// take the defaults (3 retries, waits from 500ms to 30s). Reads, patches and
// post creates (which carry a pending_post_id) are retried on connection
// errors, 429 and 5xx; other POSTs only when the request provably never
// reached the server, or on 429.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt; a
	// negative value disables retries.
	MaxRetries int
	// MinWait and MaxWait bound the backoff; MaxWait also caps Retry-After.
	MinWait, MaxWait time.Duration
}

// Option configures a Client or a WebhookPoster.
type Option func(*config) error

type config struct {
	httpClient *http.Client
	logger     *slog.Logger
	retry      httpretry.Policy
	userAgent  string
	observer   func(RequestInfo) // observer.go
}

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "ghlkit-mattermost"

// WithHTTPClient sends requests through a copy of c (its transport, timeout,
// redirect policy); c itself is not modified.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return invalidParam("WithHTTPClient", "must not be nil")
		}
		cp := *c
		cfg.httpClient = &cp
		return nil
	}
}

// WithTransport sends requests through rt (a test mock, a proxy).
func WithTransport(rt http.RoundTripper) Option {
	return func(cfg *config) error {
		if rt == nil {
			return invalidParam("WithTransport", "must not be nil")
		}
		cp := *cfg.httpClient
		cp.Transport = rt
		cfg.httpClient = &cp
		return nil
	}
}

// WithLogger logs requests and retries at debug level to l. Tokens and
// webhook keys are replaced by [REDACTED]. Without it nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		cfg.logger = l
		return nil
	}
}

// WithRetry sets the retry policy.
func WithRetry(p RetryPolicy) Option {
	return func(cfg *config) error {
		hp := httpretry.Policy{MaxRetries: p.MaxRetries, MinWait: p.MinWait, MaxWait: p.MaxWait}
		if err := hp.Validate(); err != nil {
			return invalidParam("WithRetry", err.Error())
		}
		cfg.retry = hp
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(cfg *config) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return invalidParam("WithUserAgent", "must be one non-empty line")
		}
		cfg.userAgent = ua
		return nil
	}
}

func newConfig(opts []Option) (*config, error) {
	cfg := &config{
		httpClient: &http.Client{Timeout: 30 * time.Second},
		userAgent:  DefaultUserAgent,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// sender sends one JSON request through the shared retry policy and reads
// the answer. It masks secrets in errors and logs.
type sender struct {
	rc        *retryablehttp.Client
	logger    *slog.Logger
	userAgent string
	red       redactor
}

func newSender(cfg *config, secrets ...string) *sender {
	red := newRedactor(secrets...)
	logger := red.logger(cfg.logger)
	return &sender{
		rc:        httpretry.NewClient(cfg.httpClient, cfg.retry, cfg.hooks(logger)),
		logger:    logger,
		userAgent: cfg.userAgent,
		red:       red,
	}
}

// encodedBody is a request body its caller has encoded already (with
// marshalJSON), to check it before it is sent.
type encodedBody []byte

// call describes one request.
type call struct {
	method string
	url    string // full URL
	path   string // for errors and logs, secrets masked
	auth   string // Authorization header value, if any
	body   any    // nil: no body; encoded with marshalJSON unless an encodedBody
	// idempotent marks a POST safe to repeat (a create with a
	// pending_post_id).
	idempotent bool
	// accept lists the success statuses; nil means any 2xx.
	accept []int
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (s *sender) send(ctx context.Context, c call) (*result, error) {
	if ctx == nil {
		return nil, invalidParam("ctx", "must not be nil")
	}
	var body []byte
	switch b := c.body.(type) {
	case nil:
	case encodedBody:
		body = b
	default:
		enc, err := marshalJSON(b)
		if err != nil {
			return nil, fmt.Errorf("mattermost: %s %s: encoding request: %w", c.method, c.path, err)
		}
		body = enc
	}
	if c.idempotent {
		ctx = httpretry.MarkIdempotent(ctx)
	}
	var reqBody any
	if body != nil {
		reqBody = body
	}
	req, err := retryablehttp.NewRequestWithContext(httpretry.Track(ctx), c.method, c.url, reqBody)
	if err != nil {
		return nil, fmt.Errorf("mattermost: %s %s: %w", c.method, c.path, s.red.error(stripURLError(err)))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	start := time.Now()
	resp, err := s.rc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		s.log(ctx, "mattermost request failed", c, 0, start, slog.Any("error", err))
		return nil, fmt.Errorf("mattermost: %s %s: %w", c.method, c.path, s.red.error(stripURLError(err)))
	}
	defer resp.Body.Close()
	limit := int64(maxResponseBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = maxErrorBody
	}
	data, err := httpbody.Read(resp.Body, resp.ContentLength, limit)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("mattermost: %s %s: reading response: %w", c.method, c.path, s.red.error(stripURLError(err)))
	}
	s.log(ctx, "mattermost request", c, resp.StatusCode, start, slog.String("request_id", resp.Header.Get("X-Request-Id")))
	if !accepted(resp.StatusCode, c.accept) {
		apiErr := newAPIError(c.method, c.path, resp.StatusCode, data)
		apiErr.Message = s.red.redact(apiErr.Message)
		apiErr.DetailedError = s.red.redact(apiErr.DetailedError)
		if s.red.contains(string(apiErr.Body)) {
			apiErr.Body = []byte(s.red.redact(string(apiErr.Body)))
		}
		if resp.StatusCode >= 500 && c.method == http.MethodPost && !c.idempotent {
			return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, apiErr)
		}
		return nil, apiErr
	}
	return &result{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func (s *sender) log(ctx context.Context, msg string, c call, status int, start time.Time, extra ...slog.Attr) {
	if s.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", c.method),
		slog.String("path", c.path),
		slog.Duration("duration", time.Since(start)),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	attrs = append(attrs, extra...)
	s.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

func accepted(status int, accept []int) bool {
	if len(accept) == 0 {
		return status >= 200 && status <= 299
	}
	for _, a := range accept {
		if status == a {
			return true
		}
	}
	return false
}

// stripURLError drops the *url.Error layer, whose message repeats the full
// URL (and a webhook key in it), keeping its cause and any sentinel wrapped
// around it.
func stripURLError(err error) error {
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		return err
	}
	inner := uerr.Err
	if errors.Is(err, ErrOutcomeUnknown) && !errors.Is(inner, ErrOutcomeUnknown) {
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, inner)
	}
	return inner
}

// Client calls Mattermost's REST API v4 with a bot or personal access token.
// It is safe for concurrent use.
type Client struct {
	base  string // server URL without a trailing slash
	token string
	s     *sender
}

// NewClient returns a client for the Mattermost server at baseURL (e.g.
// "https://chat.example.com", or with a path prefix when Mattermost is
// served under one) authenticating with token. The token is sent as
// "Authorization: Bearer" and never appears in errors or logs.
func NewClient(baseURL, token string, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, invalidParam("token", "must not be empty")
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, invalidParam("token", "must not contain spaces or control characters")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Client{base: base, token: token, s: newSender(cfg, token)}, nil
}

func parseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", invalidParam("baseURL", "must be an absolute http or https URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", invalidParam("baseURL", "must not have a query, fragment or user info")
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// URL returns the server URL the client talks to.
func (c *Client) URL() string { return c.base }

// do sends an API request; path is relative to /api/v4 and already escaped.
func (c *Client) do(ctx context.Context, method, path string, body, v any, idempotent bool, accept ...int) error {
	res, err := c.s.send(ctx, call{
		method:     method,
		url:        c.base + apiPrefix + path,
		path:       apiPrefix + path,
		auth:       "Bearer " + c.token,
		body:       body,
		idempotent: idempotent,
		accept:     accept,
	})
	if err != nil {
		return err
	}
	if v == nil || len(bytes.TrimSpace(res.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		return fmt.Errorf("mattermost: %s %s: decoding response: %w", method, apiPrefix+path, err)
	}
	return nil
}

// pathSegment escapes one path segment, refusing values that would change
// the path's shape.
func pathSegment(param, v string) (string, error) {
	switch v {
	case "":
		return "", invalidParam(param, "must not be empty")
	case ".", "..":
		return "", invalidParam(param, "must not be "+quote(v))
	}
	return url.PathEscape(v), nil
}
