package jsonx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

type sample struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Hidden string `json:"-"`
	Plain  int
	secret int //lint:ignore U1000 an unexported field Names must skip
}

func TestNames(t *testing.T) {
	t.Parallel()
	got := Names(reflect.TypeFor[sample]())
	if want := []string{"id", "name", "Plain"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
}

func TestExtraAndAppendExtra(t *testing.T) {
	t.Parallel()
	known := []string{"id", "name"}
	cases := []struct {
		in   string
		want map[string]string
	}{
		{`{"id":"1","name":"x"}`, nil},
		{`{"ID":"1"}`, nil}, // encoding/json matches names case-insensitively
		{`{"id":"1","nested":{"id":2,"other":3},"list":[{"a":1}]}`, map[string]string{"nested": `{"id":2,"other":3}`, "list": `[{"a":1}]`}},
		{`{"n\u0061me":"x"}`, nil}, // an escaped known name is decoded, then dropped
		{`{"id":"a,\"b\":1","z":true}`, map[string]string{"z": "true"}},
	}
	for _, tc := range cases {
		got, err := Extra([]byte(tc.in), known)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: Extra = %v, want %v", tc.in, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if string(got[k]) != v {
				t.Errorf("%s: Extra[%s] = %s, want %s", tc.in, k, got[k], v)
			}
		}
	}

	out, err := AppendExtra([]byte(`{"id":"1"}`), map[string]json.RawMessage{"z": json.RawMessage(`1`), "a": json.RawMessage(`"x"`), "ID": json.RawMessage(`2`)}, known)
	if err != nil || string(out) != `{"id":"1","a":"x","z":1}` {
		t.Fatalf("AppendExtra = %s, %v", out, err)
	}
	out, err = AppendExtra([]byte(`{}`), map[string]json.RawMessage{"a": json.RawMessage(`1`)}, known)
	if err != nil || string(out) != `{"a":1}` {
		t.Fatalf("AppendExtra on {} = %s, %v", out, err)
	}
	if _, err := AppendExtra([]byte(`{}`), map[string]json.RawMessage{"a": json.RawMessage(`{`)}, known); err == nil {
		t.Fatal("invalid extra JSON accepted")
	}
}

func TestMembers(t *testing.T) {
	t.Parallel()
	data := []byte(` { "a" : 1 , "b\"c":"x,}" ,"n":{"a":[1,{"z":2}]}, "l":[ "]" ] , "e":"" } `)
	var got []string
	for m := range Members(data) {
		got = append(got, string(m.Name)+"="+string(m.Value)+"|"+string(data[m.Start:m.End]))
		if m.Escaped != (string(m.Name) == `b\"c`) {
			t.Errorf("%s: Escaped = %v", m.Name, m.Escaped)
		}
	}
	want := []string{
		`a=1|"a" : 1`,
		`b\"c="x,}"|"b\"c":"x,}"`,
		`n={"a":[1,{"z":2}]}|"n":{"a":[1,{"z":2}]}`,
		`l=[ "]" ]|"l":[ "]" ]`,
		`e=""|"e":""`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Members:\n got %q\nwant %q", got, want)
	}
	n := 0
	for range Members(data) {
		n++
		break
	}
	if n != 1 {
		t.Fatal("Members did not stop")
	}
	for range Members([]byte(`{}`)) {
		t.Fatal("member in {}")
	}
}

func TestWithout(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"type":"X","id":"1","webhookId":"w","timestamp":"t"}`: `{"id":"1"}`,
		`{"id":"1"}`:                  `{"id":"1"}`,
		`{"webhookId":"w"}`:           `{}`,
		`{"a":{"webhookId":1},"b":2}`: `{"a":{"webhookId":1},"b":2}`,
		`{"Type":"keep","type":"x"}`:  `{"Type":"keep"}`,
	}
	for in, want := range cases {
		got := Without([]byte(in), "type", "webhookId", "timestamp")
		if string(got) != want {
			t.Errorf("Without(%s) = %s, want %s", in, got, want)
		}
		if !json.Valid(got) {
			t.Errorf("Without(%s) is not valid JSON", in)
		}
	}
}

func FuzzWithout(f *testing.F) {
	for _, s := range []string{`{"type":"X","a":1}`, `{"type":"X",}`, `{"a":[1,{"b":"}"}],"type":null}`, `{"type":1e3 ,"b":true}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Removing members never makes invalid input valid.
		if out := Without([]byte(s), "type", "a"); !json.Valid([]byte(s)) && json.Valid(out) {
			t.Fatalf("Without(%q) = %q turned invalid JSON valid", s, out)
		}
	})
}

func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":[1,2,"]"]},"c":"\"}"}`, `{}`, `{"x":null ,"y" : true}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil || obj == nil {
			return
		}
		// Rebuilding the object from its members must give the same object.
		var names []string
		for m := range Members(data) {
			if !m.Escaped {
				names = append(names, string(m.Name))
			}
			if !json.Valid(m.Value) {
				t.Fatalf("member %s has invalid value %s", m.Name, m.Value)
			}
		}
		if !wellFormedObject(data) {
			t.Fatalf("valid object %q not well formed", s)
		}
		stripped := Without(data, names...)
		var rest map[string]json.RawMessage
		if err := json.Unmarshal(stripped, &rest); err != nil {
			t.Fatalf("Without(%s) = %s: %v", s, stripped, err)
		}
	})
}

func TestWithoutLeavesMalformedDataAlone(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"type":"X",`, `{"type":"X"}garbage`, `{"type":"X"}}`, `["type"]`, `{"type":"X`, ``,
		`{"type":"X",}`, `{,"type":"X"}`, `{"type":"X" "a":1}`, `{"type":tru}`, `{"type":"X","a":1,}`, `{"type" "X"}`, `{"type":"X"`, `{"a":[1}`} {
		if got := Without([]byte(in), "type"); string(got) != in {
			t.Errorf("Without(%q) = %q, want it unchanged", in, got)
		}
		if wellFormedObject([]byte(in)) && in != `{"type":tru}` {
			t.Errorf("wellFormedObject(%q) = true", in)
		}
	}
}

// membersRef is the first, byte-at-a-time Members, kept to check the faster
// one against: on valid JSON objects the two must yield the same members.
func membersRef(data []byte) []Member {
	var out []Member
	depth, wantKey, colon := 0, false, -1
	var m Member
	emit := func(end int) {
		m.Value = bytes.TrimSpace(data[colon+1 : end])
		m.End = colon + 1 + len(bytes.TrimRight(data[colon+1:end], " \t\r\n"))
		colon = -1
		out = append(out, m)
	}
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			start, escaped := i, false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if depth == 1 && wantKey {
				m = Member{Name: data[start+1 : min(i, len(data))], Escaped: escaped, Start: start}
				wantKey, colon = false, -1
			}
		case ':':
			if depth == 1 && colon < 0 {
				colon = i
			}
		case '{', '[':
			depth++
			if depth == 1 {
				wantKey = data[i] == '{'
			}
		case '}', ']':
			if depth == 1 && colon >= 0 {
				emit(i)
			}
			depth--
		case ',':
			if depth == 1 {
				if colon >= 0 {
					emit(i)
				}
				wantKey = true
			}
		}
	}
	return out
}

func FuzzMembersReference(f *testing.F) {
	for _, s := range []string{`{"a":1}`, ` { "a" : 1 , "b\"c":"x,}" ,"n":{"a":[1,{"z":2}]}, "l":[ "]" ] , "e":"" } `,
		`{"a\\":"\\\\\"","b":[["\\"]],"c":-1.5e+3,"d":true,"e":null}`, `{}`, `[1]`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		var got []Member
		for m := range Members(data) { // never panics, on any input
			got = append(got, m)
		}
		if !json.Valid(data) || bytes.TrimSpace(data)[0] != '{' {
			return
		}
		if want := membersRef(data); !reflect.DeepEqual(got, want) {
			t.Fatalf("Members(%q):\n got %+v\nwant %+v", s, got, want)
		}
	})
}
