package notes

import (
	"encoding/json"
	"time"

	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/wire"
)

// Note is a note on a contact, as HighLevel returns it (the spec's
// GetNoteSchema).
//
// Note implements [json.Marshaler] and [json.Unmarshaler] so that DateAdded
// can be a plain time.Time while the wire tolerates every date form HighLevel
// sends. Because methods of an embedded field are promoted, do not embed Note
// in a struct that has JSON fields of its own (such as a webhook event): the
// promoted methods would decode only Note's fields. Use a named field instead.
type Note struct {
	ID     string `json:"id,omitempty"`
	Body   string `json:"body,omitempty"`
	UserID string `json:"userId,omitempty"` // the HighLevel user the note is attributed to, if any
	// DateAdded is in UTC when decoded. HighLevel sends both
	// "2021-07-08T12:02:11.285Z" and "2021-07-08T12:02:11Z"; "" or null
	// decode as the zero time, and so does a value in no known form (Extra
	// then holds it).
	DateAdded time.Time `json:"dateAdded,omitzero"`
	ContactID string    `json:"contactId,omitempty"`
	Title     string    `json:"title,omitempty"`
	Color     string    `json:"color,omitempty"` // a CSS hex colour such as "#FFAA00"
	Pinned    bool      `json:"pinned"`

	raw wire.Raw // where the note's JSON object is, for Extra
}

// noteWire is Note's JSON form: DateAdded in HighLevel's date forms, and no
// methods, so that a response's notes decode in the response's one
// encoding/json pass. It lists the fields again rather than embedding Note's
// so that a page of notes being decoded holds nothing more.
type noteWire struct {
	ID        string       `json:"id,omitempty"`
	Body      string       `json:"body,omitempty"`
	UserID    string       `json:"userId,omitempty"`
	DateAdded isotime.Time `json:"dateAdded,omitzero"`
	ContactID string       `json:"contactId,omitempty"`
	Title     string       `json:"title,omitempty"`
	Color     string       `json:"color,omitempty"`
	Pinned    bool         `json:"pinned"`
}

// note converts w into a Note found at raw.
func (w *noteWire) note(raw wire.Raw) Note {
	return Note{ID: w.ID, Body: w.Body, UserID: w.UserID, DateAdded: time.Time(w.DateAdded),
		ContactID: w.ContactID, Title: w.Title, Color: w.Color, Pinned: w.Pinned, raw: raw}
}

var noteModel = wire.NewModel[Note]()

// Extra returns the JSON members HighLevel sent that Note does not hold:
// fields added to the API since, and values that could not be read into
// their field (which were left zero), as sent. It parses the object Note was
// decoded from on each call; nil when there are none.
func (n *Note) Extra() map[string]json.RawMessage { return noteModel.Extra(n.raw) }

// MarshalJSON writes n with the spec's field names, DateAdded in ISO-8601 UTC
// with milliseconds ("2021-07-08T12:02:11.285Z"), then the Extra members
// whose field n does not hold.
func (n Note) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(noteWire{ID: n.ID, Body: n.Body, UserID: n.UserID, DateAdded: isotime.Time(n.DateAdded),
		ContactID: n.ContactID, Title: n.Title, Color: n.Color, Pinned: n.Pinned})
	if err != nil {
		return nil, err
	}
	return noteModel.AppendExtra(b, &n, n.Extra())
}

// UnmarshalJSON reads a note in one encoding/json pass, tolerating every
// date form HighLevel sends and odd values (see Extra).
func (n *Note) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil // as encoding/json does for structs
	}
	var w noteWire
	if err := wire.Decode(data, &w); err != nil {
		return err
	}
	*n = w.note(wire.Own(data))
	return nil
}

// envelope is how HighLevel wraps one note or many.
type envelope struct {
	wire.Body
	Note  *noteWire  `json:"note"`
	Notes []noteWire `json:"notes"`
}

func (e *envelope) One() *Note   { return wire.One(e.Note, (*noteWire).note, e.Bytes, "note") }
func (e *envelope) Many() []Note { return wire.Many(e.Notes, (*noteWire).note, e.Bytes, "notes") }

// noteEventWire is a note webhook: the event's members beside the note's.
type noteEventWire struct {
	wire.EventFields
	noteWire
}

func init() {
	wire.SetEventDecoder(wire.EventDecoderOf(func(w *noteEventWire, raw wire.Raw) (Note, wire.Event) {
		return w.note(raw), w.Event()
	}))
}
