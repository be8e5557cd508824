package wire

import (
	"fmt"
	"reflect"
	"time"

	"github.com/ghlkit/ghl/internal/isotime"
)

// Event holds what a webhook payload carries beside the members of the
// record it is about (a contact, task or note is sent flat, its members next
// to the event's).
type Event struct {
	Type       string
	LocationID string
	WebhookID  string
	Timestamp  Timestamp
	// DateAdded is a task event's "dateAdded", which tasks.Task does not
	// have; a contact's or note's dateAdded is their own.
	DateAdded time.Time
}

// An EventDecoder decodes a webhook payload into ev and rec in one
// encoding/json pass. The record keeps data, which the caller must not
// change afterwards (package webhook passes its own copy). The record packages register theirs (SetEventDecoder)
// because only they know their wire form; package webhook, which imports
// them, calls DecodeEvent.
type EventDecoder[T any] func(data []byte, ev *Event, rec *T) error

// decoders is written only by the record packages' init functions, which
// run before any call of DecodeEvent.
var decoders = map[reflect.Type]any{}

// SetEventDecoder registers the event decoder of record type T; call it
// from an init function.
func SetEventDecoder[T any](d EventDecoder[T]) { decoders[reflect.TypeFor[T]()] = d }

// EventDecoderOf is the EventDecoder of a record whose webhook payload
// decodes into the wire struct W (its EventFields beside the record's wire
// form); conv converts it into the record found at raw and the event.
func EventDecoderOf[W, T any](conv func(w *W, raw Raw) (T, Event)) EventDecoder[T] {
	return func(data []byte, ev *Event, rec *T) error {
		var w W
		if err := Decode(data, &w); err != nil {
			return err
		}
		*rec, *ev = conv(&w, Payload(data))
		return nil
	}
}

// DecodeEvent decodes data into ev and rec with the decoder registered for T.
func DecodeEvent[T any](data []byte, ev *Event, rec *T) error {
	d, ok := decoders[reflect.TypeFor[T]()].(EventDecoder[T])
	if !ok {
		return fmt.Errorf("wire: no event decoder for %v", reflect.TypeFor[T]())
	}
	return d(data, ev, rec)
}

// EventFields are the event's members of a webhook payload on the wire.
// Embed it beside a record's wire form (whose fields then sit deeper, so
// the payload's "type" is the event's, not a contact's type).
type EventFields struct {
	Type       string    `json:"type"`
	LocationID string    `json:"locationId"`
	WebhookID  string    `json:"webhookId"`
	Timestamp  Timestamp `json:"timestamp"`
}

// Event returns the fields as an Event.
func (f *EventFields) Event() Event {
	return Event{Type: f.Type, LocationID: f.LocationID, WebhookID: f.WebhookID, Timestamp: f.Timestamp}
}

// Timestamp is an event's "timestamp" on the wire. Unlike a record's dates,
// an odd value is not dropped silently: Odd tells the caller to refuse the
// payload, whose timestamp the signature check relies on.
type Timestamp struct {
	Time time.Time
	Odd  bool
}

// UnmarshalJSON reads what isotime.Time reads and never fails.
func (s *Timestamp) UnmarshalJSON(data []byte) error {
	var t isotime.Time
	_ = t.UnmarshalJSON(data) // never fails
	*s = Timestamp{Time: time.Time(t), Odd: !isotime.Valid(data)}
	return nil
}
