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

// Raw is where a record's JSON object is: the object itself (a record
// decoded alone, or a webhook payload), or one member of a response body
// (an item of an array member when the index is >= 0), located only when
// asked. The zero Raw is no object. It is two words, so that records stay
// small; the records of one response share their source.
type Raw struct {
	src   *source
	index int
}

type source struct {
	obj    json.RawMessage // the object itself, or nil
	body   []byte          // else the response body
	member string          // and the member of the body
	event  bool            // the object is a webhook payload, with the event's members
}

// Own is a record decoded alone from data. encoding/json may reuse the
// bytes it hands to an UnmarshalJSON method, so Own keeps a copy.
func Own(data []byte) Raw { return Raw{src: &source{obj: bytes.Clone(data)}} }

// Payload is a record decoded from a webhook payload, data, which the
// caller keeps unchanged.
func Payload(data []byte) Raw { return Raw{src: &source{obj: data, event: true}} }

// In is the record of member of a response body (not an array). body must
// stay unchanged.
func In(body []byte, member string) Raw {
	return Raw{src: &source{body: body, member: member}, index: -1}
}

// object returns the record's object, locating it in the body if need be.
func (r Raw) object() json.RawMessage {
	if r.src == nil {
		return nil
	}
	if r.src.obj != nil || r.src.body == nil {
		return r.src.obj
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(r.src.body, &top) != nil {
		return nil
	}
	v := top[r.src.member]
	if r.index < 0 {
		return v
	}
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil || r.index >= len(items) {
		return nil
	}
	return items[r.index]
}

// One converts the record of a response body's member from its wire form
// w (nil: no record) with conv.
func One[W, T any](w *W, conv func(*W, Raw) T, body []byte, member string) *T {
	if w == nil {
		return nil
	}
	t := conv(w, In(body, member))
	return &t
}

// Many converts the records of a response body's array member from their
// wire form with conv.
func Many[W, T any](ws []W, conv func(*W, Raw) T, body []byte, member string) []T {
	if ws == nil {
		return nil
	}
	src := &source{body: body, member: member}
	ts := make([]T, len(ws))
	for i := range ws {
		ts[i] = conv(&ws[i], Raw{src: src, index: i})
	}
	return ts
}

// A Response is a response type of the service packages: Client.Do decodes
// it with Decode and hands it the body, which the response keeps for its
// records' Extra (the body is not changed afterwards).
type Response interface {
	KeepGHLBody(body []byte)
}

// Body is embedded in the service packages' response types to implement
// Response.
type Body struct{ Bytes []byte }

// KeepGHLBody implements Response.
func (b *Body) KeepGHLBody(body []byte) { b.Bytes = body }

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

// Extra returns the members of r's object that the model does not have,
// and those whose value its field cannot hold (a birthMonth of 8.5, a date
// in a form HighLevel is not known to send), which decoding left zero. It
// returns nil when there are none, or when there is no object. In a webhook
// payload, the event's own members (EventMembers) are not the record's and
// are left out.
func (m *Model) Extra(r Raw) map[string]json.RawMessage {
	raw, event := r.object(), r.src != nil && r.src.event
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
