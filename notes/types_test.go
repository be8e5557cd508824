package notes_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ghlkit/ghl/notes"
)

func TestNoteDecodesDateForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dateAdded string // raw JSON value
		want      time.Time
	}{
		{`"2021-07-08T12:02:11.285Z"`, time.Date(2021, 7, 8, 12, 2, 11, 285e6, time.UTC)},
		{`"2020-10-25T11:00:00Z"`, time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
	}
	for _, tt := range tests {
		var got notes.Note
		if err := json.Unmarshal([]byte(`{"id":"n1","dateAdded":`+tt.dateAdded+`}`), &got); err != nil {
			t.Errorf("dateAdded %s: %v", tt.dateAdded, err)
			continue
		}
		if !got.DateAdded.Equal(tt.want) || got.DateAdded.Location() != time.UTC || got.ID != "n1" {
			t.Errorf("dateAdded %s: got %+v, want %v UTC", tt.dateAdded, got, tt.want)
		}
	}
	// An odd date does not fail the note: it is left zero, Extra holds it.
	var got notes.Note
	if err := json.Unmarshal([]byte(`{"id":"n1","dateAdded":"someday","pinned":1}`), &got); err != nil {
		t.Fatal(err)
	}
	assertNote(t, got, notes.Note{ID: "n1"})
	assertExtra(t, got.Extra(), map[string]json.RawMessage{"dateAdded": json.RawMessage(`"someday"`), "pinned": json.RawMessage(`1`)})
}

func TestNoteUnknownFields(t *testing.T) {
	t.Parallel()
	in := `{"id":"n1","body":"x","relations":[{"objectKey":"contact","recordId":"c1"}],"createdBy":"u9"}`
	var got notes.Note
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	assertNote(t, got, notes.Note{ID: "n1", Body: "x"})
	assertExtra(t, got.Extra(), map[string]json.RawMessage{
		"relations": json.RawMessage(`[{"objectKey":"contact","recordId":"c1"}]`),
		"createdBy": json.RawMessage(`"u9"`),
	})
	var known notes.Note
	if err := json.Unmarshal([]byte(noteJSON), &known); err != nil {
		t.Fatal(err)
	}
	assertNote(t, known, wantNote)
	if extra := known.Extra(); extra != nil {
		t.Errorf("Extra = %s for a note with only known fields", extra)
	}
}

func TestNoteMarshal(t *testing.T) {
	t.Parallel()
	var n notes.Note
	if err := json.Unmarshal([]byte(`{"createdBy":"u9","id":"n1","body":"Asked for a quote","userId":"u1","dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1","title":"Follow-up","color":"#FFAA00","pinned":true}`), &n); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"n1","body":"Asked for a quote","userId":"u1","dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1","title":"Follow-up","color":"#FFAA00","pinned":true,"createdBy":"u9"}`
	if string(b) != want {
		t.Errorf("Marshal\n got %s\nwant %s", b, want)
	}
	var back notes.Note
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	assertNote(t, back, wantNote)
	assertExtra(t, back.Extra(), map[string]json.RawMessage{"createdBy": json.RawMessage(`"u9"`)})

	b, err = json.Marshal(notes.Note{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"pinned":false}` {
		t.Errorf("Marshal(zero) = %s", b)
	}
}
