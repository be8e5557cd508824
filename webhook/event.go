package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/wire"
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

// event is implemented by every event struct: decode reads the whole
// payload, Meta included, in one encoding/json pass. data is a copy the event
// keeps (Meta.Raw and the records' Extra share it).
type event interface {
	Event
	decode(data []byte) error
}

// Parse decodes a webhook payload without verifying it: use it for payloads
// whose authenticity is already established, and Verifier.Verify or Handler
// for requests. It needs only the "type"; Verify additionally requires the
// timestamp and webhookId. An unknown type yields an *UnknownEvent, not an
// error. Errors wrap ErrMalformedPayload.
//
// The payload is decoded once, by encoding/json, into the struct of its
// type. encoding/json picks the field of each member from the struct alone,
// and a record's members sit beside the event's, so the type must be known
// first: HighLevel sends "type" first, and reading that member (a few
// tokens) chooses the struct. A payload whose type comes later, or appears
// more than once, costs one more pass to settle it as encoding/json does.
func Parse(body []byte) (Event, error) {
	raw := bytes.Clone(body)
	typ := leadingType(raw)
	if typ == "" {
		var m wire.EventFields
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedPayload, err)
		}
		typ = m.Type
	}
	e, err := decodeAs(typ, raw)
	if err == nil && e.EventMeta().Type != typ {
		// The first "type" member is not the one encoding/json keeps.
		e, err = decodeAs(e.EventMeta().Type, raw)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// decodeAs decodes data as an event of type typ.
func decodeAs(typ string, data []byte) (event, error) {
	if typ == "" {
		return nil, fmt.Errorf("%w: no type", ErrMalformedPayload)
	}
	e := newEvent(typ)
	if err := e.decode(data); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedPayload, typ, err)
	}
	return e, nil
}

// leadingType returns the value of body's first member if that is "type"
// with a string value, read with encoding/json's tokenizer, or "".
func leadingType(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	if t, err := dec.Token(); err != nil || t != "type" {
		return ""
	}
	var typ string // not a string: ""
	if dec.Decode(&typ) != nil {
		return ""
	}
	return typ
}

// setMeta fills m from what the payload carried beside its record.
func setMeta(m *Meta, ev *wire.Event, data []byte) error {
	if ev.Timestamp.Odd {
		return errors.New("timestamp is not a date")
	}
	*m = Meta{Type: ev.Type, LocationID: ev.LocationID, WebhookID: ev.WebhookID, Timestamp: ev.Timestamp.Time, Raw: data}
	return nil
}

// decodeMeta decodes data (a copy) into a wire struct w that embeds
// wire.EventFields (mw) and fills m from it.
func decodeMeta(data []byte, m *Meta, w any, mw *wire.EventFields) error {
	if err := json.Unmarshal(data, w); err != nil {
		return err
	}
	ev := mw.Event()
	return setMeta(m, &ev, data)
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

// unmarshalEvent implements json.Unmarshaler for the event structs, so they
// can also be decoded directly (from a queue, say). Each event struct defines
// UnmarshalJSON itself: a method promoted from an embedded field would
// decode only that field.
func unmarshalEvent(data []byte, e event) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrMalformedPayload)
	}
	if err := e.decode(bytes.Clone(data)); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedPayload, err)
	}
	return nil
}

// UnknownEvent is a webhook of a type this package does not model; Raw holds
// the whole payload.
type UnknownEvent struct {
	Meta
}

func (e *UnknownEvent) decode(data []byte) error {
	var w wire.EventFields
	return decodeMeta(data, &e.Meta, &w, &w)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *UnknownEvent) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- contacts -----

// decodeContact reads a contact event: the contact's members and the
// event's side by side, in one pass. The payload's "type" is the event type,
// so it is not the contact's type (lead or customer): Contact.Type is left
// empty.
func decodeContact(data []byte, m *Meta, c *contacts.Contact) error {
	var ev wire.Event
	if err := wire.DecodeEvent(data, &ev, c); err != nil {
		return err
	}
	return setMeta(m, &ev, data)
}

// ContactCreate is sent when a contact is created.
type ContactCreate struct {
	Meta
	// Contact holds the payload's contact fields. Contact.Type is empty:
	// the payload's "type" is the event type.
	Contact contacts.Contact
}

func (e *ContactCreate) decode(data []byte) error { return decodeContact(data, &e.Meta, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactCreate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactUpdate is sent when some of a contact's fields change.
type ContactUpdate struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactUpdate) decode(data []byte) error { return decodeContact(data, &e.Meta, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactDelete is sent when a contact is deleted; Contact is the contact as
// it was.
type ContactDelete struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactDelete) decode(data []byte) error { return decodeContact(data, &e.Meta, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactDelete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactDndUpdate is sent when a contact's do-not-disturb settings change;
// Contact.DND and Contact.DNDSettings hold the new state.
type ContactDndUpdate struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactDndUpdate) decode(data []byte) error { return decodeContact(data, &e.Meta, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactDndUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ContactTagUpdate is sent when a contact's tags change; Contact.Tags holds
// the new tags.
type ContactTagUpdate struct {
	Meta
	// Contact holds the payload's contact fields; see ContactCreate.
	Contact contacts.Contact
}

func (e *ContactTagUpdate) decode(data []byte) error { return decodeContact(data, &e.Meta, &e.Contact) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *ContactTagUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- notes -----

// decodeNote reads a note event, the note's members and the event's side by
// side, in one pass.
func decodeNote(data []byte, m *Meta, n *notes.Note) error {
	var ev wire.Event
	if err := wire.DecodeEvent(data, &ev, n); err != nil {
		return err
	}
	return setMeta(m, &ev, data)
}

// NoteCreate is sent when a note is added to a contact.
type NoteCreate struct {
	Meta
	Note notes.Note // ID, Body, ContactID, DateAdded as sent
}

func (e *NoteCreate) decode(data []byte) error { return decodeNote(data, &e.Meta, &e.Note) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *NoteCreate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// NoteUpdate is sent when a note changes.
type NoteUpdate struct {
	Meta
	Note notes.Note // the note after the change
}

func (e *NoteUpdate) decode(data []byte) error { return decodeNote(data, &e.Meta, &e.Note) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *NoteUpdate) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// NoteDelete is sent when a note is deleted.
type NoteDelete struct {
	Meta
	Note notes.Note // the note as it was
}

func (e *NoteDelete) decode(data []byte) error { return decodeNote(data, &e.Meta, &e.Note) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *NoteDelete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- tasks -----

// decodeTask reads a task event, the task's members and the event's side by
// side, in one pass; dateAdded is the event's, since tasks.Task has none.
func decodeTask(data []byte, m *Meta, t *tasks.Task, dateAdded *time.Time) error {
	var ev wire.Event
	if err := wire.DecodeEvent(data, &ev, t); err != nil {
		return err
	}
	*dateAdded = ev.DateAdded
	return setMeta(m, &ev, data)
}

// TaskCreate is sent when a task is added to a contact.
type TaskCreate struct {
	Meta
	Task      tasks.Task
	DateAdded time.Time // when the task was created (not part of tasks.Task)
}

func (e *TaskCreate) decode(data []byte) error {
	return decodeTask(data, &e.Meta, &e.Task, &e.DateAdded)
}

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
	if err := decodeTask(data, &e.Meta, &e.Task, &e.DateAdded); err != nil {
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

func (e *TaskDelete) decode(data []byte) error {
	return decodeTask(data, &e.Meta, &e.Task, &e.DateAdded)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *TaskDelete) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }

// ----- appointments -----

// appointmentWire is an appointment event: the event's members and the
// nested appointment, in one pass.
type appointmentWire struct {
	wire.EventFields
	Appointment *contacts.Appointment `json:"appointment"`
}

func decodeAppointment(data []byte, m *Meta, a *contacts.Appointment, source *string) error {
	w := appointmentWire{Appointment: a}
	if err := decodeMeta(data, m, &w, &w.EventFields); err != nil {
		return err
	}
	*source = a.Source
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
	return decodeAppointment(data, &e.Meta, &e.Appointment, &e.Source)
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
	return decodeAppointment(data, &e.Meta, &e.Appointment, &e.Source)
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
	return decodeAppointment(data, &e.Meta, &e.Appointment, &e.Source)
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
	wire.EventFields
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
	if err := decodeMeta(data, &e.Meta, &w, &w.EventFields); err != nil {
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
		wire.EventFields
		AppID     string `json:"appId"`
		CompanyID string `json:"companyId"`
	}
	if err := decodeMeta(data, &e.Meta, &w, &w.EventFields); err != nil {
		return err
	}
	e.AppID, e.CompanyID = w.AppID, w.CompanyID
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *AppUninstall) UnmarshalJSON(data []byte) error { return unmarshalEvent(data, e) }
