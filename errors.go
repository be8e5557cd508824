package ghl

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ghlkit/ghl/internal/httpretry"
)

// Sentinel errors. Test for them with errors.Is; an *APIError matches the one
// that fits its status code.
var (
	// ErrOutcomeUnknown: a create (POST) may or may not have been applied by
	// HighLevel, because the connection failed after the request was sent or
	// HighLevel answered 5xx. ghlkit never repeats such a request by itself,
	// since that could create a duplicate task, note or contact; look the
	// record up before trying again.
	ErrOutcomeUnknown = httpretry.ErrOutcomeUnknown
	// ErrNotFound matches a 404 from HighLevel, lookups that found nothing,
	// and 2xx answers that lack the record they should wrap.
	ErrNotFound = errors.New("ghl: not found")
	// ErrUnauthorized matches a 401: a missing, expired or revoked token, or
	// one without the scope the call needs.
	ErrUnauthorized = errors.New("ghl: unauthorized")
	// ErrRateLimited matches a 429 that outlasted the retries.
	ErrRateLimited = errors.New("ghl: rate limited")
	// ErrInvalidParam matches every *ParamError.
	ErrInvalidParam = errors.New("ghl: invalid parameter")
	// ErrMissingScope matches every *ScopeError.
	ErrMissingScope = errors.New("ghl: token lacks a required scope")
	// ErrNotSucceeded: HighLevel answered a change (a delete, a campaign
	// or workflow enrolment, …) with a success status but {"succeded":
	// false} (the API's spelling). The change may not have been applied.
	ErrNotSucceeded = errors.New("ghl: HighLevel did not confirm the change")
)

// maxErrorBody caps how much of an error response is kept.
const maxErrorBody = 1 << 20

// APIError is a non-2xx answer from HighLevel.
//
//	var apiErr *ghl.APIError
//	if errors.As(err, &apiErr) { log.Println(apiErr.StatusCode, apiErr.Message) }
type APIError struct {
	Method     string // the request's method
	Path       string // the request's path, without the query
	StatusCode int
	// Message is HighLevel's message; when it sent a list (422s do), the
	// items joined with "; ". Messages holds them one by one.
	Message   string
	Messages  []string
	ErrorName string    // HighLevel's "error" field, such as "Unauthorized"
	Body      []byte    // the raw body, at most 1 MiB
	Rate      RateState // the rate-limit headers of the response

	outcomeUnknown bool
}

// Error describes the call and HighLevel's answer; it never holds a token.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ghl: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.outcomeUnknown {
		b.WriteString(" (")
		b.WriteString(ErrOutcomeUnknown.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Is lets errors.Is match the sentinel for the status code, and
// ErrOutcomeUnknown for a create answered with 5xx.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.notFound()
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrOutcomeUnknown:
		return e.outcomeUnknown
	}
	return false
}

// newAPIError decodes HighLevel's error body, whose message is a string or
// an array of strings.
func newAPIError(method, path string, status int, body []byte, rate RateState) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status, Body: body, Rate: rate}
	var wire struct {
		Message json.RawMessage `json:"message"`
		Error   string          `json:"error"`
	}
	if json.Unmarshal(body, &wire) != nil {
		return e
	}
	e.ErrorName = wire.Error
	var one string
	if json.Unmarshal(wire.Message, &one) == nil {
		e.Message = one
		if one != "" {
			e.Messages = []string{one}
		}
	} else if json.Unmarshal(wire.Message, &e.Messages) == nil {
		e.Message = strings.Join(e.Messages, "; ")
	}
	if e.Message == "" {
		e.Message = wire.Error
	}
	return e
}

// IsNotFound reports whether err says the record does not exist: an
// *APIError for a 404, or for the 400 HighLevel's Contacts API answers when
// a contact, task or note does not exist ({"statusCode":400,"message":
// "Contact not found"}; the spec lists no 404 on those routes), or a lookup
// that found nothing. errors.Is(err, ErrNotFound) is the same test.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// notFound reports whether HighLevel's answer says the record does not
// exist: a 404, or a 400 whose message says a contact, task or note was not
// found ("Contact not found", "Task not found.", "Note with id X not
// found", in any case). Other 400s (a bad Version header, a duplicate
// contact) are not.
func (e *APIError) notFound() bool {
	switch e.StatusCode {
	case http.StatusNotFound:
		return true
	case http.StatusBadRequest:
		msg := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(e.Message)), ".")
		if !strings.HasSuffix(msg, " not found") {
			return false
		}
		record, _, _ := strings.Cut(msg, " ")
		return record == "contact" || record == "task" || record == "note"
	}
	return false
}

// IsUnauthorized reports whether HighLevel refused the token (401).
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsRateLimited reports whether HighLevel's rate limit outlasted the retries.
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// ParamError reports bad input found before any request was sent.
type ParamError struct {
	Param  string // the parameter's name, as in the Go API
	Reason string
}

// Error names the parameter and what is wrong with it.
func (e *ParamError) Error() string {
	return "ghl: invalid parameter " + e.Param + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidParam) true.
func (e *ParamError) Is(target error) bool { return target == ErrInvalidParam }

// ScopeError reports a call refused before sending because the token's
// granted scopes do not include the one the call needs.
type ScopeError struct {
	Scope        string // the missing scope, such as "contacts.write"
	Method, Path string
}

// Error names the call and the scope it needs.
func (e *ScopeError) Error() string {
	return fmt.Sprintf("ghl: %s %s needs scope %q, which the token was not granted", e.Method, e.Path, e.Scope)
}

// Is makes errors.Is(err, ErrMissingScope) true.
func (e *ScopeError) Is(target error) bool { return target == ErrMissingScope }
