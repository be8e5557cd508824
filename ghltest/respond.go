package ghltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// apiError is HighLevel's (NestJS) error body. Message is a string, or a
// list of strings for validation errors (422).
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Message    any    `json:"message"`
	Error      string `json:"error,omitempty"`
	Meta       any    `json:"meta,omitempty"`
}

// encodeJSON encodes a response body as HighLevel does, without HTML
// escaping.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("ghltest: encoding response: %v", err)) // our own types always encode
	}
	return buf.Bytes()
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) { writeBody(w, status, encodeJSON(v)) }

// writeError writes {"statusCode", "message", "error"}; message is a string
// or a []string.
func writeError(w http.ResponseWriter, status int, message any) {
	writeJSON(w, status, apiError{StatusCode: status, Message: message, Error: http.StatusText(status)})
}

// call is one routed API request. Its handler runs with Server.mu held
// and renders the response into status and out.
type call struct {
	r      *http.Request
	body   []byte
	params map[string]string
	tok    *token
	status int
	out    []byte
}

func (c *call) json(status int, v any) { c.status, c.out = status, encodeJSON(v) }

func (c *call) flush(w http.ResponseWriter) {
	if c.status == 0 {
		panic("ghltest: handler wrote no response")
	}
	writeBody(w, c.status, c.out)
}

func (c *call) error(status int, message any) {
	c.json(status, apiError{StatusCode: status, Message: message, Error: http.StatusText(status)})
}

// notFound answers as HighLevel does for a contact, task or note that does
// not exist: 400 {"statusCode":400,"message":"Contact not found"}, without
// an "error" field. HighLevel's Contacts API never answers 404 for one (the
// spec lists none); only unknown routes get 404.
func (c *call) notFound(what string) {
	c.json(http.StatusBadRequest, apiError{StatusCode: http.StatusBadRequest, Message: what + " not found"})
}

func (c *call) forbidden()               { c.error(http.StatusForbidden, msgLocationAccess) }
func (c *call) invalid(msgs []string)    { c.error(http.StatusUnprocessableEntity, msgs) }
func (c *call) param(name string) string { return c.params[name] }
func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }
func (c *call) queryHas(name string) (string, bool) {
	v, ok := c.r.URL.Query()[name]
	return first(v), ok
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// fields reads a JSON object body and collects class-validator style
// messages, as HighLevel's NestJS validation pipe reports them.
type fields struct {
	m    map[string]json.RawMessage
	errs []string
}

// parseBody decodes the body as a JSON object. An empty body is an empty
// object. It writes 400 and returns false when the body is not an object.
func (c *call) parseBody() (*fields, bool) {
	f := &fields{m: map[string]json.RawMessage{}}
	b := bytes.TrimSpace(c.body)
	if len(b) == 0 {
		return f, true
	}
	if err := json.Unmarshal(b, &f.m); err != nil || f.m == nil {
		c.error(http.StatusBadRequest, "Unexpected token in JSON body")
		return nil, false
	}
	return f, true
}

// readBody is parseBody followed by allow(allowed...): the start of every
// handler whose DTO is a fixed list of properties.
func (c *call) readBody(allowed ...string) (*fields, bool) {
	f, ok := c.parseBody()
	if ok {
		f.allow(allowed...)
	}
	return f, ok
}

// valid answers 422 with f's messages and returns false when reading the
// body collected any; handlers change nothing before it returns true.
func (c *call) valid(f *fields) bool {
	if len(f.errs) > 0 {
		c.invalid(f.errs)
		return false
	}
	return true
}

// allow reports every top-level property not in names, as NestJS's
// forbidNonWhitelisted does.
func (f *fields) allow(names ...string) {
	for _, k := range sortedKeys(f.m) {
		if !slices.Contains(names, k) {
			f.errs = append(f.errs, fmt.Sprintf("property %s should not exist", k))
		}
	}
}

func (f *fields) has(name string) bool {
	_, ok := f.m[name]
	return ok
}

func (f *fields) isNull(name string) bool {
	return string(bytes.TrimSpace(f.m[name])) == "null"
}

// str reads a string property. present reports whether it was sent; a JSON
// null counts as sent and empty when nullable.
func (f *fields) str(name string, required, nullable bool) (v string, present bool) {
	raw, ok := f.m[name]
	if !ok {
		if required {
			f.errs = append(f.errs, name+" should not be empty", name+" must be a string")
		}
		return "", false
	}
	if nullable && f.isNull(name) {
		return "", true
	}
	if err := json.Unmarshal(raw, &v); err != nil || isJSONNull(raw) {
		f.errs = append(f.errs, name+" must be a string")
		return "", false
	}
	if required && strings.TrimSpace(v) == "" {
		f.errs = append(f.errs, name+" should not be empty")
		return "", false
	}
	return v, true
}

func (f *fields) boolean(name string, required bool) (v bool, present bool) {
	raw, ok := f.m[name]
	if !ok {
		if required {
			f.errs = append(f.errs, name+" must be a boolean value")
		}
		return false, false
	}
	if err := json.Unmarshal(raw, &v); err != nil || isJSONNull(raw) {
		f.errs = append(f.errs, name+" must be a boolean value")
		return false, false
	}
	return v, true
}

func (f *fields) strs(name string, required bool) (v []string, present bool) {
	raw, ok := f.m[name]
	if !ok {
		if required {
			f.errs = append(f.errs, name+" must be an array")
		}
		return nil, false
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil || isJSONNull(raw) {
		f.errs = append(f.errs, name+" must be an array")
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		var s string
		if err := json.Unmarshal(e, &s); err != nil || isJSONNull(e) {
			f.errs = append(f.errs, "each value in "+name+" must be a string")
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func (f *fields) number(name string) (v float64, present bool) {
	raw, ok := f.m[name]
	if !ok {
		return 0, false
	}
	if err := json.Unmarshal(raw, &v); err != nil || isJSONNull(raw) {
		f.errs = append(f.errs, name+" must be a number conforming to the specified constraints")
		return 0, false
	}
	return v, true
}

// date reads an ISO 8601 date-time string property.
func (f *fields) date(name string, required bool) (t time.Time, present bool) {
	raw, ok := f.m[name]
	if !ok {
		if required {
			f.errs = append(f.errs, name+" must be a valid ISO 8601 date string")
		}
		return time.Time{}, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.errs = append(f.errs, name+" must be a valid ISO 8601 date string")
		return time.Time{}, false
	}
	t, err := parseISO(s)
	if err != nil {
		f.errs = append(f.errs, name+" must be a valid ISO 8601 date string")
		return time.Time{}, false
	}
	return t, true
}

func isJSONNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// parseISO accepts the date-time forms HighLevel accepts and returns UTC
// time truncated to the millisecond.
func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 date: %q", s)
}

// isoTime formats t as HighLevel does: 2021-07-08T02:30:00.000Z.
func isoTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
