package httpretry

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Attempt describes one attempt of a request, as an observer sees it.
type Attempt attemptFields

// attemptFields are the fields of Attempt, and of the public RequestInfo
// types of the packages whose users observe their requests (ghl,
// mattermost): an Attempt converts to each of them (see Info).
type attemptFields = struct {
	Method string
	// Route is the request's path with every segment that is not a known
	// word of the API replaced by "{id}": bounded, so it can label a
	// metric, and free of IDs and query strings (which may carry e-mail
	// addresses).
	Route string
	// Status is the HTTP status, 0 when no response came (Err says why).
	Status int
	// Attempt is the attempt's number, 1 for the first try.
	Attempt  int
	Duration time.Duration
	Err      error
}

// Info is satisfied by a package's public RequestInfo, a struct of
// Attempt's fields that the package documents for its own users.
type Info interface{ ~attemptFields }

// Observer is the Observe hook that hands fn every attempt as the
// package's own RequestInfo; nil (observe nothing) when fn is nil.
func Observer[T Info](fn func(T)) func(Attempt) {
	if fn == nil {
		return nil
	}
	return func(a Attempt) { fn(T(a)) }
}

// Hooks are what a client built by NewClient reports to its owner.
type Hooks struct {
	// Logger gets one WARN line per failed attempt that will be retried
	// (with its number); nil logs nothing. go-retryablehttp's own lines
	// (one ERROR per attempt, a DEBUG per request) are never written: the
	// client that gives up logs that once.
	Logger *slog.Logger
	// Observe, when set, is called after every attempt.
	Observe func(Attempt)
	// Words are the path segments Route keeps; any other becomes "{id}".
	Words map[string]bool
}

type callKey struct{}

// call counts the attempts of one logical request.
type call struct{ attempts atomic.Int32 }

// Track marks ctx as the context of one logical request, so that its
// attempts are numbered. Clients call it once per request before building
// it; an untracked request reports every attempt as the first.
func Track(ctx context.Context) context.Context {
	return context.WithValue(ctx, callKey{}, &call{})
}

func attemptOf(ctx context.Context) int {
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		return int(c.attempts.Load())
	}
	return 1
}

// Route replaces the segments of path that are not in words by "{id}".
func Route(path string, words map[string]bool) string {
	if path == "" || path == "/" {
		return "/"
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		if s != "" && !words[s] {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// observed numbers the attempts of tracked requests and reports each.
type observed struct {
	next  http.RoundTripper
	hooks Hooks
}

func (t observed) RoundTrip(req *http.Request) (*http.Response, error) {
	n := 1
	if c, ok := req.Context().Value(callKey{}).(*call); ok {
		n = int(c.attempts.Add(1))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if t.hooks.Observe != nil {
		a := Attempt{Method: req.Method, Route: Route(req.URL.Path, t.hooks.Words), Attempt: n, Duration: time.Since(start), Err: err}
		if resp != nil {
			a.Status = resp.StatusCode
		}
		t.hooks.Observe(a)
	}
	return resp, err
}

// logRetries wraps check so that a failed attempt that will be retried
// logs one WARN line with its number.
func logRetries(check func(context.Context, *http.Response, error) (bool, error), maxRetries int, hooks Hooks) func(context.Context, *http.Response, error) (bool, error) {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		retry, cerr := check(ctx, resp, err)
		n := attemptOf(ctx)
		if !retry || hooks.Logger == nil || ctx.Err() != nil || n > maxRetries {
			return retry, cerr
		}
		attrs := []slog.Attr{slog.Int("attempt", n), slog.Int("max_attempts", maxRetries+1)}
		if resp != nil && resp.Request != nil {
			attrs = append(attrs, slog.String("method", resp.Request.Method), slog.String("route", Route(resp.Request.URL.Path, hooks.Words)), slog.Int("status", resp.StatusCode))
		}
		if err != nil {
			var uerr *url.Error
			if errors.As(err, &uerr) {
				// Its URL may carry a query with personal data.
				attrs = append(attrs, slog.String("method", strings.ToUpper(uerr.Op)), slog.String("route", routeOfURL(uerr.URL, hooks.Words)))
				err = uerr.Err
			}
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		hooks.Logger.LogAttrs(ctx, slog.LevelWarn, "request failed; retrying", attrs...)
		return retry, cerr
	}
}

func routeOfURL(raw string, words map[string]bool) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return Route(u.Path, words)
}
