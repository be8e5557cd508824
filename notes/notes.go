package notes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ghlkit/ghl"
)

// ErrNotDeleted reports a delete that HighLevel answered with success status
// but {"succeded": false} (the API's spelling): the note may still exist.
var ErrNotDeleted = errors.New("notes: HighLevel did not confirm the delete")

// Service calls the Notes operations of the Contacts API. It is safe for
// concurrent use; create it with New.
type Service struct {
	client *ghl.Client
}

// New returns a Service that sends its requests through c, sharing c's
// authentication, retries and rate limit. c must not be nil.
func New(c *ghl.Client) *Service {
	if c == nil {
		panic("notes: New called with a nil *ghl.Client")
	}
	return &Service{client: c}
}

// CreateParams describes a new note (the spec's NotesDTO). Body is required.
type CreateParams struct {
	Body string
	// UserID attributes the note to a HighLevel user; optional.
	UserID string
	Title  string
	Color  string // a CSS hex colour such as "#FFAA00"
	Pinned bool
}

// createBody is CreateParams on the wire; fields left empty are not sent.
type createBody struct {
	UserID string `json:"userId,omitempty"`
	Body   string `json:"body"`
	Title  string `json:"title,omitempty"`
	Color  string `json:"color,omitempty"`
	Pinned bool   `json:"pinned,omitempty"`
}

// UpdateParams changes some fields of a note (the spec's UpdateNoteDTO).
// Only non-nil fields are sent, so a field left nil keeps its value in
// HighLevel. With Go 1.26 a pointer is written inline:
//
//	notes.UpdateParams{Body: new("Quote sent"), Pinned: new(true)}
//
// At least one field must be set. Body, if set, must not be empty: a note
// always has a body. The other strings may be set to "" to clear them.
type UpdateParams struct {
	UserID *string
	Body   *string
	Title  *string
	Color  *string
	Pinned *bool
}

// updateBody is UpdateParams on the wire.
type updateBody struct {
	UserID *string `json:"userId,omitempty"`
	Body   *string `json:"body,omitempty"`
	Title  *string `json:"title,omitempty"`
	Color  *string `json:"color,omitempty"`
	Pinned *bool   `json:"pinned,omitempty"`
}

// One note or many, as HighLevel wraps them.
type (
	noteResponse struct {
		Note *Note `json:"note"`
	}
	notesResponse struct {
		Notes []Note `json:"notes"`
	}
	// deleteResponse keeps "succeded" as HighLevel spells it; nil means the
	// field was absent, which a 2xx status already answers.
	deleteResponse struct {
		Succeded *bool `json:"succeded"`
	}
)

// List returns every note of the contact. The API does not paginate notes.
func (s *Service) List(ctx context.Context, contactID string) ([]Note, error) {
	path, err := collectionPath(contactID)
	if err != nil {
		return nil, err
	}
	var out notesResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodGet, Path: path}, &out); err != nil {
		return nil, err
	}
	return out.Notes, nil
}

// Get returns one note. A missing contact or note gives an error for which
// ghl.IsNotFound is true.
func (s *Service) Get(ctx context.Context, contactID, noteID string) (*Note, error) {
	path, err := notePath(contactID, noteID)
	if err != nil {
		return nil, err
	}
	return s.doNote(ctx, &ghl.Request{Method: http.MethodGet, Path: path})
}

// Create adds a note to the contact and returns it as HighLevel stored it.
//
// Create is not retried once the request may have reached HighLevel. If the
// outcome is unknown (the connection failed without an answer, or HighLevel
// answered 5xx), the error wraps ghl.ErrOutcomeUnknown: the note may exist,
// so List before creating it again.
func (s *Service) Create(ctx context.Context, contactID string, params CreateParams) (*Note, error) {
	path, err := collectionPath(contactID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(params.Body) == "" {
		return nil, ghl.InvalidParam("Body", "must not be empty")
	}
	body := createBody{
		UserID: params.UserID,
		Body:   params.Body,
		Title:  params.Title,
		Color:  params.Color,
		Pinned: params.Pinned,
	}
	return s.doNote(ctx, &ghl.Request{Method: http.MethodPost, Path: path, Body: body})
}

// Update changes the fields set in params and returns the updated note.
func (s *Service) Update(ctx context.Context, contactID, noteID string, params UpdateParams) (*Note, error) {
	path, err := notePath(contactID, noteID)
	if err != nil {
		return nil, err
	}
	switch {
	case params == UpdateParams{}:
		return nil, ghl.InvalidParam("params", "no field is set")
	case params.Body != nil && strings.TrimSpace(*params.Body) == "":
		return nil, ghl.InvalidParam("Body", "must not be empty")
	}
	body := updateBody(params)
	return s.doNote(ctx, &ghl.Request{Method: http.MethodPut, Path: path, Body: body})
}

// Delete removes the note. It returns nil when HighLevel confirms the delete,
// and an error wrapping ErrNotDeleted if HighLevel answers success status but
// {"succeded": false}. A missing note gives an error for which
// ghl.IsNotFound is true.
//
// Delete is retried after a dropped connection. If the first attempt had
// already removed the note, the retry answers 404; a caller that only needs
// the note gone can treat ghl.IsNotFound as success.
func (s *Service) Delete(ctx context.Context, contactID, noteID string) error {
	path, err := notePath(contactID, noteID)
	if err != nil {
		return err
	}
	var out deleteResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodDelete, Path: path}, &out); err != nil {
		return err
	}
	if out.Succeded != nil && !*out.Succeded {
		return fmt.Errorf("%w: DELETE %s answered {\"succeded\": false}", ErrNotDeleted, path)
	}
	return nil
}

// doNote sends r and unwraps the {"note": …} answer.
func (s *Service) doNote(ctx context.Context, r *ghl.Request) (*Note, error) {
	var out noteResponse
	if _, err := s.client.Do(ctx, r, &out); err != nil {
		return nil, err
	}
	if out.Note == nil {
		return nil, fmt.Errorf("notes: %s %s: response has no \"note\"", r.Method, r.Path)
	}
	return out.Note, nil
}

// collectionPath validates contactID and builds /contacts/{contactID}/notes.
func collectionPath(contactID string) (string, error) {
	if err := ghl.CheckID("contactID", contactID); err != nil {
		return "", err
	}
	return ghl.Path("/contacts/%s/notes", contactID)
}

// notePath validates the IDs and builds /contacts/{contactID}/notes/{noteID}.
func notePath(contactID, noteID string) (string, error) {
	if err := ghl.CheckID("contactID", contactID); err != nil {
		return "", err
	}
	if err := ghl.CheckID("noteID", noteID); err != nil {
		return "", err
	}
	return ghl.Path("/contacts/%s/notes/%s", contactID, noteID)
}
