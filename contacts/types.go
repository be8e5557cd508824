package contacts

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/wire"
)

// Contact is a HighLevel contact. It holds the union of the fields the spec
// lists for Get, Create, Update, Upsert and Search responses, with the spec's
// JSON names; a response fills only the fields it carries.
//
// Dates are time.Time in UTC. Decoding accepts every form HighLevel sends
// ("2021-07-08T02:30:00.000Z", "2020-10-25T11:00:00Z", "1990-09-25",
// "09/25/1990", epoch milliseconds, "" and null); encoding writes
// "2006-01-02T15:04:05.000Z".
//
// One odd value never fails the decoding of a contact: a date in another
// form, or a value of the wrong JSON type (a birthMonth of 8.5), leaves its
// field zero and is reported, as sent, by Extra.
//
// Contact implements [json.Marshaler] and [json.Unmarshaler]. Because methods
// of an embedded field are promoted, do not embed Contact in a struct that has
// JSON fields of its own: the promoted methods would decode only Contact's
// fields. Use a named field instead.
type Contact struct {
	ID         string `json:"id,omitempty"`
	LocationID string `json:"locationId,omitempty"`

	Name               string `json:"name,omitempty"`
	FirstName          string `json:"firstName,omitempty"`
	LastName           string `json:"lastName,omitempty"`
	FirstNameLowerCase string `json:"firstNameLowerCase,omitempty"`
	LastNameLowerCase  string `json:"lastNameLowerCase,omitempty"`
	FullNameLowerCase  string `json:"fullNameLowerCase,omitempty"`
	Email              string `json:"email,omitempty"`
	EmailLowerCase     string `json:"emailLowerCase,omitempty"`
	Phone              string `json:"phone,omitempty"`
	Gender             string `json:"gender,omitempty"`
	CompanyName        string `json:"companyName,omitempty"`
	Website            string `json:"website,omitempty"`
	Timezone           string `json:"timezone,omitempty"`

	Address1   string `json:"address1,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	Country    string `json:"country,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`

	// DND is the global do-not-disturb switch; DNDSettings holds the
	// per-channel settings.
	DND                bool                `json:"dnd,omitempty"`
	DNDSettings        *DNDSettings        `json:"dndSettings,omitempty"`
	InboundDNDSettings *InboundDNDSettings `json:"inboundDndSettings,omitempty"`
	BounceEmail        bool                `json:"bounceEmail,omitempty"`
	UnsubscribeEmail   bool                `json:"unsubscribeEmail,omitempty"`

	Type       string `json:"type,omitempty"`   // "lead" or "customer"
	Source     string `json:"source,omitempty"` // free text, such as "public api"
	AssignedTo string `json:"assignedTo,omitempty"`
	BusinessID string `json:"businessId,omitempty"`
	VisitorID  string `json:"visitorId,omitempty"` // live-chat visitor
	Keyword    string `json:"keyword,omitempty"`
	SSN        string `json:"ssn,omitempty"`
	Deleted    bool   `json:"deleted,omitempty"`

	Tags         []string      `json:"tags,omitempty"`
	CustomFields []CustomField `json:"customFields,omitempty"`
	Followers    []string      `json:"followers,omitempty"` // user IDs
	Offers       []string      `json:"offers,omitempty"`
	Products     []string      `json:"products,omitempty"`
	// Attachments is kept raw: the spec calls it a string, but its content
	// is not documented.
	Attachments json.RawMessage `json:"attachments,omitempty"`

	AttributionSource     *AttributionSource  `json:"attributionSource,omitempty"`
	LastAttributionSource *AttributionSource  `json:"lastAttributionSource,omitempty"`
	Attributions          []AttributionSource `json:"attributions,omitempty"` // search results

	DateOfBirth           time.Time `json:"dateOfBirth,omitzero"` // midnight UTC
	BirthMonth            int       `json:"birthMonth,omitempty"`
	BirthDay              int       `json:"birthDay,omitempty"`
	DateAdded             time.Time `json:"dateAdded,omitzero"`
	DateUpdated           time.Time `json:"dateUpdated,omitzero"`
	LastActivity          time.Time `json:"lastActivity,omitzero"`
	LastSessionActivityAt time.Time `json:"lastSessionActivityAt,omitzero"`

	// SearchAfter is the sort cursor Search returns with each contact; pass
	// the last one as SearchParams.SearchAfter to read the next page.
	// SearchAll does this for you.
	SearchAfter []json.RawMessage `json:"searchAfter,omitempty"`

	raw wire.Raw // where the contact's JSON object is, for Extra
}

// contactFields is Contact without its methods, so the wire structs below can
// embed it without recursing into MarshalJSON/UnmarshalJSON.
type contactFields Contact

// The wire structs put a contact's fields one level below its dates (and
// custom fields), whose wire form differs: a field at a shallower depth wins
// over the one with the same JSON name.
type (
	// contactBase holds a contact's fields, one level deep.
	contactBase struct{ contactFields }
	// contactDates are a contact's dates in HighLevel's forms.
	contactDates struct {
		DateOfBirth           isotime.Time `json:"dateOfBirth,omitzero"`
		DateAdded             isotime.Time `json:"dateAdded,omitzero"`
		DateUpdated           isotime.Time `json:"dateUpdated,omitzero"`
		LastActivity          isotime.Time `json:"lastActivity,omitzero"`
		LastSessionActivityAt isotime.Time `json:"lastSessionActivityAt,omitzero"`
	}
)

// contactWire is a contact as it is written.
type contactWire struct {
	contactBase
	contactDates
}

// contactInWire is a contact as it arrives. It has no methods, and decodes
// custom fields without CustomField.UnmarshalJSON, so that a response's
// contacts decode in the response's one encoding/json pass.
type contactInWire struct {
	contactBase
	contactDates
	CustomFields []customFieldWire `json:"customFields"`
}

// datesOf returns c's dates in their wire form.
func datesOf(c *Contact) contactDates {
	return contactDates{
		DateOfBirth:           isotime.Time(c.DateOfBirth),
		DateAdded:             isotime.Time(c.DateAdded),
		DateUpdated:           isotime.Time(c.DateUpdated),
		LastActivity:          isotime.Time(c.LastActivity),
		LastSessionActivityAt: isotime.Time(c.LastSessionActivityAt),
	}
}

// fill sets c's dates and custom fields from their wire form, and where c's
// JSON object is.
func fill(c *Contact, d *contactDates, cfs []customFieldWire, raw wire.Raw) {
	c.DateOfBirth = time.Time(d.DateOfBirth)
	c.DateAdded = time.Time(d.DateAdded)
	c.DateUpdated = time.Time(d.DateUpdated)
	c.LastActivity = time.Time(d.LastActivity)
	c.LastSessionActivityAt = time.Time(d.LastSessionActivityAt)
	c.CustomFields = nil
	if cfs != nil {
		c.CustomFields = make([]CustomField, len(cfs))
		for i, cf := range cfs {
			c.CustomFields[i] = cf.field()
		}
	}
	c.raw = raw
}

// customFieldWire is CustomField as it arrives, under either value name.
type customFieldWire struct {
	ID         string          `json:"id"`
	Key        string          `json:"key"`
	FieldValue json.RawMessage `json:"field_value"`
	Value      json.RawMessage `json:"value"`
}

func (w customFieldWire) field() CustomField {
	v := w.FieldValue
	if len(v) == 0 {
		v = w.Value
	}
	return CustomField{ID: w.ID, Key: w.Key, Value: FieldValue{raw: v}}
}

var contactModel = wire.NewModel[Contact]()

// Extra returns the JSON members HighLevel sent that Contact does not hold:
// fields added to the API since, and values that could not be read into
// their field, which were left zero (a birthMonth of 8.5, a dateOfBirth in a
// form HighLevel is not known to send), as sent. It parses the object the
// contact was decoded from on each call; nil when there are none.
func (c *Contact) Extra() map[string]json.RawMessage { return contactModel.Extra(c.raw) }

// MarshalJSON writes c with the spec's field names and dates in
// "2006-01-02T15:04:05.000Z" form, then the Extra members whose field c does
// not hold.
func (c Contact) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(contactWire{contactBase{contactFields(c)}, datesOf(&c)})
	if err != nil {
		return nil, err
	}
	return contactModel.AppendExtra(b, &c, c.Extra())
}

// UnmarshalJSON reads a contact in one encoding/json pass, tolerating every
// date form HighLevel sends and odd values (see Extra).
func (c *Contact) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil // as encoding/json does for structs
	}
	var w contactInWire
	if err := wire.Decode(data, &w); err != nil {
		return err
	}
	*c = w.contact(wire.Own(data))
	return nil
}

// contact converts w into a Contact found at raw.
func (w *contactInWire) contact(raw wire.Raw) Contact {
	c := Contact(w.contactFields)
	fill(&c, &w.contactDates, w.CustomFields, raw)
	return c
}

// contactEventWire is a contact webhook: the event's members beside the
// contact's, decoded in one encoding/json pass. The contact's fields sit one
// level deeper than the event's members and the contact's dates and custom
// fields (a shallower field wins), so the payload's "type" is the event type
// and Contact.Type stays empty; "locationId" is both the event's and the
// contact's.
//
// Wires are reused (eventWires) for their custom fields: encoding/json
// appends an array's elements to a slice's spare capacity, so a reused wire
// takes a payload's custom fields without growing a slice one element at a
// time (the 20 custom fields of a 2 KiB ContactUpdate otherwise cost six
// slices and 5 KiB, more than the rest of the contact).
type contactEventWire struct {
	wire.EventFields
	contactDates
	CustomFields []customFieldWire `json:"customFields"`
	contactRef                     // points at contact
	contact      Contact
}

// contactRef holds, one level deep, the fields of the Contact being decoded.
type contactRef struct{ *contactFields }

var eventWires = sync.Pool{New: func() any { return new(contactEventWire) }}

// maxKeptCustomFields bounds the custom fields a reused wire has room for.
const maxKeptCustomFields = 256

func init() { wire.SetEventDecoder(decodeEvent) }

// decodeEvent decodes a contact webhook, data, into ev and c in one
// encoding/json pass; c is left as it is on error.
func decodeEvent(data []byte, ev *wire.Event, c *Contact) error {
	w := eventWires.Get().(*contactEventWire)
	kept := w.CustomFields // nil, or empty with room
	defer w.release(kept)
	w.contactFields = (*contactFields)(&w.contact)
	if err := wire.Decode(data, w); err != nil {
		return err
	}
	cfs := w.CustomFields
	if len(cfs) == 0 && cap(cfs) > 0 {
		// The slice is the one the wire kept, untouched: the payload has
		// no "customFields" (encoding/json gives [] a new slice, and null
		// none).
		cfs = nil
	}
	*c = w.contact
	fill(c, &w.contactDates, cfs, wire.Payload(data))
	c.LocationID = w.LocationID
	*ev = w.Event()
	return nil
}

// release clears w for the next decoding and returns it to eventWires with
// the larger of the custom field slices it had (kept) and has now (grown by
// this payload), within maxKeptCustomFields.
func (w *contactEventWire) release(kept []customFieldWire) {
	if n := cap(w.CustomFields); n > cap(kept) && n <= maxKeptCustomFields {
		kept = w.CustomFields
	}
	// Elements past the length may hold values too (a repeated member),
	// and encoding/json decodes into an element without zeroing it first.
	clear(kept[:cap(kept)])
	*w = contactEventWire{CustomFields: kept[:0]}
	eventWires.Put(w)
}

// DNDStatus is the state of one do-not-disturb channel.
type DNDStatus string

// DND states.
const (
	DNDActive    DNDStatus = "active"    // messages on the channel are blocked
	DNDInactive  DNDStatus = "inactive"  // messages on the channel are allowed
	DNDPermanent DNDStatus = "permanent" // blocked, and the contact cannot lift it by replying
)

// DNDSetting is the do-not-disturb state of one channel.
type DNDSetting struct {
	Status  DNDStatus `json:"status"`
	Message string    `json:"message,omitempty"`
	Code    string    `json:"code,omitempty"`
}

// DNDSettings holds the per-channel do-not-disturb settings; a nil channel is
// not sent (or was not returned).
type DNDSettings struct {
	Call     *DNDSetting `json:"Call,omitempty"`
	Email    *DNDSetting `json:"Email,omitempty"`
	SMS      *DNDSetting `json:"SMS,omitempty"`
	WhatsApp *DNDSetting `json:"WhatsApp,omitempty"`
	GMB      *DNDSetting `json:"GMB,omitempty"` // Google Business Profile
	FB       *DNDSetting `json:"FB,omitempty"`  // Facebook
}

// InboundDNDSetting is the do-not-disturb state for inbound messages; its
// status is DNDActive or DNDInactive.
type InboundDNDSetting struct {
	Status  DNDStatus `json:"status"`
	Message string    `json:"message,omitempty"`
}

// InboundDNDSettings holds the inbound do-not-disturb setting for all
// channels.
type InboundDNDSettings struct {
	All *InboundDNDSetting `json:"all,omitempty"`
}

// AttributionSource tells where a contact came from (the first touch in
// Contact.AttributionSource, the latest in Contact.LastAttributionSource).
type AttributionSource struct {
	URL        string `json:"url,omitempty"`
	Campaign   string `json:"campaign,omitempty"`
	CampaignID string `json:"campaignId,omitempty"`
	UTMSource  string `json:"utmSource,omitempty"`
	UTMMedium  string `json:"utmMedium,omitempty"`
	UTMContent string `json:"utmContent,omitempty"`
	Referrer   string `json:"referrer,omitempty"`
	FBCLID     string `json:"fbclid,omitempty"`
	GCLID      string `json:"gclid,omitempty"`
	MSCLKID    string `json:"msclikid,omitempty"` // the spec's spelling
	DCLID      string `json:"dclid,omitempty"`
	FBC        string `json:"fbc,omitempty"`
	FBP        string `json:"fbp,omitempty"`
	FBEventID  string `json:"fbEventId,omitempty"`
	UserAgent  string `json:"userAgent,omitempty"`
	IP         string `json:"ip,omitempty"`
	Medium     string `json:"medium,omitempty"`
	MediumID   string `json:"mediumId,omitempty"`
}

// CustomField is the value of one custom field on a contact, identified by
// its ID. Key (such as "my_custom_field") may go along with the ID, as the
// spec allows; a write with a Key and no ID is refused before sending, since
// every custom field shape of the spec requires "id".
//
// HighLevel reads custom fields as {"id", "key", "field_value"} and returns
// them as {"id", "value"}; CustomField decodes both and writes the first.
type CustomField struct {
	ID    string     `json:"id,omitempty"`
	Key   string     `json:"key,omitempty"`
	Value FieldValue `json:"field_value,omitzero"`
}

// UnmarshalJSON accepts the value under "field_value" or "value".
func (f *CustomField) UnmarshalJSON(data []byte) error {
	var w customFieldWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*f = w.field()
	return nil
}

// FieldValue is a custom field's value as raw JSON. Its type depends on the
// field: a string (text, large text, single select, radio), a number
// (numeric, monetary), an array of strings (checkbox, multi select) or an
// object (file upload). Build one with [StringValue], [NumberValue], [StringsValue], [JSONValue]
// or [NullValue]; read one with its As… methods or [FieldValue.Decode].
//
// The zero FieldValue is absent: the field_value member is omitted.
type FieldValue struct {
	raw json.RawMessage
}

// StringValue returns a text value.
func StringValue(s string) FieldValue {
	b, _ := json.Marshal(s) // a string always encodes
	return FieldValue{raw: b}
}

// NumberValue returns a numeric or monetary value.
func NumberValue(n float64) FieldValue {
	return FieldValue{raw: strconv.AppendFloat(nil, n, 'f', -1, 64)}
}

// StringsValue returns a checkbox or multi-select value. No arguments give an
// empty array, which unchecks every option.
func StringsValue(ss ...string) FieldValue {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss) // strings always encode
	return FieldValue{raw: b}
}

// JSONValue returns the JSON encoding of v as a value, for objects such as file
// uploads. raw json.RawMessage values are used as they are.
func JSONValue(v any) (FieldValue, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return FieldValue{}, err
	}
	return FieldValue{raw: b}, nil
}

// NullValue returns JSON null, which asks HighLevel to clear the field.
func NullValue() FieldValue { return FieldValue{raw: json.RawMessage("null")} }

// Raw returns the value's JSON text, or nil when it is absent.
func (v FieldValue) Raw() json.RawMessage { return v.raw }

// IsZero reports whether the value is absent, so `json:",omitzero"` omits it.
func (v FieldValue) IsZero() bool { return len(v.raw) == 0 }

// IsNull reports whether the value is JSON null.
func (v FieldValue) IsNull() bool { return string(v.raw) == "null" }

// AsString returns a string value; ok is false for any other JSON type.
func (v FieldValue) AsString() (s string, ok bool) {
	if len(v.raw) == 0 || v.raw[0] != '"' {
		return "", false
	}
	return s, json.Unmarshal(v.raw, &s) == nil
}

// AsNumber returns a numeric value. A string holding a number is accepted
// too, since HighLevel returns some numeric fields as strings.
func (v FieldValue) AsNumber() (n float64, ok bool) {
	if s, isString := v.AsString(); isString {
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return n, err == nil
	}
	if len(v.raw) == 0 || !(v.raw[0] == '-' || v.raw[0] >= '0' && v.raw[0] <= '9') {
		return 0, false
	}
	return n, json.Unmarshal(v.raw, &n) == nil
}

// AsStrings returns an array-of-strings value; ok is false for any other
// JSON type.
func (v FieldValue) AsStrings() (ss []string, ok bool) {
	if len(v.raw) == 0 || v.raw[0] != '[' {
		return nil, false
	}
	return ss, json.Unmarshal(v.raw, &ss) == nil
}

// Decode unmarshals the value into dst, which must be a pointer.
func (v FieldValue) Decode(dst any) error {
	if len(v.raw) == 0 {
		return errors.New("contacts: custom field has no value")
	}
	return json.Unmarshal(v.raw, dst)
}

// MarshalJSON writes the value as it is, or null when it is absent.
func (v FieldValue) MarshalJSON() ([]byte, error) {
	if len(v.raw) == 0 {
		return []byte("null"), nil
	}
	return v.raw, nil
}

// UnmarshalJSON keeps a copy of data, null included.
func (v *FieldValue) UnmarshalJSON(data []byte) error {
	v.raw = bytes.Clone(data)
	return nil
}

// Appointment is a calendar event of a contact (the spec's GetEventSchema).
type Appointment struct {
	ID                string    `json:"id,omitempty"`
	CalendarID        string    `json:"calendarId,omitempty"`
	LocationID        string    `json:"locationId,omitempty"`
	ContactID         string    `json:"contactId,omitempty"`
	GroupID           string    `json:"groupId,omitempty"`
	Title             string    `json:"title,omitempty"`
	Status            string    `json:"status,omitempty"`
	AppointmentStatus string    `json:"appointmentStatus,omitempty"` // such as "booked"
	AssignedUserID    string    `json:"assignedUserId,omitempty"`
	Users             []string  `json:"users,omitempty"`
	AssignedResources []string  `json:"assignedResources,omitempty"`
	Notes             string    `json:"notes,omitempty"`
	Address           string    `json:"address,omitempty"`
	StartTime         time.Time `json:"startTime,omitzero"` // UTC when HighLevel sends no zone
	EndTime           time.Time `json:"endTime,omitzero"`
	DateAdded         time.Time `json:"dateAdded,omitzero"`
	DateUpdated       time.Time `json:"dateUpdated,omitzero"`

	// Source is how the appointment was booked, such as "booking_widget";
	// webhook payloads carry it, the REST API's appointment does not.
	Source string `json:"source,omitempty"`

	raw wire.Raw // where the appointment's JSON object is, for Extra
}

type appointmentFields Appointment

// appointmentWire is Appointment's JSON form, with HighLevel's date forms.
type appointmentWire struct {
	appointmentFields
	StartTime   isotime.Time `json:"startTime,omitzero"`
	EndTime     isotime.Time `json:"endTime,omitzero"`
	DateAdded   isotime.Time `json:"dateAdded,omitzero"`
	DateUpdated isotime.Time `json:"dateUpdated,omitzero"`
}

func (w *appointmentWire) appointment(raw wire.Raw) Appointment {
	a := Appointment(w.appointmentFields)
	a.StartTime = time.Time(w.StartTime)
	a.EndTime = time.Time(w.EndTime)
	a.DateAdded = time.Time(w.DateAdded)
	a.DateUpdated = time.Time(w.DateUpdated)
	a.raw = raw
	return a
}

var appointmentModel = wire.NewModel[Appointment]()

// Extra returns the JSON members HighLevel sent that Appointment does not
// hold; see Contact.Extra.
func (a *Appointment) Extra() map[string]json.RawMessage { return appointmentModel.Extra(a.raw) }

// MarshalJSON writes a with the spec's names, then the Extra members whose
// field a does not hold.
func (a Appointment) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(appointmentWire{
		appointmentFields: appointmentFields(a),
		StartTime:         isotime.Time(a.StartTime),
		EndTime:           isotime.Time(a.EndTime),
		DateAdded:         isotime.Time(a.DateAdded),
		DateUpdated:       isotime.Time(a.DateUpdated),
	})
	if err != nil {
		return nil, err
	}
	return appointmentModel.AppendExtra(b, &a, a.Extra())
}

// UnmarshalJSON reads an appointment in one encoding/json pass, tolerating
// HighLevel's date forms ("2021-07-16 11:00:00" included) and odd values.
func (a *Appointment) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var w appointmentWire
	if err := wire.Decode(data, &w); err != nil {
		return err
	}
	*a = w.appointment(wire.Own(data))
	return nil
}
