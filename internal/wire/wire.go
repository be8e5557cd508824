// Package wire holds what the record types of packages contacts, tasks and
// notes share to decode HighLevel's JSON in one encoding/json pass and keep
// what they do not model.
//
// A record keeps the raw bytes of the object it was decoded from. Members it
// does not model, and values it could not read into their field, are
// computed from those bytes only when asked for (Model.Extra): decoding
// itself never scans an object a second time.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl/internal/isotime"
)

// Decode unmarshals data into v with encoding/json. A value of the wrong JSON
// type for its field (a float where an int is expected, a number where a
// string is) leaves that field zero and does not fail the decoding:
// encoding/json goes on with the other fields and reports only the first
// such mismatch, which Decode drops. Any other error is returned.
func Decode(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if te, odd := errors.AsType[*json.UnmarshalTypeError](err); odd && te.Field != "" {
		return nil // a member's value; a record that is no object still fails
	}
	return err
}

// Keep returns a copy of data to keep: encoding/json may reuse the bytes it
// hands to an UnmarshalJSON method.
func Keep(data []byte) json.RawMessage { return bytes.Clone(data) }

// Model is the JSON shape of a record type: its members by name.
type Model struct {
	fields map[string]field // by lower-case name: encoding/json matches names without case
}

type field struct {
	name  string
	index int
	typ   reflect.Type
}

var timeType = reflect.TypeFor[time.Time]()

// NewModel describes struct type T from its exported fields' json tags
// (fields without a name in the tag, or tagged "-", are not members).
func NewModel[T any]() *Model {
	t := reflect.TypeFor[T]()
	m := &Model{fields: make(map[string]field)}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		m.fields[strings.ToLower(name)] = field{name: name, index: i, typ: f.Type}
	}
	return m
}

// Extra returns the members of raw (a JSON object, as kept by Keep) that
// the model does not have, and those whose value its field cannot hold (a
// birthMonth of 8.5, a date in a form HighLevel is not known to send), which
// decoding left zero. It returns nil when there are none, or when raw is not
// an object. When raw is a webhook payload (event), the event's own members
// (EventMembers) are not the record's and are left out.
func (m *Model) Extra(raw json.RawMessage, event bool) map[string]json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(raw, &all) != nil {
		return nil
	}
	for k, v := range all {
		f, modeled := m.fields[strings.ToLower(k)]
		if modeled && f.holds(v) || !modeled && event && isEventMember(k) {
			delete(all, k)
		}
	}
	if len(all) == 0 {
		return nil
	}
	return all
}

// EventMembers are the members a webhook payload carries beside a record's.
var EventMembers = []string{"type", "locationId", "webhookId", "timestamp", "dateAdded"}

func isEventMember(k string) bool {
	return slices.ContainsFunc(EventMembers, func(m string) bool { return strings.EqualFold(m, k) })
}

// holds reports whether v decodes into the field without a mismatch.
func (f field) holds(v json.RawMessage) bool {
	if f.typ == timeType {
		return isotime.Valid(v)
	}
	return json.Unmarshal(v, reflect.New(f.typ).Interface()) == nil
}

// AppendExtra appends to obj, the JSON object the model's fields of rec were
// written to, the members of extra that rec does not hold: those the model
// does not have, and odd values whose field in rec is still zero (so that a
// record written back keeps them, unless the caller has set the field
// since). Members are added in name order.
func (m *Model) AppendExtra(obj []byte, rec any, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return obj, nil
	}
	v := reflect.Indirect(reflect.ValueOf(rec))
	obj = bytes.TrimRight(obj, " \t\r\n")
	if len(obj) < 2 || obj[len(obj)-1] != '}' {
		return nil, errors.New("wire: AppendExtra: not a JSON object")
	}
	obj = obj[:len(obj)-1]
	first := len(bytes.TrimSpace(obj)) == 1 // just "{"
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if f, ok := m.fields[strings.ToLower(k)]; ok && !v.Field(f.index).IsZero() {
			continue
		}
		if !first {
			obj = append(obj, ',')
		}
		first = false
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		var val bytes.Buffer
		if err := json.Compact(&val, extra[k]); err != nil {
			return nil, err
		}
		obj = append(obj, name...)
		obj = append(obj, ':')
		obj = append(obj, val.Bytes()...)
	}
	return append(obj, '}'), nil
}
