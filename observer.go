package ghl

import (
	"errors"
	"time"

	"github.com/ghlkit/ghl/internal/httpretry"
)

// RequestInfo describes one attempt of a request to HighLevel, for an
// observer given with WithObserver (metrics, tracing). It carries no token,
// ID or query string.
//
// Its fields are those of mattermost.RequestInfo, so that one observer
// function can serve both clients after a conversion.
type RequestInfo struct {
	Method string // GET, POST, ...
	// Route is the path template, such as "/contacts/{id}/tasks/{id}":
	// every segment that is not a word of HighLevel's API is "{id}", so
	// routes are few enough to label a metric.
	Route string
	// Status is HighLevel's HTTP status, or 0 when no answer came (Err).
	Status int
	// Attempt is 1 for the first try, 2 for the first retry, and so on.
	Attempt int
	// Duration is the attempt's time, pacing wait included.
	Duration time.Duration
	// Err is the transport's error when no answer came.
	Err error
}

// WithObserver calls fn after every attempt of every request, retries
// included, from the goroutine making it: fn must be quick and safe for
// concurrent use. The SDK needs no metrics library; fn feeds the caller's.
func WithObserver(fn func(RequestInfo)) Option {
	return func(s *settings) error {
		if fn == nil {
			return errors.New("ghl: WithObserver: fn is nil")
		}
		s.observer = fn
		return nil
	}
}

// routeWords are the path segments of HighLevel's Contacts API and OAuth
// endpoints; any other segment of a path is an ID.
var routeWords = map[string]bool{
	"contacts": true, "bulk": true, "business": true, "tags": true, "update": true,
	"search": true, "duplicate": true, "upsert": true, "appointments": true,
	"campaigns": true, "removeAll": true, "followers": true, "notes": true,
	"tasks": true, "completed": true, "workflow": true,
	"oauth": true, "token": true, "locationToken": true, "installedLocations": true,
}

// hooks returns what the retrying transport reports to.
func (s *settings) hooks() httpretry.Hooks {
	return httpretry.Hooks{Logger: s.logger, Words: routeWords, Observe: httpretry.Observer(s.observer)}
}
