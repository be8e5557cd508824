package jsonx

import (
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
