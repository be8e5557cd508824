package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/jsonx"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

// Event types, the payload's "type" field. App installs use HighLevel's
// INSTALL and UNINSTALL.
const (
	TypeContactCreate     = "ContactCreate"
	TypeContactUpdate     = "ContactUpdate"
	TypeContactDelete     = "ContactDelete"
	TypeContactDndUpdate  = "ContactDndUpdate"
	TypeContactTagUpdate  = "ContactTagUpdate"
	TypeNoteCreate        = "NoteCreate"
	TypeNoteUpdate        = "NoteUpdate"
	TypeNoteDelete        = "NoteDelete"
	TypeTaskCreate        = "TaskCreate"
	TypeTaskComplete      = "TaskComplete"
	TypeTaskDelete        = "TaskDelete"
	TypeAppointmentCreate = "AppointmentCreate"
	TypeAppointmentUpdate = "AppointmentUpdate"
	TypeAppointmentDelete = "AppointmentDelete"
	TypeAppInstall        = "INSTALL"
	TypeAppUninstall      = "UNINSTALL"
)

// Event is a decoded webhook. Its dynamic type is a pointer to one of the
// event structs of this package, chosen by the payload's type (*TaskCreate for
// "TaskCreate", *AppInstall for "INSTALL", ...), or *UnknownEvent for a type
// this package does not know. Switch on it:
//
//	switch e := e.(type) {
//	case *webhook.TaskCreate:
//		fmt.Println(e.Task.Title)
//	case *webhook.ContactDelete:
//		fmt.Println(e.Contact.ID)
//	}
type Event interface {
	// EventMeta returns the fields every webhook carries.
	EventMeta() *Meta
}

// Meta holds the fields every webhook carries. Each event struct embeds it.
type Meta struct {
	Type       string // the payload's "type", such as "ContactCreate"
	LocationID string // the sub-account; empty for agency-level app events
	// WebhookID identifies the event; HighLevel's retries of one event
	// carry the same WebhookID.
	WebhookID string
	Timestamp time.Time // when HighLevel sent the event, in UTC
	// Raw is the complete payload the event was decoded from (a copy), for
	// fields this package does not model and for passing the event on.
	Raw json.RawMessage
}

// EventMeta implements Event.
func (m *Meta) EventMeta() *Meta { return m }

// metaWire is Meta's JSON form.
type metaWire struct {
	Type       string       `json:"type"`
	LocationID string       `json:"locationId"`
	WebhookID  string       `json:"webhookId"`
	Timestamp  isotime.Time `json:"timestamp"`
}

// metaKeys are the payload keys that belong to Meta; they are dropped from
// the Extra maps of the tasks, notes and contacts types.
var metaKeys = []string{"type", "locationId", "webhookId", "timestamp"}

// taskEventKeys are metaKeys plus the task event's own dateAdded.
var taskEventKeys = []string{"type", "locationId", "webhookId", "timestamp", "dateAdded"}

// event is implemented by every event struct: decode reads what the struct
// holds beyond Meta.
type event interface {
	Event
	decode(data []byte) error
}

// Parse decodes a webhook payload without verifying it: use it for payloads
// whose authenticity is already established, and Verifier.Verify or Handler
// for requests. It needs only the "type"; Verify additionally requires the
// timestamp and webhookId. An unknown type yields an *UnknownEvent, not an
// error. Errors wrap ErrMalformedPayload.
func Parse(body []byte) (Event, error) {
	if e := parseContactEvent(body); e != nil {
		return e, nil
	}
	var m Meta
	if err := decodeMeta(body, &m); err != nil {
		return nil, err
	}
	if m.Type == "" {
		return nil, fmt.Errorf("%w: no type", ErrMalformedPayload)
	}
	e := newEvent(m.Type)
	*e.EventMeta() = m
	if err := e.decode(body); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedPayload, m.Type, err)
	}
	return e, nil
}

func newEvent(typ string) event {
	switch typ {
	case TypeContactCreate:
		return new(ContactCreate)
	case TypeContactUpdate:
		return new(ContactUpdate)
	case TypeContactDelete:
		return new(ContactDelete)
	case TypeContactDndUpdate:
		return new(ContactDndUpdate)
	case TypeContactTagUpdate:
		return new(ContactTagUpdate)
	case TypeNoteCreate:
		return new(NoteCreate)
	case TypeNoteUpdate:
		return new(NoteUpdate)
	case TypeNoteDelete:
		return new(NoteDelete)
	case TypeTaskCreate:
		return new(TaskCreate)
	case TypeTaskComplete:
		return new(TaskComplete)
	case TypeTaskDelete:
		return new(TaskDelete)
	case TypeAppointmentCreate:
		return new(AppointmentCreate)
	case TypeAppointmentUpdate:
		return new(AppointmentUpdate)
	case TypeAppointmentDelete:
		return new(AppointmentDelete)
	case TypeAppInstall:
		return new(AppInstall)
	case TypeAppUninstall:
		return new(AppUninstall)
	default:
		return new(UnknownEvent)
	}
}

// parseContactEvent decodes a contact event in one pass, letting the
// contact decoder read the meta members with the rest: "type" and
// "locationId" are Contact fields, decoded as metaWire decodes them, and
// "webhookId" and "timestamp" land in Contact.Extra. It returns nil, for
// Parse's general path to decode (or refuse) body, unless body starts with
// the type of a contact event, as HighLevel sends it, and its meta members
// are plain: no escapes anywhere (an escaped name may repeat a member), at
// most one "webhookId" and one "timestamp", no other spelling of them (Extra
// loses the order encoding/json settles repeats by) and values metaWire
// takes. FuzzParse checks it against the general path.
func parseContactEvent(body []byte) Event {
	typ := leadingType(body)
	e, c := newContactEvent(typ)
	// The patterns lack their opening quote, which is so frequent that
	// bytes.Count would slow down; they may only overcount.
	if e == nil || bytes.IndexByte(body, '\\') >= 0 ||
		bytes.Count(body, []byte(`webhookId"`)) > 1 || bytes.Count(body, []byte(`timestamp"`)) > 1 {
		return nil
	}
	if c.UnmarshalJSON(body) != nil || c.Type != string(typ) {
		return nil
	}
	m := e.EventMeta()
	m.Type, m.LocationID = c.Type, c.LocationID
	for k, v := range c.Extra {
		switch {
		case k == "webhookId":
			s, ok := plainString(v)
			if !ok {
				return nil
			}
			m.WebhookID = s
		case k == "timestamp":
			var t isotime.Time
			if s, ok := plainString(v); ok {
				p, err := isotime.Parse(s)
				if err != nil {
					return nil
				}
				t = isotime.Time(p)
			} else if t.UnmarshalJSON(v) != nil {
				return nil
			}
			m.Timestamp = time.Time(t)
		case isMetaKey([]byte(k)):
			return nil
		}
	}
	m.Raw = bytes.Clone(body)
	c.Type = ""
	c.Extra = dropKeys(c.Extra, metaKeys...)
	return e
}

// leadingType returns the value of body's first member if that is "type"
// with a string value free of escapes, or nil.
func leadingType(body []byte) []byte {
	const prefix = `"type"`
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil
	}
	i = skipSpace(body, i+1)
	if !bytes.HasPrefix(body[i:], []byte(prefix)) {
		return nil
	}
	i = skipSpace(body, i+len(prefix))
	if i >= len(body) || body[i] != ':' {
		return nil
	}
	i = skipSpace(body, i+1)
	if i >= len(body) || body[i] != '"' {
		return nil
	}
	n := bytes.IndexByte(body[i+1:], '"')
	if n < 0 {
		return nil
	}
	return body[i+1 : i+1+n]
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// plainString returns the JSON string v when it is printable ASCII without
// escapes, so that it needs no decoding.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	for _, c := range v[1 : len(v)-1] {
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(v[1 : len(v)-1]), true
}

// newContactEvent returns a contact event of type typ and its Contact, or
// nil for any other type.
func newContactEvent(typ []byte) (event, *contacts.Contact) {
	switch string(typ) {
	case TypeContactCreate:
		e := new(ContactCreate)
		return e, &e.Contact
	case TypeContactUpdate:
		e := new(ContactUpdate)
		return e, &e.Contact
	case TypeContactDelete:
		e := new(ContactDelete)
		return e, &e.Contact
	case TypeContactDndUpdate:
		e := new(ContactDndUpdate)
		return e, &e.Contact
	case TypeContactTagUpdate:
		e := new(ContactTagUpdate)
		return e, &e.Contact
	}
	return nil, nil
}

// decodeMeta fills m from data, Raw included (a copy). A body that is not a
// JSON object is malformed.
func decodeMeta(data []byte, m *Meta) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrMalformedPayload)
	}
	w, ok := scanMeta(data)
	if !ok {
		if err := json.Unmarshal(data, &w); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformedPayload, err)
		}
	}
	*m = Meta{
		Type:       w.Type,
		LocationID: w.LocationID,
		WebhookID:  w.WebhookID,
		Timestamp:  time.Time(w.Timestamp),
		Raw:        bytes.Clone(data),
	}
	return nil
}

// scanMeta reads the meta members without decoding the whole payload, which
// the event's own decoder does next and validates (UnknownEvent with
// json.Valid). It gives up, for
// encoding/json to decide, on anything but plain strings under the exact
// names: escapes, other spellings, other value types, invalid JSON.
func scanMeta(data []byte) (metaWire, bool) {
	var w metaWire
	for mem := range jsonx.Members(data) {
		if mem.Escaped {
			return w, false
		}
		var dst *string
		var ts string
		switch string(mem.Name) {
		case "type":
			dst = &w.Type
		case "locationId":
			dst = &w.LocationID
		case "webhookId":
			dst = &w.WebhookID
		case "timestamp":
			dst = &ts
		default:
			if isMetaKey(mem.Name) {
				return w, false
			}
			continue
		}
		v := mem.Value
		if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v[1:len(v)-1], '\\') >= 0 || bytes.IndexByte(v[1:len(v)-1], '"') >= 0 {
			return w, false
		}
		*dst = string(v[1 : len(v)-1])
		if dst == &ts {
			t, err := isotime.Parse(ts)
			if err != nil {
				return w, false
			}
			w.Timestamp = isotime.Time(t)
		}
	}
	return w, true
}

// isMetaKey reports whether name is one of metaKeys in any case, as
// encoding/json matches names.
func isMetaKey(name []byte) bool {
	ascii := true
	for _, c := range name {
		if c >= utf8.RuneSelf {
			ascii = false // may fold to ASCII, such as the Kelvin sign to k
			break
		}
	}
	for _, k := range metaKeys {
		if (len(k) == len(name) || !ascii) && strings.EqualFold(k, string(name)) {
			return true
		}
	}
	return false
}

// unmarshalEvent implements json.Unmarshaler for the event structs, so they
// can also be decoded directly (from a queue, say). Each event struct defines
// UnmarshalJSON itself: a method promoted from an embedded field would
// decode only that field.
func unmarshalEvent(data []byte, e event) error {
	if err := decodeMeta(data, e.EventMeta()); err != nil {
		return err
	}
	return e.decode(data)
}

// dropKeys deletes keys (matched case-insensitively, as encoding/json
// matches) from an Extra map, returning nil when nothing is left.
func dropKeys(extra map[string]json.RawMessage, keys ...string) map[string]json.RawMessage {
	for k := range extra {
		for _, drop := range keys {
			if strings.EqualFold(k, drop) {
				delete(extra, k)
				break
			}
		}
	}
	if len(extra) == 0 {
		return nil
	}
	return extra
}

// UnknownEvent is a webhook of a type this package does not model; Raw holds
// the whole payload.
type UnknownEvent struct {
	Meta
}

func (e *UnknownEvent) decode(data []byte) error {
	if !json.Valid(data) {
		return errors.New("invalid JSON")
	}
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *UnknownEvent) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- contacts -----

// decodeContact reads the flat contact of a contact event. The payload's
// "type" is the event type, so it is not the contact's type (lead or
// customer): Contact.Type is left empty.
func decodeContact(data []byte, c *contacts.Contact) error {
	// Called directly rather than through json.Unmarshal, which would scan
	// the body once more before calling it: the method validates anyway.
	// The event's own members go through the contact decoder too, "type"
	// into Contact.Type and the others into Extra, and are dropped after:
	// cheaper than a pass to strip them first.
	if err := c.UnmarshalJSON(data); err != nil {
		return err
	}
	c.Type = ""
	c.Extra = dropKeys(c.Extra, metaKeys...)
	return nil
}

// ContactCreate is sent when a contact is created.
type ContactCreate struct {
	Meta
	// Contact holds the payload's contact fields. Contact.Type is empty:
	// the payload's "type" is the event type.
	Contact contacts.Contact
}

func (e *ContactCreate) decode(data []byte) error { return decodeContact(data, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactCreate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactUpdate is sent when some of a contact's fields change.
type ContactUpdate struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactUpdate) decode(data []byte) error { return decodeContact(data, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactDelete is sent when a contact is deleted; Contact is the contact as
// it was.
type ContactDelete struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactDelete) decode(data []byte) error { return decodeContact(data, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactDelete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactDndUpdate is sent when a contact's do-not-disturb settings change;
// Contact.DND and Contact.DNDSettings hold the new state.
type ContactDndUpdate struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactDndUpdate) decode(data []byte) error { return decodeContact(data, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactDndUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactTagUpdate is sent when a contact's tags change; Contact.Tags holds
// the new tags.
type ContactTagUpdate struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactTagUpdate) decode(data []byte) error { return decodeContact(data, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactTagUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- notes -----

func decodeNote(data []byte, n *notes.Note) error {
	if err := n.UnmarshalJSON(jsonx.Without(data, metaKeys...)); err != nil {
		return err
	}
	n.Extra = dropKeys(n.Extra, metaKeys...)
	return nil
}

// NoteCreate is sent when a note is added to a contact.
type NoteCreate struct {
	Meta
	Note notes.Note // ID, Body, ContactID, DateAdded as sent
}

func (e *NoteCreate) decode(data []byte) error { return decodeNote(data, &e.Note) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *NoteCreate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// NoteUpdate is sent when a note changes.
type NoteUpdate struct {
	Meta
	Note notes.Note // the note after the change
}

func (e *NoteUpdate) decode(data []byte) error { return decodeNote(data, &e.Note) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *NoteUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// NoteDelete is sent when a note is deleted.
type NoteDelete struct {
	Meta
	Note notes.Note // the note as it was
}

func (e *NoteDelete) decode(data []byte) error { return decodeNote(data, &e.Note) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *NoteDelete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- tasks -----

// taskWire holds what a task event carries beyond tasks.Task.
type taskWire struct {
	DateAdded isotime.Time `json:"dateAdded"`
}

func decodeTask(data []byte, t *tasks.Task, dateAdded *time.Time) error {
	var w taskWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if err := t.UnmarshalJSON(data); err != nil {
		return err
	}
	t.Extra = dropKeys(t.Extra, taskEventKeys...)
	*dateAdded = time.Time(w.DateAdded)
	return nil
}

// TaskCreate is sent when a task is added to a contact.
type TaskCreate struct {
	Meta
	Task      tasks.Task
	DateAdded time.Time // when the task was created (not part of tasks.Task)
}

func (e *TaskCreate) decode(data []byte) error { return decodeTask(data, &e.Task, &e.DateAdded) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *TaskCreate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// TaskComplete is sent when a task is marked completed. Task.Completed is
// true even though the payload does not carry the field: the event means it.
type TaskComplete struct {
	Meta
	Task      tasks.Task
	DateAdded time.Time // when the task was created
}

func (e *TaskComplete) decode(data []byte) error {
	if err := decodeTask(data, &e.Task, &e.DateAdded); err != nil {
		return err
	}
	e.Task.Completed = true
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *TaskComplete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// TaskDelete is sent when a task is deleted; Task is the task as it was.
type TaskDelete struct {
	Meta
	Task      tasks.Task
	DateAdded time.Time // when the task was created
}

func (e *TaskDelete) decode(data []byte) error { return decodeTask(data, &e.Task, &e.DateAdded) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *TaskDelete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- appointments -----

// appointmentWire holds the nested appointment object, decoded in turn into
// contacts.Appointment (the REST API's shape) and into the one field that
// shape lacks, source.
type appointmentWire struct {
	Appointment json.RawMessage `json:"appointment"`
}

func decodeAppointment(data []byte, a *contacts.Appointment, source *string) error {
	var w appointmentWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if len(w.Appointment) == 0 || string(w.Appointment) == "null" {
		return nil
	}
	var extra struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(w.Appointment, &extra); err != nil {
		return err
	}
	if err := a.UnmarshalJSON(w.Appointment); err != nil {
		return err
	}
	a.Extra = dropKeys(a.Extra, "source")
	*source = extra.Source
	return nil
}

// AppointmentCreate is sent when an appointment is booked.
type AppointmentCreate struct {
	Meta
	Appointment contacts.Appointment
	// Source is the payload's appointment.source, how the appointment was
	// booked (such as "booking_widget"); the REST API's appointment has no
	// such field.
	Source string
}

func (e *AppointmentCreate) decode(data []byte) error {
	return decodeAppointment(data, &e.Appointment, &e.Source)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *AppointmentCreate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// AppointmentUpdate is sent when an appointment changes.
type AppointmentUpdate struct {
	Meta
	Appointment contacts.Appointment // after the change
	Source      string               // appointment.source; see AppointmentCreate
}

func (e *AppointmentUpdate) decode(data []byte) error {
	return decodeAppointment(data, &e.Appointment, &e.Source)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *AppointmentUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// AppointmentDelete is sent when an appointment is deleted.
type AppointmentDelete struct {
	Meta
	Appointment contacts.Appointment // as it was
	Source      string               // appointment.source; see AppointmentCreate
}

func (e *AppointmentDelete) decode(data []byte) error {
	return decodeAppointment(data, &e.Appointment, &e.Source)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *AppointmentDelete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- app installs -----

// AppInstall is sent when a location or an agency installs the app. An
// agency-level install has no LocationID; an install for a future location
// may lack CompanyID and UserID.
type AppInstall struct {
	Meta
	AppID               string
	CompanyID           string
	UserID              string // the user who installed the app
	PlanID              string
	Trial               Trial
	IsWhitelabelCompany bool
	WhitelabelDetails   WhitelabelDetails
	CompanyName         string
}

// Trial describes the trial the app was installed with.
type Trial struct {
	OnTrial bool
	// Duration is the payload's trialDuration, as sent (HighLevel
	// documents a number, such as 10, without a unit).
	Duration  float64
	StartDate time.Time
}

// WhitelabelDetails is the white-label branding of the installing company.
type WhitelabelDetails struct {
	Domain  string
	LogoURL string
}

type appInstallWire struct {
	AppID     string `json:"appId"`
	CompanyID string `json:"companyId"`
	UserID    string `json:"userId"`
	PlanID    string `json:"planId"`
	Trial     struct {
		OnTrial        bool         `json:"onTrial"`
		TrialDuration  float64      `json:"trialDuration"`
		TrialStartDate isotime.Time `json:"trialStartDate"`
	} `json:"trial"`
	IsWhitelabelCompany bool `json:"isWhitelabelCompany"`
	WhitelabelDetails   struct {
		Domain  string `json:"domain"`
		LogoURL string `json:"logoUrl"`
	} `json:"whitelabelDetails"`
	CompanyName string `json:"companyName"`
}

func (e *AppInstall) decode(data []byte) error {
	var w appInstallWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	e.AppID, e.CompanyID, e.UserID, e.PlanID = w.AppID, w.CompanyID, w.UserID, w.PlanID
	e.Trial = Trial{OnTrial: w.Trial.OnTrial, Duration: w.Trial.TrialDuration, StartDate: time.Time(w.Trial.TrialStartDate)}
	e.IsWhitelabelCompany = w.IsWhitelabelCompany
	e.WhitelabelDetails = WhitelabelDetails{Domain: w.WhitelabelDetails.Domain, LogoURL: w.WhitelabelDetails.LogoURL}
	e.CompanyName = w.CompanyName
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *AppInstall) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// AppUninstall is sent when a location or an agency uninstalls the app.
type AppUninstall struct {
	Meta
	AppID     string
	CompanyID string // set for an agency-level uninstall
}

func (e *AppUninstall) decode(data []byte) error {
	var w struct {
		AppID     string `json:"appId"`
		CompanyID string `json:"companyId"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	e.AppID, e.CompanyID = w.AppID, w.CompanyID
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *AppUninstall) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }
