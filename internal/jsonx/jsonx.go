// Package jsonx keeps the JSON members a struct does not know, so that the
// SDK's types survive fields HighLevel adds later and write them back.
package jsonx

import (
	"bytes"
	"encoding/json"
	"iter"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Names lists the JSON names of t's exported fields.
func Names(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// isKnown reports whether k names a known field, matching case-insensitively
// as encoding/json does.
func isKnown(known []string, k string) bool {
	return slices.ContainsFunc(known, func(n string) bool { return strings.EqualFold(k, n) })
}

// Extra returns the members of the JSON object data whose names are
// not in known, or nil. data must be valid JSON (callers decode it first).
func Extra(data []byte, known []string) (map[string]json.RawMessage, error) {
	if !hasUnknownKey(data, known) {
		return nil, nil // the common case, without decoding data a second time
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	maps.DeleteFunc(all, func(k string, _ json.RawMessage) bool { return isKnown(known, k) })
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

// hasUnknownKey reports whether the valid JSON object data has a top-level
// member whose name is not in known. It scans without allocating; a name
// with escapes counts as unknown, leaving it to encoding/json to decide.
func hasUnknownKey(data []byte, known []string) bool {
	for m := range Members(data) {
		if m.Escaped || !isKnownBytes(known, m.Name) {
			return true
		}
	}
	return false
}

// Member is one top-level member of a JSON object, as bytes of the object.
type Member struct {
	Name    []byte // the name as written, without its quotes
	Escaped bool   // the name holds escapes, so Name is not its decoded form
	Value   []byte // the raw value, without surrounding white space
	// Start and End delimit the whole member in the object: from the opening
	// quote of its name to the end of its value.
	Start, End int
}

// Members yields the top-level members of the JSON object data in order,
// without decoding or allocating. data must be valid JSON: the scan does not
// check it (it stops early on some malformed input, and never panics), so
// callers validate with a decoder of their own.
func Members(data []byte) iter.Seq[Member] {
	return func(yield func(Member) bool) {
		i := skipSpace(data, 0)
		if i >= len(data) || data[i] != '{' {
			return
		}
		i++
		for {
			i = skipSpace(data, i)
			if i >= len(data) || data[i] != '"' {
				return // the closing brace, or malformed
			}
			end := skipString(data, i)
			if end < 0 {
				return
			}
			m := Member{Name: data[i+1 : end], Start: i}
			m.Escaped = bytes.IndexByte(m.Name, '\\') >= 0
			if i = skipSpace(data, end+1); i >= len(data) || data[i] != ':' {
				return
			}
			i = skipSpace(data, i+1)
			m.End = skipValue(data, i)
			if m.End < 0 {
				return
			}
			m.Value = data[i:m.End]
			if !yield(m) {
				return
			}
			if i = skipSpace(data, m.End); i >= len(data) || data[i] != ',' {
				return
			}
			i++
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index just past the value starting at data[i], or
// -1. It finds the value's end without checking what lies between.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		if i = skipString(data, i); i < 0 {
			return -1
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				if i = skipString(data, i); i < 0 {
					return -1
				}
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(data) && scalarByte(data[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// Without returns the JSON object data without its top-level members whose
// names are exactly one of names, or data itself when it has none of them.
// Data that is not a well-formed object, or whose removed members hold
// invalid JSON, is returned as it is, so that a decoder still sees and
// refuses it: removing members never turns invalid input into valid input.
func Without(data []byte, names ...string) []byte {
	if !wellFormedObject(data) {
		return data
	}
	drop := false
	for m := range Members(data) {
		if !m.Escaped && slices.Contains(names, string(m.Name)) {
			if !json.Valid(m.Value) {
				return data
			}
			drop = true
		}
	}
	if !drop {
		return data
	}
	out := make([]byte, 0, len(data))
	out = append(out, '{')
	for m := range Members(data) {
		if !m.Escaped && slices.Contains(names, string(m.Name)) {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, data[m.Start:m.End]...)
	}
	return append(out, '}')
}

// wellFormedObject reports whether data is one object whose top level
// follows JSON's grammar ({ "name" : value , ... }) with balanced brackets
// inside values and nothing but white space around it. It does not check the
// values themselves: Without keeps them verbatim for the decoder to judge,
// and checks the ones it removes.
func wellFormedObject(data []byte) bool {
	const (
		keyOrEnd = iota
		key
		colon
		value
		commaOrEnd
		done
	)
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '{' {
		return false
	}
	state, depth := keyOrEnd, 0
	for i := 1; i < len(data); i++ {
		c := data[i]
		if depth > 0 {
			switch c {
			case '"':
				if i = skipString(data, i); i < 0 {
					return false
				}
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					state = commaOrEnd
				}
			}
			continue
		}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case state == done:
			return false
		case c == '"' && (state == keyOrEnd || state == key):
			if i = skipString(data, i); i < 0 {
				return false
			}
			state = colon
		case c == ':' && state == colon:
			state = value
		case c == '}' && (state == keyOrEnd || state == commaOrEnd):
			state = done
		case c == ',' && state == commaOrEnd:
			state = key
		case state == value:
			switch c {
			case '"':
				if i = skipString(data, i); i < 0 {
					return false
				}
				state = commaOrEnd
			case '{', '[':
				depth = 1
			default: // a number or literal: letters, digits and . + -
				if !scalarByte(c) {
					return false
				}
				for i+1 < len(data) && scalarByte(data[i+1]) {
					i++
				}
				state = commaOrEnd
			}
		default:
			return false
		}
	}
	return state == done
}

func scalarByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '+' || c == '-'
}

// skipString returns the index of the quote closing the string that opens
// at data[i], or -1.
func skipString(data []byte, i int) int {
	for i++; ; i++ {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		// The quote closes the string unless an odd number of backslashes
		// escapes it; the opening quote bounds the run.
		n := 0
		for data[i-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return i
		}
	}
}

func isKnownBytes(known []string, k []byte) bool {
	for _, n := range known {
		if len(n) == len(k) && (n == string(k) || strings.EqualFold(n, string(k))) {
			return true
		}
	}
	return false
}

// AppendExtra adds the extra members, sorted by name, to the JSON object obj,
// skipping names in known so the typed fields stay authoritative.
func AppendExtra(obj []byte, extra map[string]json.RawMessage, known []string) ([]byte, error) {
	if len(extra) == 0 {
		return obj, nil
	}
	buf := bytes.NewBuffer(obj[: len(obj)-1 : len(obj)-1]) // drop the closing brace
	empty := len(obj) == 2
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if isKnown(known, k) {
			continue
		}
		v := extra[k]
		if !json.Valid(v) {
			return nil, &json.UnsupportedValueError{Str: "Extra[" + k + "] is not valid JSON"}
		}
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		if !empty {
			buf.WriteByte(',')
		}
		empty = false
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
