package mattermost

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// maxRequestBody caps what the handlers read from Mattermost.
const maxRequestBody = 1 << 20

// UserError is an error whose Message is shown to the Mattermost user who
// caused it. Return one from a CommandFunc, ActionFunc or DialogFunc for
// failures the user can act on ("No contact with ID x"); any other error is
// logged and the user sees a generic apology with a reference to the log
// line. Message is Markdown: escape untrusted parts with EscapeInline.
type UserError struct {
	Message string
	Err     error // optional cause, for logs
}

// Error returns the message and the cause, if any.
func (e *UserError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *UserError) Unwrap() error { return e.Err }

// UserErrorf returns a *UserError with a formatted message.
func UserErrorf(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

// errorText is what a user sees for err.
func errorText(err error) string {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Message
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return EscapeInline(se.Msg)
	}
	return "Sorry, that did not work."
}

// HandlerOption configures SlashHandler, ActionHandler and DialogHandler.
type HandlerOption func(*handlerConfig) error

type handlerConfig struct {
	logger    *slog.Logger
	responses *ResponseClient
	deferTime time.Duration
}

// WithHandlerLogger logs refused requests and failed handlers to l. Without
// it nothing is logged.
func WithHandlerLogger(l *slog.Logger) HandlerOption {
	return func(c *handlerConfig) error {
		c.logger = l
		return nil
	}
}

// WithResponseClient sets the client a SlashHandler uses to post deferred
// results to response_url (default: NewResponseClient()).
func WithResponseClient(rc *ResponseClient) HandlerOption {
	return func(c *handlerConfig) error {
		if rc == nil {
			return invalidParam("WithResponseClient", "must not be nil")
		}
		c.responses = rc
		return nil
	}
}

// WithDeferTimeout bounds deferred work started with Defer (default 25
// minutes: Mattermost accepts a response_url for 30).
func WithDeferTimeout(d time.Duration) HandlerOption {
	return func(c *handlerConfig) error {
		if d <= 0 {
			return invalidParam("WithDeferTimeout", "must be positive")
		}
		c.deferTime = d
		return nil
	}
}

func newHandlerConfig(opts []HandlerOption) (*handlerConfig, error) {
	c := &handlerConfig{deferTime: 25 * time.Minute}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *handlerConfig) warn(r *http.Request, msg string, args ...any) {
	if c.logger != nil {
		c.logger.WarnContext(r.Context(), msg, append(args, "remote", r.RemoteAddr, "path", r.URL.Path)...)
	}
}

// failure logs err (unless it is a *UserError) and returns the text for
// the user; a generic apology carries a reference to find the log line.
func (c *handlerConfig) failure(r *http.Request, what string, err error) string {
	var ue *UserError
	if errors.As(err, &ue) {
		if c.logger != nil && ue.Err != nil {
			c.logger.InfoContext(r.Context(), what+" refused", "error", err)
		}
		return ue.Message
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return EscapeInline(se.Msg)
	}
	ref := newRef()
	if c.logger != nil {
		c.logger.ErrorContext(r.Context(), what+" failed", "error", err, "ref", ref)
	}
	return "Sorry, that did not work (ref " + ref + ")."
}

func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func refuse(w http.ResponseWriter, status int) {
	http.Error(w, http.StatusText(status), status)
}
