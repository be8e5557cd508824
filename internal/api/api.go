// Package api is what the service packages (contacts, tasks, notes) share
// beyond the public ghl.Client: checking IDs, refusing bad input, unwrapping
// HighLevel's response envelopes, reading its {"succeded": …} answers, paging,
// and the five calls of a record that lives under a contact. It is internal
// because users need none of it: they call the services.
package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/ghlkit/ghl"
)

// InvalidParam returns a *ghl.ParamError, the one way bad input is refused
// before anything is sent.
func InvalidParam(param, reason string) error {
	return &ghl.ParamError{Param: param, Reason: reason}
}

// CheckID refuses an ID that is empty, blank, "." or "..", naming param in
// the *ghl.ParamError, so that the error says which argument was wrong.
func CheckID(param, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return InvalidParam(param, "must not be empty")
	case id == "." || id == "..":
		return InvalidParam(param, fmt.Sprintf("%q is not a valid ID", id))
	}
	return nil
}

// IDPath checks each ID (named by the parallel names) and fills them into
// format with ghl.Path.
func IDPath(format string, names []string, ids ...string) (string, error) {
	for i, id := range ids {
		if err := CheckID(names[i], id); err != nil {
			return "", err
		}
	}
	return ghl.Path(format, ids...)
}

// Envelope is a response type that wraps records of type T, as HighLevel
// wraps them: {"task": {…}} for one, {"tasks": […]} for many.
type Envelope[T any] interface {
	OneEnvelope[T]
	Many() []T
}

// OneEnvelope is a response type that wraps one record of type T.
type OneEnvelope[T any] interface {
	One() *T
}

// One sends r and returns the record HighLevel wrapped in an E. A 2xx answer
// without the record (such as the duplicate lookup's "contact": null) is
// reported as ghl.ErrNotFound documents it: the one way a missing envelope is
// reported.
func One[T, E any, PE interface {
	*E
	OneEnvelope[T]
}](ctx context.Context, c *ghl.Client, r *ghl.Request, noun string) (*T, error) {
	var out E
	if _, err := c.Do(ctx, r, &out); err != nil {
		return nil, err
	}
	rec := PE(&out).One()
	if rec == nil {
		return nil, fmt.Errorf("ghl: %s %s: no %q in the response: %w", r.Method, r.Path, noun, ghl.ErrNotFound)
	}
	return rec, nil
}

// Many sends r and returns the records HighLevel wrapped in an E.
func Many[T, E any, PE interface {
	*E
	Envelope[T]
}](ctx context.Context, c *ghl.Client, r *ghl.Request) ([]T, error) {
	var out E
	if _, err := c.Do(ctx, r, &out); err != nil {
		return nil, err
	}
	return PE(&out).Many(), nil
}

// Succeeded sends r and reads HighLevel's {"succeded": bool} (the API's
// spelling): false gives an error wrapping ghl.ErrNotSucceeded. An answer
// without the member is a success, which its 2xx status already says.
func Succeeded(ctx context.Context, c *ghl.Client, r *ghl.Request) error {
	var out struct {
		Succeded *bool `json:"succeded"`
	}
	if _, err := c.Do(ctx, r, &out); err != nil {
		return err
	}
	if out.Succeded != nil && !*out.Succeded {
		return fmt.Errorf("%w: %s %s answered {\"succeded\": false}", ghl.ErrNotSucceeded, r.Method, r.Path)
	}
	return nil
}

// Sub is a record that lives under a contact, /contacts/{contactId}/{Name}/{id}
// (tasks and notes): one implementation of their List, Get, Create, Update
// and Delete. E is the envelope HighLevel wraps them in.
type Sub[T, E any, PE interface {
	*E
	Envelope[T]
}] struct {
	Client  *ghl.Client
	Name    string // the path segment, such as "tasks"
	Noun    string // one record in the envelope, such as "task"
	IDParam string // the ID's name in errors, such as "taskID"
}

// Collection checks contactID and returns /contacts/{contactID}/{Name}.
func (s Sub[T, E, PE]) Collection(contactID string) (string, error) {
	return IDPath("/contacts/%s/"+s.Name, []string{"contactID"}, contactID)
}

// Item checks the IDs and returns /contacts/{contactID}/{Name}/{id}.
func (s Sub[T, E, PE]) Item(contactID, id string) (string, error) {
	return IDPath("/contacts/%s/"+s.Name+"/%s", []string{"contactID", s.IDParam}, contactID, id)
}

// List returns every record of the contact; HighLevel does not page them.
func (s Sub[T, E, PE]) List(ctx context.Context, contactID string) ([]T, error) {
	path, err := s.Collection(contactID)
	if err != nil {
		return nil, err
	}
	return Many[T, E, PE](ctx, s.Client, &ghl.Request{Method: "GET", Path: path})
}

// Get returns one record.
func (s Sub[T, E, PE]) Get(ctx context.Context, contactID, id string) (*T, error) {
	path, err := s.Item(contactID, id)
	if err != nil {
		return nil, err
	}
	return One[T, E, PE](ctx, s.Client, &ghl.Request{Method: "GET", Path: path}, s.Noun)
}

// Create POSTs body to the collection and returns the record created.
func (s Sub[T, E, PE]) Create(ctx context.Context, contactID string, body any) (*T, error) {
	path, err := s.Collection(contactID)
	if err != nil {
		return nil, err
	}
	return One[T, E, PE](ctx, s.Client, &ghl.Request{Method: "POST", Path: path, Body: body}, s.Noun)
}

// Put PUTs body to the record's path plus suffix ("" or such as
// "/completed") and returns the updated record.
func (s Sub[T, E, PE]) Put(ctx context.Context, contactID, id, suffix string, body any) (*T, error) {
	path, err := s.Item(contactID, id)
	if err != nil {
		return nil, err
	}
	return One[T, E, PE](ctx, s.Client, &ghl.Request{Method: "PUT", Path: path + suffix, Body: body}, s.Noun)
}

// Delete removes the record, reading HighLevel's {"succeded": …}.
func (s Sub[T, E, PE]) Delete(ctx context.Context, contactID, id string) error {
	path, err := s.Item(contactID, id)
	if err != nil {
		return err
	}
	return Succeeded(ctx, s.Client, &ghl.Request{Method: "DELETE", Path: path})
}

// Nullable names one field of an UpdateParams and whether it was set to
// ghl.Null.
type Nullable struct {
	Name string
	Null bool
}

// NotNull refuses the first field set to ghl.Null: the spec does not let
// these fields be null.
func NotNull(fields ...Nullable) error {
	for _, f := range fields {
		if f.Null {
			return InvalidParam(f.Name, "HighLevel does not accept null here; clear it with an empty value")
		}
	}
	return nil
}
