package mattermost

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ghlkit/ghl/internal/httpretry"
)

// ErrInvalidParam is matched (errors.Is) by every error reporting bad input
// found before a request is sent.
var ErrInvalidParam = errors.New("mattermost: invalid parameter")

// ErrOutcomeUnknown is matched (errors.Is) by the error of a request that is
// not safe to repeat (an incoming-webhook post) and that failed in a way that
// leaves open whether Mattermost applied it: the connection broke after the
// request was sent, or the server answered 5xx. It was not retried, so that
// a message is never posted twice. It is the same value as ghl.ErrOutcomeUnknown.
//
// Client.CreatePost never reports it for a lost connection: creates carry a
// pending_post_id and are retried safely.
var ErrOutcomeUnknown = httpretry.ErrOutcomeUnknown

// ParamError reports a bad argument. errors.Is(err, ErrInvalidParam) is true.
type ParamError struct {
	Param  string
	Reason string
}

// Error returns "mattermost: invalid parameter <param>: <reason>".
func (e *ParamError) Error() string {
	return "mattermost: invalid parameter " + e.Param + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidParam) true.
func (e *ParamError) Is(target error) bool { return target == ErrInvalidParam }

func invalidParam(param, reason string) error {
	return &ParamError{Param: param, Reason: reason}
}

// maxErrorBody caps how much of an error response is kept.
const maxErrorBody = 1 << 20

// APIError is a non-2xx answer from Mattermost, decoded from its error body
// {"id", "message", "detailed_error", "request_id", "status_code"}.
//
//	var apiErr *mattermost.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden { ... }
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// ID is Mattermost's error key, e.g. "api.context.session_expired.app_error".
	ID            string
	Message       string
	DetailedError string
	RequestID     string
	// Body is the raw response body, at most 1 MiB.
	Body []byte
	// Method and Path identify the request. A webhook key in the path is
	// masked.
	Method, Path string
}

// Error describes the request, the status and Mattermost's message, ID and
// request ID.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mattermost: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	} else if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	var extra []string
	if e.ID != "" {
		extra = append(extra, e.ID)
	}
	if e.RequestID != "" {
		extra = append(extra, "request_id "+e.RequestID)
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

// newAPIError decodes Mattermost's error body; a body that is not its JSON
// (a proxy's HTML page, a plain "Invalid webhook") is kept in Body and, when
// short, used as the message.
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{StatusCode: status, Body: body, Method: method, Path: path}
	var w struct {
		ID            string `json:"id"`
		Message       string `json:"message"`
		DetailedError string `json:"detailed_error"`
		RequestID     string `json:"request_id"`
	}
	if json.Unmarshal(body, &w) == nil {
		e.ID, e.Message, e.DetailedError, e.RequestID = w.ID, w.Message, w.DetailedError, w.RequestID
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) <= 200 && !strings.ContainsAny(s, "<>") {
		e.Message = s
	}
	return e
}

// IsNotFound reports whether err is an *APIError with status 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsUnauthorized reports whether err is an *APIError with status 401 (a
// missing, revoked or expired token).
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports whether err is an *APIError with status 403 (the token
// is valid but may not do this, e.g. post in a channel the bot is not in).
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

func hasStatus(err error, status int) bool {
	var e *APIError
	return errors.As(err, &e) && e.StatusCode == status
}
