package mattermost

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// The map form: how Props were encoded before they were written directly,
// kept as the reference the direct encoder must match byte for byte.
func mapFormMarshal(p Props) ([]byte, error) {
	m := make(map[string]json.RawMessage, len(p.Other)+1)
	maps.Copy(m, p.Other)
	if len(p.Attachments) > 0 {
		raw, err := marshalJSON(p.Attachments)
		if err != nil {
			return nil, err
		}
		m["attachments"] = raw
	}
	return marshalJSON(m)
}

// checkPropsEncoding fails t unless p encodes exactly as the map form
// does, errors included, and propsRunes counts what json.Marshal (the
// server's encoding, HTML escaping included) writes.
func checkPropsEncoding(t *testing.T, p Props) {
	t.Helper()
	want, wantErr := mapFormMarshal(p)
	got, err := p.MarshalJSON()
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("props %#v: error %v, the map form's %v", p, err, wantErr)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("props %#v:\n got %s\nwant %s", p, got, want)
	}
	// Inside a post, through the encoder every request uses.
	post := Post{ChannelID: "c", Message: "m", Props: p}
	wantPost, _ := marshalJSON(struct {
		ChannelID string          `json:"channel_id"`
		Message   string          `json:"message"`
		Props     json.RawMessage `json:"props"`
	}{"c", "m", want})
	if p.IsZero() {
		wantPost = []byte(`{"channel_id":"c","message":"m"}`)
	}
	if gotPost, err := marshalJSON(post); err != nil || !bytes.Equal(gotPost, wantPost) {
		t.Fatalf("post with props %#v:\n got %s (%v)\nwant %s", p, gotPost, err, wantPost)
	}
	server, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if n, want := propsRunes(got), utf8.RuneCount(server); n != want {
		t.Fatalf("props %s: propsRunes %d, json.Marshal writes %d characters (%s)", got, n, want, server)
	}
	// CreatePost counts only bodies over MaxPropsRunes/6 bytes, relying on
	// this.
	if n := propsRunes(got); n > 6*len(got) {
		t.Fatalf("props %s: %d characters, more than six per byte", got, n)
	}
}

func TestPropsEncodeAsMapForm(t *testing.T) {
	t.Parallel()
	atts := []Attachment{{
		Title: "<b> & co", Text: "line\u2028two \"q\" \\ é 価格",
		Fields:  []AttachmentField{{Title: "Status", Value: "Open", Short: true}},
		Actions: []Action{{ID: "x1", Name: "Done", Integration: &Integration{URL: "https://b/a?x=1&y=<2>", Context: map[string]any{"z": 1, "a": "<&>"}}}},
	}}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := map[string]Props{
		"zero":                        {},
		"empty Other":                 {Other: map[string]json.RawMessage{}},
		"attachments only":            {Attachments: atts},
		"empty attachments and Other": {Attachments: []Attachment{}, Other: map[string]json.RawMessage{}},
		"keys around attachments": {Attachments: atts, Other: map[string]json.RawMessage{
			"ghlkit_event": raw(`"ghlkit:1:ab"`), "aardvark": raw(`1`), "Attachments": raw(`"upper case sorts first"`),
			"attachments0": raw(`true`), "attachment": raw(`[]`), "": raw(`"empty key"`), "~": raw(`{}`),
		}},
		"html and line separators": {Other: map[string]json.RawMessage{
			"html":  raw(`"<script>&amp;</script>"`),
			"lines": raw("\"a\u2028b\u2029c\""), // raw: left as written
			"k<&>":  raw(`"key with html"`),
			"esc":   raw(`"\u003c already escaped \n"`),
		}},
		"keys needing escapes": {Other: map[string]json.RawMessage{
			"quote\"": raw(`1`), "back\\slash": raw(`2`), "tab\t": raw(`3`), "nl\n": raw(`4`), "ctl\x01": raw(`5`),
			"del\x7f": raw(`6`), "é": raw(`7`), "bad\xff": raw(`8`), "ls\u2028": raw(`9`), "価格": raw(`10`),
		}},
		"raw values compacted": {Other: map[string]json.RawMessage{
			"spaced": raw(" { \"a\" : [ 1 , 2 ] ,\n \"b\" : null } "), "nil": nil, "num": raw(`1.50e+2`),
		}},
		"Other's attachments replaced":     {Attachments: atts, Other: map[string]json.RawMessage{"attachments": raw(`"old"`), "b": raw(`1`)}},
		"Other's attachments kept":         {Other: map[string]json.RawMessage{"attachments": raw(`"not a list"`), "b": raw(`1`)}},
		"Other's bad attachments replaced": {Attachments: atts, Other: map[string]json.RawMessage{"attachments": raw(`{bad`)}},
		"invalid raw":                      {Other: map[string]json.RawMessage{"a": raw(`{bad`)}},
		"empty raw":                        {Other: map[string]json.RawMessage{"a": raw(``)}},
		"invalid raw after valid":          {Other: map[string]json.RawMessage{"a": raw(`1`), "b": raw(`[1,`)}},
		"invalid raw and attachments":      {Attachments: atts, Other: map[string]json.RawMessage{"a": raw(`x`), "z": raw(`y`)}},
		"unencodable attachments": {Attachments: []Attachment{{Actions: []Action{{Name: "n", Integration: &Integration{Context: map[string]any{"f": math.Inf(1)}}}}}},
			Other: map[string]json.RawMessage{"a": raw(`bad`)}},
		"unencodable attachments, valid raw": {Attachments: []Attachment{{Actions: []Action{{Name: "n", Integration: &Integration{Context: map[string]any{"c": make(chan int)}}}}}},
			Other: map[string]json.RawMessage{"a": raw(`1`)}},
		"invalid UTF-8 in raw": {Other: map[string]json.RawMessage{"a": raw("\"\xff\xfe\"")}},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) { checkPropsEncoding(t, p) })
	}
}

// TestPropsRunesCountsLineSeparators: a raw prop value holding U+2028 is
// sent as it is, and the server's encoding writes it as six characters.
func TestPropsRunesCountsLineSeparators(t *testing.T) {
	t.Parallel()
	n := (MaxPropsRunes - 8) / 6
	at := Props{Other: map[string]json.RawMessage{"k": json.RawMessage(`"` + strings.Repeat("\u2028", n) + `"`)}}
	over := Props{Other: map[string]json.RawMessage{"k": json.RawMessage(`"` + strings.Repeat("\u2028", n+1) + `"`)}}
	if err := validateProps("p", at); err != nil {
		t.Errorf("%d line separators: %v", n, err)
	}
	if err := validateProps("p", over); !errors.Is(err, ErrInvalidParam) {
		t.Errorf("%d line separators: %v, want refused", n+1, err)
	}
	server, _ := json.Marshal(over)
	if utf8.RuneCount(server) <= MaxPropsRunes {
		t.Fatalf("test props are within the limit once escaped: %d", utf8.RuneCount(server))
	}
}

func TestAttachmentFieldDecodesAsRawForm(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"title":"T","value":"V","short":true}`,
		`{"title":"T","value":"V","short":false}`,
		`{"title":"T","value":"V"}`,
		`{"title":"T","value":"V","short":"true"}`,
		`{"title":"T","value":"V","short":"1"}`,
		`{"title":"T","value":"V","short":"yes"}`,
		`{"title":"T","value":"V","short":1}`,
		`{"title":"T","value":"V","short":1.0}`,
		`{"title":"T","value":"V","short":null}`,
		`{"title":"T","value":"V","short":{}}`,
		`{"title":"T","value":42,"short":"true"}`,
		`{"title":true,"value":1.50}`,
		`{"title":null,"value":{"a": [1, 2]}}`,
		`{"title":"x","title":7}`,
		`{"title":7,"title":"x"}`,
		`{"title":"x","title":null,"value":"v","Value":null,"short":true,"short":null}`,
		`{"title":null,"title":"x"}`,
		`{"TITLE":"upper","Value":"v"}`,
		`{"title":"\u003c\ud83d\ude00 \"q\" \ufffd","value":"\xff"}`,
		`{"title":"T","extra":[1,2,3]}`,
		`null`, `{}`, `[]`, `"s"`, `1`,
	} {
		var got, want AttachmentField
		err := json.Unmarshal([]byte(in), &got)
		wantErr := want.unmarshalLoose([]byte(in))
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() || got != want {
			t.Errorf("%s: got %+v (%v), want %+v (%v)", in, got, err, want, wantErr)
		}
	}
}

func FuzzPropsEncoding(f *testing.F) {
	f.Add(`{"attachments":[{"title":"<x>","fields":[{"title":"a","value":1,"short":"true"}]}],"b":"&"}`, "k", `"v"`)
	f.Add(`{"Attachments":"x","attachments":[],"a":{"b":[1,2,{"c":null}]}}`, "attachments", `[{"text":"y"}]`)
	f.Add(`{"a":"\u2028\u2029","\u00e9":1}`, "\"\\\t\u2028", ` [ 1 , 2 ] `)
	f.Add(`null`, "", `{bad`)
	f.Fuzz(func(t *testing.T, in, key, raw string) {
		var p Props
		if json.Unmarshal([]byte(in), &p) != nil {
			return
		}
		checkPropsEncoding(t, p)
		if p.Other == nil {
			p.Other = map[string]json.RawMessage{}
		}
		p.Other[key] = json.RawMessage(raw)
		checkPropsEncoding(t, p)
		// Decoding what was encoded gives the same props back: from the
		// second round on, the same bytes (the first may turn invalid
		// UTF-8, written \ufffd, into U+FFFD, written as it is).
		b, err := p.MarshalJSON()
		if err != nil {
			return
		}
		b2 := roundTrip(t, b)
		if b3 := roundTrip(t, b2); !bytes.Equal(b2, b3) {
			t.Fatalf("round trip of %s:\n%s\n%s", b, b2, b3)
		}
	})
}

func roundTrip(t *testing.T, b []byte) []byte {
	t.Helper()
	var p Props
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("%s does not decode: %v", b, err)
	}
	out, err := p.MarshalJSON()
	if err != nil {
		t.Fatalf("%s decoded does not encode: %v", b, err)
	}
	return out
}

func FuzzAttachmentFieldDecoding(f *testing.F) {
	for _, s := range []string{`{"title":"T","value":"V","short":true}`, `{"title":1,"value":null,"short":"1"}`, `{"short":1.0}`, `{"title":"x","title":null}`, `[]`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var got, want AttachmentField
		err := got.UnmarshalJSON([]byte(in))
		wantErr := want.unmarshalLoose([]byte(in))
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() || got != want {
			t.Fatalf("%q: got %+v (%v), want %+v (%v)", in, got, err, want, wantErr)
		}
	})
}

// benchProps are the props of a post the bridge makes for a task: one
// attachment with four fields and two signed buttons, and its event marker.
func benchProps() Props {
	sig := "v1." + strings.Repeat("eyJrIjoiYWN0aW9uIiwibiI6ImNvbXBsZXRlIiwidiI6", 5) + ".fYPTJrBSnX467-4MSId7ZVFpvwCqbSIiDA4rurIZUT4"
	act := func(name, style string) Action {
		return Action{Type: ActionTypeButton, Name: name, Style: style, Integration: &Integration{
			URL: "http://127.0.0.1:42633/mattermost/action", Context: map[string]any{"ghlkit_sig": sig}}}
	}
	return Props{
		Attachments: []Attachment{{
			Fallback: "Task: bench8 (Open)", Color: "#607D8B", Title: "⬜ bench8",
			Fields: []AttachmentField{
				{Title: "Status", Value: "Open", Short: true},
				{Title: "Due", Value: "Tue 1 Jan 2030 09:00 UTC", Short: true},
				{Title: "Task ID", Value: "`bench-task8`", Short: true},
				{Title: "Contact ID", Value: "`9wqMagPgzLxiU8ZHQXVK`", Short: true},
			},
			Actions: []Action{act("Complete", "primary"), act("Edit", "")},
		}},
		Other: map[string]json.RawMessage{"ghlkit_event": json.RawMessage(`"ghlkit:1796188421990:c379d497609fd87b"`)},
	}
}

// BenchmarkPropsMarshal compares the map form with the direct encoder, on
// their own and inside a post as a request encodes it.
func BenchmarkPropsMarshal(b *testing.B) {
	p := benchProps()
	post := Post{ChannelID: "7exyq7d3k9pmdi96zttbsnqrpo", Message: "New task", Props: p, PendingPostID: "ghlkit:1:ab"}
	b.Run("props/map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mapFormMarshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("props/direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What CreatePost encodes: before, the props once to count them, then
	// the post; now the post, its props counted from it.
	b.Run("create/map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			raw, err := mapFormMarshal(p)
			if err != nil || propsRunes(raw) > MaxPropsRunes {
				b.Fatal(err)
			}
			if _, err := marshalJSON(mapFormPost(post)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("create/direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeCreate(&post); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// mapFormPost is a post whose props encode in the map form (written last
// rather than in their place: the same work).
func mapFormPost(p Post) any {
	type plain Post
	return struct {
		*plain
		Props mapFormProps `json:"props,omitzero"`
	}{(*plain)(&p), mapFormProps(p.Props)}
}

type mapFormProps Props

func (p mapFormProps) IsZero() bool                 { return Props(p).IsZero() }
func (p mapFormProps) MarshalJSON() ([]byte, error) { return mapFormMarshal(Props(p)) }

// BenchmarkAttachmentsUnmarshal compares decoding a post's attachments with
// fields read as raw text first and in one pass.
func BenchmarkAttachmentsUnmarshal(b *testing.B) {
	raw, err := json.Marshal(benchProps().Attachments)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var atts []rawFormAttachment
			if err := json.Unmarshal(raw, &atts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var atts []Attachment
			if err := json.Unmarshal(raw, &atts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rawFormAttachment is an Attachment whose fields decode the raw way.
type rawFormAttachment struct {
	Attachment
	Fields []rawFormField `json:"fields,omitempty"`
}

type rawFormField AttachmentField

func (f *rawFormField) UnmarshalJSON(b []byte) error {
	return (*AttachmentField)(f).unmarshalLoose(b)
}
