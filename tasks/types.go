package tasks

import (
	"encoding/json"
	"time"

	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/jsonx"
)

// Task is a task on a contact, as HighLevel returns it (the spec's TaskSchema).
//
// Task implements [json.Marshaler] and [json.Unmarshaler] so that DueDate can
// be a plain time.Time while the wire tolerates every date form HighLevel
// sends. Because methods of an embedded field are promoted, do not embed Task
// in a struct that has JSON fields of its own (such as a webhook event): the
// promoted methods would decode only Task's fields. Use a named field instead.
type Task struct {
	ID         string
	Title      string
	Body       string
	AssignedTo string // user ID of the assignee; empty when unassigned
	// DueDate is in UTC when decoded. HighLevel sends both
	// "2021-07-08T02:30:00.000Z" and "2020-10-25T11:00:00Z"; "" or null
	// decode as the zero time.
	DueDate   time.Time
	Completed bool
	ContactID string

	// Extra holds JSON fields HighLevel sent that Task does not know, keyed
	// by name, so that fields added to the API later are not lost. It is
	// written back by MarshalJSON; known fields win over Extra on a clash.
	Extra map[string]json.RawMessage
}

// taskWire is Task's JSON form; field names are the spec's.
type taskWire struct {
	ID         string       `json:"id,omitempty"`
	Title      string       `json:"title,omitempty"`
	Body       string       `json:"body,omitempty"`
	AssignedTo string       `json:"assignedTo,omitempty"`
	DueDate    isotime.Time `json:"dueDate,omitzero"`
	Completed  bool         `json:"completed"`
	ContactID  string       `json:"contactId,omitempty"`
}

var taskKeys = []string{"id", "title", "body", "assignedTo", "dueDate", "completed", "contactId"}

// MarshalJSON writes t with the spec's field names, DueDate in ISO-8601 UTC
// with milliseconds ("2021-07-08T02:30:00.000Z"), then any Extra fields.
func (t Task) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(taskWire{
		ID:         t.ID,
		Title:      t.Title,
		Body:       t.Body,
		AssignedTo: t.AssignedTo,
		DueDate:    isotime.Time(t.DueDate),
		Completed:  t.Completed,
		ContactID:  t.ContactID,
	})
	if err != nil {
		return nil, err
	}
	return jsonx.AppendExtra(b, t.Extra, taskKeys)
}

// UnmarshalJSON reads a task, tolerating every date form HighLevel sends and
// keeping unknown fields in Extra.
func (t *Task) UnmarshalJSON(data []byte) error {
	var w taskWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	extra, err := jsonx.Extra(data, taskKeys)
	if err != nil {
		return err
	}
	*t = Task{
		ID:         w.ID,
		Title:      w.Title,
		Body:       w.Body,
		AssignedTo: w.AssignedTo,
		DueDate:    time.Time(w.DueDate),
		Completed:  w.Completed,
		ContactID:  w.ContactID,
		Extra:      extra,
	}
	return nil
}
