package tasks

import (
	"context"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/internal/api"
	"github.com/ghlkit/ghl/internal/isotime"
)

// Service calls the Tasks operations of the Contacts API. It is safe for
// concurrent use; create it with New.
type Service struct {
	sub api.Sub[Task, envelope, *envelope]
}

// New returns a Service that sends its requests through c, sharing c's
// authentication, retries and rate limit. c must not be nil.
func New(c *ghl.Client) *Service {
	if c == nil {
		panic("tasks: New called with a nil *ghl.Client")
	}
	return &Service{sub: api.Sub[Task, envelope, *envelope]{Client: c, Name: "tasks", Noun: "task", IDParam: "taskID"}}
}

// CreateParams describes a new task. Title and DueDate are required;
// Completed is always sent, because the API requires it.
type CreateParams struct {
	Title      string
	Body       string
	DueDate    time.Time // sent in UTC as "2006-01-02T15:04:05.000Z"
	Completed  bool
	AssignedTo string // user ID; empty leaves the task unassigned
}

// createBody is CreateParams on the wire (the spec's CreateTaskParams).
type createBody struct {
	Title      string       `json:"title"`
	Body       string       `json:"body,omitempty"`
	DueDate    isotime.Time `json:"dueDate"`
	Completed  bool         `json:"completed"`
	AssignedTo string       `json:"assignedTo,omitempty"`
}

// UpdateParams changes some fields of a task (the spec's UpdateTaskBody).
// Each field is a [ghl.Field]: leave it zero to keep the task's value, or Set
// it to send a value:
//
//	tasks.UpdateParams{Title: ghl.Set("Call back"), Completed: ghl.Set(true)}
//
// At least one field must be set. The spec lets no field be null, so
// ghl.Null is refused; clear Body or AssignedTo with ghl.Set(""). Title, if
// set, must not be empty, and DueDate must not be the zero time: a task
// always has both.
type UpdateParams struct {
	Title      ghl.Field[string]
	Body       ghl.Field[string]
	DueDate    ghl.Field[time.Time]
	Completed  ghl.Field[bool]
	AssignedTo ghl.Field[string]
}

// updateBody is UpdateParams on the wire (the spec's UpdateTaskBody).
type updateBody struct {
	Title      ghl.Field[string]       `json:"title,omitzero"`
	Body       ghl.Field[string]       `json:"body,omitzero"`
	DueDate    ghl.Field[isotime.Time] `json:"dueDate,omitzero"`
	Completed  ghl.Field[bool]         `json:"completed,omitzero"`
	AssignedTo ghl.Field[string]       `json:"assignedTo,omitzero"`
}

// List returns every task of the contact. The API does not paginate tasks.
func (s *Service) List(ctx context.Context, contactID string) ([]Task, error) {
	return s.sub.List(ctx, contactID)
}

// Get returns one task. A missing contact or task gives an error for which
// ghl.IsNotFound is true.
func (s *Service) Get(ctx context.Context, contactID, taskID string) (*Task, error) {
	return s.sub.Get(ctx, contactID, taskID)
}

// Create adds a task to the contact and returns it as HighLevel stored it.
//
// Create is not retried once the request may have reached HighLevel. If the
// outcome is unknown (the connection failed without an answer, or HighLevel
// answered 5xx), the error wraps ghl.ErrOutcomeUnknown: the task may exist,
// so List before creating it again.
func (s *Service) Create(ctx context.Context, contactID string, params CreateParams) (*Task, error) {
	if _, err := s.sub.Collection(contactID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(params.Title) == "" {
		return nil, api.InvalidParam("Title", "must not be empty")
	}
	if params.DueDate.IsZero() {
		return nil, api.InvalidParam("DueDate", "must be set")
	}
	body := createBody{
		Title:      params.Title,
		Body:       params.Body,
		DueDate:    isotime.Time(params.DueDate),
		Completed:  params.Completed,
		AssignedTo: params.AssignedTo,
	}
	return s.sub.Create(ctx, contactID, body)
}

// Update changes the fields set in params and returns the updated task.
func (s *Service) Update(ctx context.Context, contactID, taskID string, params UpdateParams) (*Task, error) {
	if _, err := s.sub.Item(contactID, taskID); err != nil {
		return nil, err
	}
	if err := checkUpdate(params); err != nil {
		return nil, err
	}
	body := updateBody{
		Title:      params.Title,
		Body:       params.Body,
		Completed:  params.Completed,
		AssignedTo: params.AssignedTo,
	}
	if d, ok := params.DueDate.Get(); ok {
		body.DueDate = ghl.Set(isotime.Time(d))
	}
	return s.sub.Put(ctx, contactID, taskID, "", body)
}

func checkUpdate(p UpdateParams) error {
	if p == (UpdateParams{}) {
		return api.InvalidParam("params", "no field is set")
	}
	if err := api.NotNull(
		api.Nullable{Name: "Title", Null: p.Title.IsNull()},
		api.Nullable{Name: "Body", Null: p.Body.IsNull()},
		api.Nullable{Name: "DueDate", Null: p.DueDate.IsNull()},
		api.Nullable{Name: "Completed", Null: p.Completed.IsNull()},
		api.Nullable{Name: "AssignedTo", Null: p.AssignedTo.IsNull()},
	); err != nil {
		return err
	}
	if t, ok := p.Title.Get(); ok && strings.TrimSpace(t) == "" {
		return api.InvalidParam("Title", "must not be empty")
	}
	if d, ok := p.DueDate.Get(); ok && d.IsZero() {
		return api.InvalidParam("DueDate", "must not be the zero time")
	}
	return nil
}

// SetCompleted marks the task completed or not and returns the updated task.
func (s *Service) SetCompleted(ctx context.Context, contactID, taskID string, completed bool) (*Task, error) {
	body := struct {
		Completed bool `json:"completed"`
	}{completed}
	return s.sub.Put(ctx, contactID, taskID, "/completed", body)
}

// Delete removes the task. It returns nil when HighLevel confirms the delete,
// and an error wrapping ghl.ErrNotSucceeded if HighLevel answers success
// status but {"succeded": false}. A missing task gives an error for which
// ghl.IsNotFound is true.
//
// Delete is retried after a dropped connection. If the first attempt had
// already removed the task, the retry answers 404; a caller that only needs
// the task gone can treat ghl.IsNotFound as success.
func (s *Service) Delete(ctx context.Context, contactID, taskID string) error {
	return s.sub.Delete(ctx, contactID, taskID)
}
