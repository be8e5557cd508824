package notes

import (
	"context"
	"strings"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/internal/api"
)

// Service calls the Notes operations of the Contacts API. It is safe for
// concurrent use; create it with New.
type Service struct {
	sub api.Sub[Note, envelope, *envelope]
}

// New returns a Service that sends its requests through c, sharing c's
// authentication, retries and rate limit. c must not be nil.
func New(c *ghl.Client) *Service {
	if c == nil {
		panic("notes: New called with a nil *ghl.Client")
	}
	return &Service{sub: api.Sub[Note, envelope, *envelope]{Client: c, Name: "notes", Noun: "note", IDParam: "noteID"}}
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
// Each field is a [ghl.Field]: leave it zero to keep the note's value, or Set
// it to send a value:
//
//	notes.UpdateParams{Body: ghl.Set("Quote sent"), Pinned: ghl.Set(true)}
//
// At least one field must be set. The spec lets no field be null, so
// ghl.Null is refused; clear UserID, Title or Color with ghl.Set(""). Body,
// if set, must not be empty: a note always has a body.
type UpdateParams struct {
	UserID ghl.Field[string] `json:"userId,omitzero"`
	Body   ghl.Field[string] `json:"body,omitzero"`
	Title  ghl.Field[string] `json:"title,omitzero"`
	Color  ghl.Field[string] `json:"color,omitzero"`
	Pinned ghl.Field[bool]   `json:"pinned,omitzero"`
}

// List returns every note of the contact. The API does not paginate notes.
func (s *Service) List(ctx context.Context, contactID string) ([]Note, error) {
	return s.sub.List(ctx, contactID)
}

// Get returns one note. A missing contact or note gives an error for which
// ghl.IsNotFound is true.
func (s *Service) Get(ctx context.Context, contactID, noteID string) (*Note, error) {
	return s.sub.Get(ctx, contactID, noteID)
}

// Create adds a note to the contact and returns it as HighLevel stored it.
//
// Create is not retried once the request may have reached HighLevel. If the
// outcome is unknown (the connection failed without an answer, or HighLevel
// answered 5xx), the error wraps ghl.ErrOutcomeUnknown: the note may exist,
// so List before creating it again.
func (s *Service) Create(ctx context.Context, contactID string, params CreateParams) (*Note, error) {
	if _, err := s.sub.Collection(contactID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(params.Body) == "" {
		return nil, api.InvalidParam("Body", "must not be empty")
	}
	body := createBody{
		UserID: params.UserID,
		Body:   params.Body,
		Title:  params.Title,
		Color:  params.Color,
		Pinned: params.Pinned,
	}
	return s.sub.Create(ctx, contactID, body)
}

// Update changes the fields set in params and returns the updated note.
func (s *Service) Update(ctx context.Context, contactID, noteID string, params UpdateParams) (*Note, error) {
	if _, err := s.sub.Item(contactID, noteID); err != nil {
		return nil, err
	}
	if params == (UpdateParams{}) {
		return nil, api.InvalidParam("params", "no field is set")
	}
	if err := api.NotNull(
		api.Nullable{Name: "UserID", Null: params.UserID.IsNull()},
		api.Nullable{Name: "Body", Null: params.Body.IsNull()},
		api.Nullable{Name: "Title", Null: params.Title.IsNull()},
		api.Nullable{Name: "Color", Null: params.Color.IsNull()},
		api.Nullable{Name: "Pinned", Null: params.Pinned.IsNull()},
	); err != nil {
		return nil, err
	}
	if b, ok := params.Body.Get(); ok && strings.TrimSpace(b) == "" {
		return nil, api.InvalidParam("Body", "must not be empty")
	}
	return s.sub.Put(ctx, contactID, noteID, "", params)
}

// Delete removes the note. It returns nil when HighLevel confirms the delete,
// and an error wrapping ghl.ErrNotSucceeded if HighLevel answers success
// status but {"succeded": false}. A missing note gives an error for which
// ghl.IsNotFound is true.
//
// Delete is retried after a dropped connection. If the first attempt had
// already removed the note, the retry answers 404; a caller that only needs
// the note gone can treat ghl.IsNotFound as success.
func (s *Service) Delete(ctx context.Context, contactID, noteID string) error {
	return s.sub.Delete(ctx, contactID, noteID)
}
