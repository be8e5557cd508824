package tasks_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ghlkit/ghl/tasks"
)

func TestTaskDecodesDateForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dueDate string // raw JSON value
		want    time.Time
	}{
		{`"2021-07-08T02:30:00.000Z"`, time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
		{`"2020-10-25T11:00:00Z"`, time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)},
		{`"2020-10-25T13:00:00+02:00"`, time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
	}
	for _, tt := range tests {
		var got tasks.Task
		if err := json.Unmarshal([]byte(`{"id":"t1","dueDate":`+tt.dueDate+`}`), &got); err != nil {
			t.Errorf("dueDate %s: %v", tt.dueDate, err)
			continue
		}
		if !got.DueDate.Equal(tt.want) || got.DueDate.Location() != time.UTC || got.ID != "t1" || got.Extra() != nil {
			t.Errorf("dueDate %s: got %+v, want DueDate %v UTC", tt.dueDate, got, tt.want)
		}
	}
}

// One odd value does not fail the task: it is left zero and Extra holds it
// as sent.
func TestTaskOddValues(t *testing.T) {
	t.Parallel()
	var got tasks.Task
	if err := json.Unmarshal([]byte(`{"id":"t1","title":"Call","dueDate":"next week","completed":"yes"}`), &got); err != nil {
		t.Fatal(err)
	}
	assertTask(t, got, tasks.Task{ID: "t1", Title: "Call"})
	assertExtra(t, got.Extra(), map[string]json.RawMessage{"dueDate": json.RawMessage(`"next week"`), "completed": json.RawMessage(`"yes"`)})
}

func TestTaskUnknownFields(t *testing.T) {
	t.Parallel()
	in := `{"id":"t1","title":"Call","completed":true,"deleted":false,"permissions":{"canEdit":["u1"]},"dateAdded":"2021-11-26T12:41:02.193Z"}`
	var got tasks.Task
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	assertTask(t, got, tasks.Task{ID: "t1", Title: "Call", Completed: true})
	assertExtra(t, got.Extra(), map[string]json.RawMessage{
		"deleted":     json.RawMessage(`false`),
		"permissions": json.RawMessage(`{"canEdit":["u1"]}`),
		"dateAdded":   json.RawMessage(`"2021-11-26T12:41:02.193Z"`),
	})

	// Known fields are not reported in Extra, whatever their case.
	var known tasks.Task
	if err := json.Unmarshal([]byte(taskJSON), &known); err != nil {
		t.Fatal(err)
	}
	if extra := known.Extra(); extra != nil {
		t.Errorf("Extra = %v for a task with only known fields", extra)
	}
	var upper tasks.Task
	if err := json.Unmarshal([]byte(`{"ID":"t1","ContactId":"c1"}`), &upper); err != nil {
		t.Fatal(err)
	}
	if upper.ID != "t1" || upper.ContactID != "c1" || upper.Extra() != nil {
		t.Errorf("got %+v, want ID and ContactID decoded and no Extra", upper)
	}
}

func TestTaskMarshal(t *testing.T) {
	t.Parallel()
	task := tasks.Task{
		ID:        "t1",
		Title:     "Call <back>",
		DueDate:   time.Date(2020, 10, 25, 13, 0, 0, 0, time.FixedZone("CEST", 7200)),
		ContactID: "c1",
	}
	b, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"t1","title":"Call \u003cback\u003e","dueDate":"2020-10-25T11:00:00.000Z","completed":false,"contactId":"c1"}`
	if string(b) != want {
		t.Errorf("Marshal\n got %s\nwant %s", b, want)
	}

	// The zero task has no due date on the wire.
	b, err = json.Marshal(tasks.Task{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"completed":false}` {
		t.Errorf("Marshal(zero) = %s", b)
	}
}

// A decoded task written back keeps the members it does not model, and an
// odd value unless the caller has set its field since.
func TestTaskRoundTrip(t *testing.T) {
	t.Parallel()
	var task tasks.Task
	in := `{"id":"t1","title":"Call","dueDate":"soon","zeta":1,"alpha":{"x": true},"completed":false}`
	if err := json.Unmarshal([]byte(in), &task); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"t1","title":"Call","completed":false,"alpha":{"x":true},"dueDate":"soon","zeta":1}`; string(b) != want {
		t.Errorf("Marshal\n got %s\nwant %s", b, want)
	}
	task.DueDate = time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)
	task.Title = "Call back"
	b, err = json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"t1","title":"Call back","dueDate":"2021-07-08T02:30:00.000Z","completed":false,"alpha":{"x":true},"zeta":1}`; string(b) != want {
		t.Errorf("Marshal after change\n got %s\nwant %s", b, want)
	}
	var back tasks.Task
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	assertTask(t, back, task)
	assertExtra(t, back.Extra(), map[string]json.RawMessage{"alpha": json.RawMessage(`{"x":true}`), "zeta": json.RawMessage(`1`)})
}

func TestTaskInNamedField(t *testing.T) {
	t.Parallel()
	// The documented way to combine Task with other fields: a named field.
	var event struct {
		Type string     `json:"type"`
		Task tasks.Task `json:"task"`
	}
	if err := json.Unmarshal([]byte(`{"type":"TaskCreate","task":{"id":"t1","dueDate":"2020-10-25T11:00:00Z"}}`), &event); err != nil {
		t.Fatal(err)
	}
	if event.Type != "TaskCreate" || event.Task.ID != "t1" || event.Task.DueDate.IsZero() {
		t.Errorf("got %+v", event)
	}
}

// BenchmarkListDecode measures decoding a page of 100 tasks.
func BenchmarkListDecode(b *testing.B) {
	var page []byte
	page = append(page, `{"tasks":[`...)
	for i := range 100 {
		if i > 0 {
			page = append(page, ',')
		}
		page = append(page, taskJSON...)
	}
	page = append(page, `]}`...)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var out struct {
			Tasks []tasks.Task `json:"tasks"`
		}
		if err := json.Unmarshal(page, &out); err != nil {
			b.Fatal(err)
		}
	}
}
