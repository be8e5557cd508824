package mattermost

import (
	"log/slog"
	"time"

	"github.com/ghlkit/ghl/internal/httpretry"
)

// RequestInfo describes one attempt of a request to Mattermost, for an
// observer given with WithObserver (metrics, tracing). It carries no
// token, ID or query string.
//
// Its fields are those of ghl.RequestInfo, so that one observer function
// can serve both clients after a conversion.
type RequestInfo struct {
	Method string // GET, POST, ...
	// Route is the path template, such as "/api/v4/posts/{id}/thread":
	// every segment that is not a word of Mattermost's API is "{id}".
	Route string
	// Status is Mattermost's HTTP status, or 0 when no answer came (Err).
	Status int
	// Attempt is 1 for the first try, 2 for the first retry, and so on.
	Attempt int
	// Duration is the attempt's time.
	Duration time.Duration
	// Err is the transport's error when no answer came.
	Err error
}

// WithObserver calls fn after every attempt of every request, retries
// included, from the goroutine making it: fn must be quick and safe for
// concurrent use.
func WithObserver(fn func(RequestInfo)) Option {
	return func(cfg *config) error {
		if fn == nil {
			return invalidParam("WithObserver", "must not be nil")
		}
		cfg.observer = fn
		return nil
	}
}

// routeWords are the path segments of the REST API the package calls; any
// other segment (an ID, a webhook key) becomes "{id}".
var routeWords = map[string]bool{
	"api": true, "v4": true, "users": true, "me": true, "posts": true,
	"ephemeral": true, "patch": true, "thread": true, "channels": true,
	"members": true, "actions": true, "dialogs": true, "open": true,
	"hooks": true, "commands": true, "teams": true, "roles": true, "name": true,
}

// hooks returns what the retrying transport reports to; logger is the
// redacting logger.
func (cfg *config) hooks(logger *slog.Logger) httpretry.Hooks {
	return httpretry.Hooks{Logger: logger, Words: routeWords, Observe: httpretry.Observer(cfg.observer)}
}
