package tasks

import (
	"encoding/json"
	"time"

	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/wire"
)

// Task is a task on a contact, as HighLevel returns it (the spec's TaskSchema).
//
// Task implements [json.Marshaler] and [json.Unmarshaler] so that DueDate can
// be a plain time.Time while the wire tolerates every date form HighLevel
// sends. Because methods of an embedded field are promoted, do not embed Task
// in a struct that has JSON fields of its own (such as a webhook event): the
// promoted methods would decode only Task's fields. Use a named field instead.
type Task struct {
	ID         string `json:"id,omitempty"`
	Title      string `json:"title,omitempty"`
	Body       string `json:"body,omitempty"`
	AssignedTo string `json:"assignedTo,omitempty"` // user ID of the assignee; empty when unassigned
	// DueDate is in UTC when decoded. HighLevel sends both
	// "2021-07-08T02:30:00.000Z" and "2020-10-25T11:00:00Z"; "" or null
	// decode as the zero time, and so does a value in no known form (Extra
	// then holds it).
	DueDate   time.Time `json:"dueDate,omitzero"`
	Completed bool      `json:"completed"`
	ContactID string    `json:"contactId,omitempty"`

	raw wire.Raw // where the task's JSON object is, for Extra
}

// taskWire is Task's JSON form: DueDate in HighLevel's date forms, and no
// methods, so that a response's tasks decode in the response's one
// encoding/json pass. It lists the fields again rather than embedding Task's
// so that a page of tasks being decoded holds nothing more.
type taskWire struct {
	ID         string       `json:"id,omitempty"`
	Title      string       `json:"title,omitempty"`
	Body       string       `json:"body,omitempty"`
	AssignedTo string       `json:"assignedTo,omitempty"`
	DueDate    isotime.Time `json:"dueDate,omitzero"`
	Completed  bool         `json:"completed"`
	ContactID  string       `json:"contactId,omitempty"`
}

// task converts w into a Task found at raw.
func (w *taskWire) task(raw wire.Raw) Task {
	return Task{ID: w.ID, Title: w.Title, Body: w.Body, AssignedTo: w.AssignedTo,
		DueDate: time.Time(w.DueDate), Completed: w.Completed, ContactID: w.ContactID, raw: raw}
}

var taskModel = wire.NewModel[Task]()

// Extra returns the JSON members HighLevel sent that Task does not hold:
// fields added to the API since, and values that could not be read into
// their field (which were left zero), as sent. It parses the object Task was
// decoded from on each call; nil when there are none.
func (t *Task) Extra() map[string]json.RawMessage { return taskModel.Extra(t.raw) }

// MarshalJSON writes t with the spec's field names, DueDate in ISO-8601 UTC
// with milliseconds ("2021-07-08T02:30:00.000Z"), then the Extra members
// whose field t does not hold.
func (t Task) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(taskWire{ID: t.ID, Title: t.Title, Body: t.Body, AssignedTo: t.AssignedTo,
		DueDate: isotime.Time(t.DueDate), Completed: t.Completed, ContactID: t.ContactID})
	if err != nil {
		return nil, err
	}
	return taskModel.AppendExtra(b, &t, t.Extra())
}

// UnmarshalJSON reads a task in one encoding/json pass, tolerating every
// date form HighLevel sends and odd values (see Extra).
func (t *Task) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil // as encoding/json does for structs
	}
	var w taskWire
	if err := wire.Decode(data, &w); err != nil {
		return err
	}
	*t = w.task(wire.Own(data))
	return nil
}

// envelope is how HighLevel wraps one task or many.
type envelope struct {
	wire.Body
	Task  *taskWire  `json:"task"`
	Tasks []taskWire `json:"tasks"`
}

func (e *envelope) One() *Task   { return wire.One(e.Task, (*taskWire).task, e.Bytes, "task") }
func (e *envelope) Many() []Task { return wire.Many(e.Tasks, (*taskWire).task, e.Bytes, "tasks") }

// taskEventWire is a task webhook: the event's members beside the task's,
// and the task's dateAdded, which Task has not.
type taskEventWire struct {
	wire.EventFields
	DateAdded isotime.Time `json:"dateAdded"`
	taskWire
}

func init() {
	wire.SetEventDecoder(wire.EventDecoderOf(func(w *taskEventWire, raw wire.Raw) (Task, wire.Event) {
		ev := w.Event()
		ev.DateAdded = time.Time(w.DateAdded)
		return w.task(raw), ev
	}))
}
