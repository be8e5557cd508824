package tasks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/internal/isotime"
)

// ErrNotDeleted reports a delete that HighLevel answered with success status
// but {"succeded": false} (the API's spelling): the task may still exist.
var ErrNotDeleted = errors.New("tasks: HighLevel did not confirm the delete")

// Service calls the Tasks operations of the Contacts API. It is safe for
// concurrent use; create it with New.
type Service struct {
	client *ghl.Client
}

// New returns a Service that sends its requests through c, sharing c's
// authentication, retries and rate limit. c must not be nil.
func New(c *ghl.Client) *Service {
	if c == nil {
		panic("tasks: New called with a nil *ghl.Client")
	}
	return &Service{client: c}
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

// UpdateParams changes some fields of a task. Only non-nil fields are sent,
// so a field left nil keeps its value in HighLevel. With Go 1.26 a pointer is
// written inline:
//
//	tasks.UpdateParams{Title: new("Call back"), Completed: new(true)}
//
// At least one field must be set. Title, if set, must not be empty, and
// DueDate, if set, must not be the zero time: a task always has both. Body
// and AssignedTo may be set to "" to clear them.
type UpdateParams struct {
	Title      *string
	Body       *string
	DueDate    *time.Time
	Completed  *bool
	AssignedTo *string
}

// updateBody is UpdateParams on the wire (the spec's UpdateTaskBody).
type updateBody struct {
	Title      *string       `json:"title,omitempty"`
	Body       *string       `json:"body,omitempty"`
	DueDate    *isotime.Time `json:"dueDate,omitempty"`
	Completed  *bool         `json:"completed,omitempty"`
	AssignedTo *string       `json:"assignedTo,omitempty"`
}

// One task or many, as HighLevel wraps them.
type (
	taskResponse struct {
		Task *Task `json:"task"`
	}
	tasksResponse struct {
		Tasks []Task `json:"tasks"`
	}
	// deleteResponse keeps "succeded" as HighLevel spells it; nil means the
	// field was absent, which a 2xx status already answers.
	deleteResponse struct {
		Succeded *bool `json:"succeded"`
	}
)

// List returns every task of the contact. The API does not paginate tasks.
func (s *Service) List(ctx context.Context, contactID string) ([]Task, error) {
	path, err := collectionPath(contactID)
	if err != nil {
		return nil, err
	}
	var out tasksResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodGet, Path: path}, &out); err != nil {
		return nil, err
	}
	return out.Tasks, nil
}

// Get returns one task. A missing contact or task gives an error for which
// ghl.IsNotFound is true.
func (s *Service) Get(ctx context.Context, contactID, taskID string) (*Task, error) {
	path, err := taskPath(contactID, taskID)
	if err != nil {
		return nil, err
	}
	return s.doTask(ctx, &ghl.Request{Method: http.MethodGet, Path: path})
}

// Create adds a task to the contact and returns it as HighLevel stored it.
//
// Create is not retried once the request may have reached HighLevel. If the
// outcome is unknown (the connection failed without an answer, or HighLevel
// answered 5xx), the error wraps ghl.ErrOutcomeUnknown: the task may exist,
// so List before creating it again.
func (s *Service) Create(ctx context.Context, contactID string, params CreateParams) (*Task, error) {
	path, err := collectionPath(contactID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(params.Title) == "" {
		return nil, ghl.InvalidParam("Title", "must not be empty")
	}
	if params.DueDate.IsZero() {
		return nil, ghl.InvalidParam("DueDate", "must be set")
	}
	body := createBody{
		Title:      params.Title,
		Body:       params.Body,
		DueDate:    isotime.Time(params.DueDate),
		Completed:  params.Completed,
		AssignedTo: params.AssignedTo,
	}
	return s.doTask(ctx, &ghl.Request{Method: http.MethodPost, Path: path, Body: body})
}

// Update changes the fields set in params and returns the updated task.
func (s *Service) Update(ctx context.Context, contactID, taskID string, params UpdateParams) (*Task, error) {
	path, err := taskPath(contactID, taskID)
	if err != nil {
		return nil, err
	}
	body := updateBody{
		Title:      params.Title,
		Body:       params.Body,
		Completed:  params.Completed,
		AssignedTo: params.AssignedTo,
	}
	switch {
	case params == UpdateParams{}:
		return nil, ghl.InvalidParam("params", "no field is set")
	case params.Title != nil && strings.TrimSpace(*params.Title) == "":
		return nil, ghl.InvalidParam("Title", "must not be empty")
	case params.DueDate != nil && params.DueDate.IsZero():
		return nil, ghl.InvalidParam("DueDate", "must not be the zero time")
	}
	if params.DueDate != nil {
		d := isotime.Time(*params.DueDate)
		body.DueDate = &d
	}
	return s.doTask(ctx, &ghl.Request{Method: http.MethodPut, Path: path, Body: body})
}

// SetCompleted marks the task completed or not and returns the updated task.
func (s *Service) SetCompleted(ctx context.Context, contactID, taskID string, completed bool) (*Task, error) {
	path, err := taskPath(contactID, taskID)
	if err != nil {
		return nil, err
	}
	body := struct {
		Completed bool `json:"completed"`
	}{completed}
	return s.doTask(ctx, &ghl.Request{Method: http.MethodPut, Path: path + "/completed", Body: body})
}

// Delete removes the task. It returns nil when HighLevel confirms the delete,
// and an error wrapping ErrNotDeleted if HighLevel answers success status but
// {"succeded": false}. A missing task gives an error for which
// ghl.IsNotFound is true.
//
// Delete is retried after a dropped connection. If the first attempt had
// already removed the task, the retry answers 404; a caller that only needs
// the task gone can treat ghl.IsNotFound as success.
func (s *Service) Delete(ctx context.Context, contactID, taskID string) error {
	path, err := taskPath(contactID, taskID)
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

// doTask sends r and unwraps the {"task": …} answer.
func (s *Service) doTask(ctx context.Context, r *ghl.Request) (*Task, error) {
	var out taskResponse
	if _, err := s.client.Do(ctx, r, &out); err != nil {
		return nil, err
	}
	if out.Task == nil {
		return nil, fmt.Errorf("tasks: %s %s: response has no \"task\"", r.Method, r.Path)
	}
	return out.Task, nil
}

// collectionPath validates contactID and builds /contacts/{contactID}/tasks.
func collectionPath(contactID string) (string, error) {
	if err := ghl.CheckID("contactID", contactID); err != nil {
		return "", err
	}
	return ghl.Path("/contacts/%s/tasks", contactID)
}

// taskPath validates the IDs and builds /contacts/{contactID}/tasks/{taskID}.
func taskPath(contactID, taskID string) (string, error) {
	if err := ghl.CheckID("contactID", contactID); err != nil {
		return "", err
	}
	if err := ghl.CheckID("taskID", taskID); err != nil {
		return "", err
	}
	return ghl.Path("/contacts/%s/tasks/%s", contactID, taskID)
}
