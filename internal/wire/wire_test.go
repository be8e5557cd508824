package wire

import (
	"encoding/json"
	"testing"
	"time"
)

type rec struct {
	ID string    `json:"id,omitempty"`
	N  int       `json:"n,omitempty"`
	At time.Time `json:"at,omitzero"`
}

func TestDecodeToleratesOddMembersOnly(t *testing.T) {
	t.Parallel()
	var r rec
	if err := Decode([]byte(`{"id":"a","n":8.5}`), &r); err != nil || r.ID != "a" || r.N != 0 {
		t.Errorf("odd member: %+v, %v", r, err)
	}
	for _, bad := range []string{`[]`, `"a"`, `{"id":`} {
		if err := Decode([]byte(bad), &r); err == nil {
			t.Errorf("Decode(%s) succeeded", bad)
		}
	}
}

func TestModelExtra(t *testing.T) {
	t.Parallel()
	m := NewModel[rec]()
	body := []byte(`{"items":[{"id":"a"},{"ID":"b","n":"x","at":"soon","new":1}],"one":{"id":"c","at":"2021-07-08"}}`)
	// Many gives each record its index in the member's array.
	items := Many(make([]int, 3), func(_ *int, r Raw) Raw { return r }, body, "items")
	if got := m.Extra(items[0]); got != nil {
		t.Errorf("item 0: Extra = %s", got)
	}
	got := m.Extra(items[1])
	if len(got) != 3 || string(got["n"]) != `"x"` || string(got["at"]) != `"soon"` || string(got["new"]) != "1" {
		t.Errorf("item 1: Extra = %s", got)
	}
	if got := m.Extra(In(body, "one")); got != nil {
		t.Errorf("one: Extra = %s", got)
	}
	if got := m.Extra(items[2]); got != nil {
		t.Errorf("missing item: Extra = %s", got)
	}
	// A webhook payload's own members are not the record's.
	if got := m.Extra(Payload([]byte(`{"type":"X","webhookId":"w","TimeStamp":1,"id":"a","z":2}`))); len(got) != 1 || string(got["z"]) != "2" {
		t.Errorf("payload: Extra = %s", got)
	}
	if got := m.Extra(Raw{}); got != nil {
		t.Errorf("no object: Extra = %s", got)
	}
}

func TestAppendExtra(t *testing.T) {
	t.Parallel()
	m := NewModel[rec]()
	extra := map[string]json.RawMessage{"z": json.RawMessage(`[1, 2]`), "a": json.RawMessage(`true`), "n": json.RawMessage(`8.5`)}
	got, err := m.AppendExtra([]byte(`{"id":"x"}`), &rec{ID: "x"}, extra)
	if err != nil || string(got) != `{"id":"x","a":true,"n":8.5,"z":[1,2]}` {
		t.Errorf("AppendExtra = %s, %v", got, err)
	}
	// A field set since wins over the odd value it replaced.
	got, err = m.AppendExtra([]byte(`{"n":9}`), &rec{N: 9}, extra)
	if err != nil || string(got) != `{"n":9,"a":true,"z":[1,2]}` {
		t.Errorf("AppendExtra = %s, %v", got, err)
	}
	if got, err := m.AppendExtra([]byte(`{}`), &rec{}, map[string]json.RawMessage{"b": json.RawMessage(`2`)}); err != nil || string(got) != `{"b":2}` {
		t.Errorf("AppendExtra to {} = %s, %v", got, err)
	}
	if _, err := m.AppendExtra([]byte(`{}`), &rec{}, map[string]json.RawMessage{"b": json.RawMessage(`{`)}); err == nil {
		t.Error("wrote invalid JSON")
	}
}
