package ghl

import (
	"bytes"
	"encoding/json"
)

// Field is an optional field of the UpdateParams of packages contacts, tasks
// and notes, in one of three states:
//
//   - unchanged: the zero Field. Nothing is sent; HighLevel keeps the value.
//   - set: Set(v). v is sent, "" and empty lists included.
//   - cleared: Null[T](). JSON null is sent, which HighLevel takes as "remove
//     the value". Only fields the spec marks nullable accept it; Update
//     refuses Null for the others before sending, naming the field in a
//     *ParamError (clear them with Set("") or an empty list).
//
// For example, to rename a contact, remove its email address and leave every
// other field alone:
//
//	svc.Update(ctx, id, contacts.UpdateParams{
//		FirstName: ghl.Set("Ada"),
//		Email:     ghl.Null[string](),
//	})
//
// which sends {"firstName":"Ada","email":null}.
type Field[T any] struct {
	value T
	state fieldState
}

type fieldState uint8

const (
	unchanged fieldState = iota
	set
	null
)

// Set returns a Field that sends v.
func Set[T any](v T) Field[T] { return Field[T]{value: v, state: set} }

// Null returns a Field that sends JSON null, clearing the value.
func Null[T any]() Field[T] { return Field[T]{state: null} }

// IsZero reports whether f is unchanged, so `json:",omitzero"` leaves it out.
func (f Field[T]) IsZero() bool { return f.state == unchanged }

// IsNull reports whether f clears the value.
func (f Field[T]) IsNull() bool { return f.state == null }

// Get returns the value given to Set; ok is false when f is unchanged or
// cleared.
func (f Field[T]) Get() (v T, ok bool) { return f.value, f.state == set }

// MarshalJSON writes the value, or null when f is cleared or unchanged.
func (f Field[T]) MarshalJSON() ([]byte, error) {
	if f.state != set {
		return []byte("null"), nil
	}
	return json.Marshal(f.value)
}

// UnmarshalJSON makes null a cleared Field and any other value a set one, so
// that params decoded from JSON keep their meaning.
func (f *Field[T]) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*f = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*f = Set(v)
	return nil
}
