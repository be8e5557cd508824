// Package jsonx keeps the JSON members a struct does not know, so that the
// SDK's types survive fields HighLevel adds later and write them back.
package jsonx

import (
	"bytes"
	"encoding/json"
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
	depth, wantKey := 0, false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			start, escaped := i+1, false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if depth == 1 && wantKey {
				if escaped || !isKnownBytes(known, data[start:i]) {
					return true
				}
				wantKey = false
			}
		case '{', '[':
			depth++
			wantKey = depth == 1 && data[i] == '{'
		case '}', ']':
			depth--
		case ',':
			wantKey = depth == 1
		}
	}
	return false
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
