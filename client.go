package ghl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl/internal/httpretry"
	"github.com/ghlkit/ghl/internal/wire"
)

const (
	// Version is this module's version, sent in the User-Agent header.
	Version = "0.1.0"
	// DefaultBaseURL is HighLevel's API server.
	DefaultBaseURL = "https://services.leadconnectorhq.com"
	// DefaultAPIVersion is the Version header the Contacts API v2 expects.
	DefaultAPIVersion = "2021-07-28"
	// ScopeContactsWrite is the OAuth scope every Contacts API write needs.
	ScopeContactsWrite = "contacts.write"
	// ScopeContactsReadOnly is the OAuth scope for Contacts API reads.
	ScopeContactsReadOnly = "contacts.readonly"

	userAgent = "ghlkit/" + Version

	// maxBody bounds a successful response body: far above any page
	// HighLevel serves (500 contacts), far below what would hurt.
	maxBody = 64 << 20
)

// Client is the transport that the service packages share: it authenticates,
// paces, retries and decodes. Create one with NewClient and hand it to
// contacts.New, tasks.New and notes.New. It is safe for concurrent use.
type Client struct {
	baseURL    string
	apiVersion string
	tokens     oauth2.TokenSource
	http       *retryablehttp.Client
	logger     *slog.Logger
	locationID string
	rate       atomic.Pointer[RateState]
}

// NewClient returns a client configured by opts. It needs credentials:
// WithToken or WithTokenSource.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{
		apiVersion: DefaultAPIVersion,
		rateMax:    DefaultRateLimit,
		rateEvery:  DefaultRateInterval,
	}
	s.baseURL, _ = url.Parse(DefaultBaseURL)
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("ghl: NewClient: nil Option")
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	var tokens oauth2.TokenSource
	switch {
	case s.token != "" && s.tokenSource != nil:
		return nil, errors.New("ghl: NewClient: WithToken and WithTokenSource both given; use one")
	case s.token != "":
		tokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: s.token, TokenType: "Bearer"})
	case s.tokenSource != nil:
		tokens = s.tokenSource
	default:
		return nil, errors.New("ghl: NewClient: no credentials; use WithToken or WithTokenSource")
	}

	hc := s.httpClient
	if hc == nil {
		// No client-wide timeout: callers bound each call with their context.
		hc = &http.Client{}
	}
	rt := hc.Transport
	if s.transport != nil {
		rt = s.transport
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	if s.rateMax > 0 {
		rt = &pacedTransport{next: rt, pacer: newPacer(s.rateMax, s.rateEvery)}
	}
	hc.Transport = rt

	return &Client{
		baseURL:    s.baseURL.String(),
		apiVersion: s.apiVersion,
		tokens:     tokens,
		http:       httpretry.NewClient(hc, s.retry, s.hooks()),
		logger:     s.logger,
		locationID: s.locationID,
	}, nil
}

// LocationID is the default location given with WithLocationID, or "".
func (c *Client) LocationID() string { return c.locationID }

// RateLimit is the rate-limit state of the latest response, including the
// requests left today (DailyRemaining). Before any response all counts are -1.
func (c *Client) RateLimit() RateState {
	if rs := c.rate.Load(); rs != nil {
		return *rs
	}
	return RateState{Max: -1, Remaining: -1, DailyLimit: -1, DailyRemaining: -1}
}

// Request describes one API call. Service packages build it; most users never
// need it, but it lets a caller reach an endpoint ghlkit does not cover yet.
type Request struct {
	Method string // http.MethodGet, ...
	// Path is the escaped path below the base URL; build it with Path.
	Path string
	// Query is nil or a struct with `url:"name,omitempty"` field tags,
	// encoded with github.com/google/go-querystring.
	Query any
	// Body is nil or a value sent as JSON.
	Body any
	// ReadOnly marks a POST that changes nothing (such as a search): it is
	// retried like a GET and needs no write scope.
	ReadOnly bool
}

// Response is the metadata of a successful call.
type Response struct {
	StatusCode int
	Header     http.Header
	Rate       RateState
}

// TokenInvalidator is implemented by token sources that can drop an access
// token HighLevel refused, so that their next Token call fetches a new one.
type TokenInvalidator interface {
	InvalidateToken(accessToken string)
}

// Do sends r and decodes a 2xx JSON body into v (v may be nil; an empty body
// is fine). A non-2xx answer returns an *APIError. A POST that may have
// reached HighLevel without an answer returns an error wrapping
// ErrOutcomeUnknown. When ctx is done, Do returns ctx.Err().
func (c *Client) Do(ctx context.Context, r *Request, v any) (*Response, error) {
	if ctx == nil {
		return nil, errors.New("ghl: Do: nil Context")
	}
	if r == nil {
		return nil, errors.New("ghl: Do: nil Request")
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("ghl: Do: path %q must start with /", r.Path)
	}
	rawURL := c.baseURL + r.Path
	if r.Query != nil {
		q, err := query.Values(r.Query)
		if err != nil {
			return nil, fmt.Errorf("ghl: encoding query for %s %s: %w", method, r.Path, err)
		}
		if enc := q.Encode(); enc != "" {
			rawURL += "?" + enc
		}
	}
	var body []byte
	if r.Body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.Body); err != nil {
			return nil, fmt.Errorf("ghl: encoding body for %s %s: %w", method, r.Path, err)
		}
		body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	write := method != http.MethodGet && method != http.MethodHead && !r.ReadOnly
	if r.ReadOnly {
		ctx = httpretry.MarkIdempotent(ctx)
	}

	resp, err := c.send(ctx, method, rawURL, r.Path, body, write, true)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rate := parseRateState(resp.Header)
	c.rate.Store(&rate)
	out := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Rate: rate}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		apiErr := newAPIError(method, r.Path, resp.StatusCode, raw, rate)
		apiErr.outcomeUnknown = write && method == http.MethodPost && resp.StatusCode >= 500
		c.log(ctx, slog.LevelError, "request failed", method, r.Path, resp.StatusCode, apiErr.Message)
		return out, apiErr
	}
	c.log(ctx, slog.LevelDebug, "request done", method, r.Path, resp.StatusCode, "")
	if v == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return out, nil
	}
	raw, err := readBody(resp)
	if err == nil && len(bytes.TrimSpace(raw)) > 0 {
		// The service packages' responses are decoded so that one odd value
		// does not fail the whole answer, and keep the body for Extra.
		if keep, ok := v.(wire.Response); ok {
			err = wire.Decode(raw, v)
			keep.KeepGHLBody(raw)
		} else {
			err = json.Unmarshal(raw, v)
		}
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return out, ctxErr
		}
		return out, fmt.Errorf("ghl: decoding %s %s response: %w", method, r.Path, err)
	}
	return out, nil
}

// readBody reads a response body, into a buffer of its Content-Length when
// given (net/http holds the body to it).
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxBody {
		buf := make([]byte, n)
		_, err := io.ReadFull(resp.Body, buf)
		return buf, err
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	if err == nil && buf.Len() > maxBody {
		err = fmt.Errorf("response body exceeds %d bytes", maxBody)
	}
	return buf.Bytes(), err
}

// send performs the request with a current token; on a 401 it asks a
// TokenInvalidator for a new token and repeats once.
func (c *Client) send(ctx context.Context, method, rawURL, path string, body []byte, write, mayRenew bool) (*http.Response, error) {
	tok, err := c.tokens.Token()
	if err != nil {
		return nil, fmt.Errorf("ghl: getting a token for %s %s: %w", method, path, err)
	}
	if write && !hasScope(tok, ScopeContactsWrite) {
		return nil, &ScopeError{Scope: ScopeContactsWrite, Method: method, Path: path}
	}
	var raw any // untyped nil for no body: a nil []byte would still get a body reader
	if body != nil {
		raw = body
	}
	req, err := retryablehttp.NewRequestWithContext(httpretry.Track(ctx), method, rawURL, raw)
	if err != nil {
		return nil, fmt.Errorf("ghl: building %s %s: %w", method, path, err)
	}
	h := req.Header
	h.Set("Authorization", "Bearer "+tok.AccessToken)
	h.Set("Version", c.apiVersion)
	h.Set("Accept", "application/json")
	h.Set("User-Agent", userAgent)
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("ghl: %s %s: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusUnauthorized && mayRenew {
		if inv, ok := c.tokens.(TokenInvalidator); ok {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			inv.InvalidateToken(tok.AccessToken)
			return c.send(ctx, method, rawURL, path, body, write, false)
		}
	}
	return resp, nil
}

// hasScope reports whether tok may carry scope. A token that does not say
// which scopes it holds (a private integration token) is given the benefit
// of the doubt: HighLevel decides.
func hasScope(tok *oauth2.Token, scope string) bool {
	var granted []string
	switch s := tok.Extra("scope").(type) {
	case string:
		granted = strings.Fields(s)
	case []string:
		granted = s
	case []any:
		for _, v := range s {
			if str, ok := v.(string); ok {
				granted = append(granted, str)
			}
		}
	}
	if len(granted) == 0 {
		return true
	}
	return slices.Contains(granted, scope)
}

func (c *Client) log(ctx context.Context, level slog.Level, msg, method, path string, status int, detail string) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{slog.String("method", method), slog.String("path", path), slog.Int("status", status)}
	if detail != "" {
		attrs = append(attrs, slog.String("message", detail))
	}
	c.logger.LogAttrs(ctx, level, "ghl: "+msg, attrs...)
}
