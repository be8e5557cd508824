package notes

import (
	"encoding/json"
	"time"

	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/jsonx"
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
	ID     string
	Body   string
	UserID string // the HighLevel user the note is attributed to, if any
	// DateAdded is in UTC when decoded. HighLevel sends both
	// "2021-07-08T12:02:11.285Z" and "2021-07-08T12:02:11Z"; "" or null
	// decode as the zero time.
	DateAdded time.Time
	ContactID string
	Title     string
	Color     string // a CSS hex colour such as "#FFAA00"
	Pinned    bool

	// Extra holds JSON fields HighLevel sent that Note does not know, keyed
	// by name, so that fields added to the API later are not lost. It is
	// written back by MarshalJSON; known fields win over Extra on a clash.
	Extra map[string]json.RawMessage
}

// noteWire is Note's JSON form; field names are the spec's.
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

var noteKeys = []string{"id", "body", "userId", "dateAdded", "contactId", "title", "color", "pinned"}

// MarshalJSON writes n with the spec's field names, DateAdded in ISO-8601 UTC
// with milliseconds ("2021-07-08T12:02:11.285Z"), then any Extra fields.
func (n Note) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(noteWire{
		ID:        n.ID,
		Body:      n.Body,
		UserID:    n.UserID,
		DateAdded: isotime.Time(n.DateAdded),
		ContactID: n.ContactID,
		Title:     n.Title,
		Color:     n.Color,
		Pinned:    n.Pinned,
	})
	if err != nil {
		return nil, err
	}
	return jsonx.AppendExtra(b, n.Extra, noteKeys)
}

// UnmarshalJSON reads a note, tolerating every date form HighLevel sends and
// keeping unknown fields in Extra.
func (n *Note) UnmarshalJSON(data []byte) error {
	var w noteWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	extra, err := jsonx.Extra(data, noteKeys)
	if err != nil {
		return err
	}
	*n = Note{
		ID:        w.ID,
		Body:      w.Body,
		UserID:    w.UserID,
		DateAdded: time.Time(w.DateAdded),
		ContactID: w.ContactID,
		Title:     w.Title,
		Color:     w.Color,
		Pinned:    w.Pinned,
		Extra:     extra,
	}
	return nil
}
