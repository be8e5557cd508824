package mattermost

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/tasks"
)

// The decoder of props as it was before attachments were decoded through
// attachmentJSON, kept as the oracle the current one must match: the same
// props, attachments, fields and errors for every input.

// oldDecodeProps is the former Props.UnmarshalJSON.
func oldDecodeProps(b []byte) (Props, error) {
	var p Props
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return p, err
	}
	if raw, ok := m["attachments"]; ok {
		var old []oldAttachment
		if err := json.Unmarshal(raw, &old); err == nil {
			p.Attachments = oldAttachments(old)
			delete(m, "attachments")
		}
	}
	if len(m) > 0 {
		p.Other = m
	}
	return p, nil
}

// oldAttachment is an Attachment whose fields decode as they did.
type oldAttachment struct {
	Attachment
	Fields []oldField `json:"fields,omitempty"`
}

func oldAttachments(old []oldAttachment) []Attachment {
	if old == nil {
		return nil
	}
	atts := make([]Attachment, len(old))
	for i, a := range old {
		atts[i] = a.Attachment
		if a.Fields != nil {
			atts[i].Fields = make([]AttachmentField, len(a.Fields))
			for j, f := range a.Fields {
				atts[i].Fields[j] = AttachmentField(f)
			}
		}
	}
	return atts
}

type oldField AttachmentField

// UnmarshalJSON is the former AttachmentField.UnmarshalJSON.
func (f *oldField) UnmarshalJSON(b []byte) error {
	var typed struct {
		Title *string `json:"title"`
		Value *string `json:"value"`
		Short any     `json:"short"`
	}
	if json.Unmarshal(b, &typed) == nil {
		switch short := typed.Short.(type) {
		case nil, bool, string:
			*f = oldField{}
			if typed.Title != nil {
				f.Title = *typed.Title
			}
			if typed.Value != nil {
				f.Value = *typed.Value
			}
			f.Short = short == true || short == "true" || short == "1"
			return nil
		}
	}
	return (*AttachmentField)(f).unmarshalLoose(b)
}

// unmarshalLoose is the former raw form of a field, which the one-pass
// form always matched: every value read as raw text first.
func (f *AttachmentField) unmarshalLoose(b []byte) error {
	var w struct {
		Title json.RawMessage `json:"title"`
		Value json.RawMessage `json:"value"`
		Short json.RawMessage `json:"short"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = AttachmentField{Title: oldLooseString(w.Title), Value: oldLooseString(w.Value)}
	switch s := oldLooseString(w.Short); s {
	case "true", "1":
		f.Short = true
	}
	return nil
}

// oldLooseString is the former looseString.
func oldLooseString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// checkPropsDecoding fails t unless the props in decode as the oracle
// decodes them: the same error (or none) and the same props, nil and empty
// told apart.
func checkPropsDecoding(t *testing.T, in []byte) {
	t.Helper()
	want, wantErr := oldDecodeProps(in)
	got := Props{Other: map[string]json.RawMessage{"stale": json.RawMessage(`1`)}} // reset by the decoder
	err := got.UnmarshalJSON(in)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%.200q: error %v, the former decoder's %v", in, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q:\n got %#v\nwant %#v", in, got, want)
	}
	// Inside a post, as the client and the fake decode one.
	post := append(append([]byte(`{"channel_id":"c","props":`), in...), '}')
	var gotPost Post
	if err := json.Unmarshal(post, &gotPost); err == nil && wantErr == nil {
		if !reflect.DeepEqual(gotPost.Props, want) {
			t.Fatalf("post %.200q:\n got %#v\nwant %#v", post, gotPost.Props, want)
		}
	}
}

// propsDecodingCases are props whose decoding the table test and the fuzz
// seeds check against the oracle: every loose way a field is read, null
// clearing a value, attachments that do not decode kept in Other, repeated
// keys, and whatever else fields may meet.
var propsDecodingCases = []string{
	`null`, ` null `, `{}`, `{"a":1}`, `[]`, `"s"`, `1`, `{bad`, ``, `{"a":1}x`,
	// Objects read member by member, and what is not quite one.
	" \t\r\n{ } \n", `{"a":1}{"b":2}`, `{"a":1} {`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{,}`, `{"a":1 "b":2}`, `{1:2}`,
	`{"a":1,"a":[2]}`, `{"a":{"b":[1,{"c":null}]},"d":"e"}`, `{"\u0061ttachments":[{"title":"escaped key"}]}`,
	"{\"k\xff\":1}", `{"a":1`, `{"attachments":[{"title":"t"}]`, `{"attachments":[{"title":"t"}]}]`,
	// Attachments of every shape.
	`{"attachments":null}`,
	`{"attachments":[]}`,
	`{"attachments":[null]}`,
	`{"attachments":[{}]}`,
	`{"attachments":"not a list","b":2}`,
	`{"attachments":{}}`,
	`{"attachments":[1]}`,
	`{"attachments":[{"title":5}]}`,
	`{"attachments":[{"title":"a"}],"attachments":[{"text":"b"}]}`,
	`{"attachments":[{"title":"a"}],"attachments":"x"}`,
	`{"attachments":"x","attachments":[{"title":"a"}],"b":1}`,
	`{"attachments":[{"title":"a"}],"b":1,"attachments":[{"title":"b"}]}`,
	`{"Attachments":[{"title":"a"}],"attachments ":1}`,
	`{"attachments":[{"TITLE":"case","Fields":[{"TITLE":"t","Value":"v","SHORT":true}]}]}`,
	`{"attachments":[{"actions":[{"name":"n","integration":{"url":"u","context":{"k":[1,{"x":null}]}}}]}]}`,
	`{"attachments":[{"actions":[{"name":"n","integration":{"url":"u","context":[]}}]}]}`,
	`{"attachments":[{"actions":[{"name":"a"}],"actions":[{"style":"b"}]}]}`,
	// Fields: strings, other types, null, short's forms.
	`{"attachments":[{"fields":null}]}`,
	`{"attachments":[{"fields":[]}]}`,
	`{"attachments":[{"fields":[null]}]}`,
	`{"attachments":[{"fields":[{}]}]}`,
	`{"attachments":[{"fields":{}}]}`,
	`{"attachments":[{"fields":"x"}]}`,
	`{"attachments":[{"fields":[1]}]}`,
	`{"attachments":[{"fields":[[]]}]}`,
	`{"attachments":[{"fields":["s"]}]}`,
	`{"attachments":[{"fields":[true]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":true}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":false}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":"true"}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":"1"}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":"tru\u0065"}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":"\u0031"}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":"yes"}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":1}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":1.0}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":0}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":null}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":{}}]}]}`,
	`{"attachments":[{"fields":[{"title":"T","value":"V","short":[true]}]}]}`,
	`{"attachments":[{"fields":[{"title":42,"value":1.50e+2}]}]}`,
	`{"attachments":[{"fields":[{"title":true,"value":false}]}]}`,
	`{"attachments":[{"fields":[{"title":null,"value":{"a": [1, 2]}}]}]}`,
	`{"attachments":[{"fields":[{"title":[ 1 , "x" ],"value":-0}]}]}`,
	`{"attachments":[{"fields":[{"title":"x","title":7}]}]}`,
	`{"attachments":[{"fields":[{"title":7,"title":"x"}]}]}`,
	`{"attachments":[{"fields":[{"title":"x","title":null,"value":"v","Value":null,"short":true,"short":null}]}]}`,
	`{"attachments":[{"fields":[{"title":"a","value":"b","short":true}],"fields":[{"value":"c"}]}]}`,
	`{"attachments":[{"fields":[{"title":"a"},{"title":"b"},{"title":"c"}],"fields":[{"value":"d"}],"fields":[{},{"short":true},null]}]}`,
	`{"attachments":[{"fields":[{"title":"a"}],"fields":null}]}`,
	`{"attachments":[{"fields":[{"title":"a"}],"fields":[]}]}`,
	`{"attachments":[{"fields":[{"title":"a"}],"fields":[1]}]}`,
	`{"attachments":[{"fields":[{"title":"T","extra":[1,2,3],"value":"V"}]}]}`,
	// Strings: escapes, non-ASCII, invalid UTF-8 (read as U+FFFD).
	`{"attachments":[{"fields":[{"title":"\u003c\ud83d\ude00 \"q\" \\ \/ \ufffd","value":"line\nbreak"}]}]}`,
	"{\"attachments\":[{\"fields\":[{\"title\":\"\xff\xfe\",\"value\":\"a\xc3\"}],\"title\":\"\xed\xa0\x80\"}]}",
	`{"attachments":[{"fields":[{"title":"é 価格 😀","value":"\ud800"}]}]}`,
	"{\"attachments\":[{\"fields\":[{\"title\":\"\u2028\u2029\",\"value\":\"\xef\xbf\xbd\"}]}]}",
	// Whitespace everywhere.
	" { \"attachments\" : [ { \"fields\" : [ { \"title\" : \"t\" , \"value\" : 2 , \"short\" : \"1\" } ] } ] , \"o\" : [ 1 , 2 ] } ",
	// Other props kept as written.
	`{"ghlkit_event":"ghlkit:1:ab","from_webhook":"true","n":1.5e3,"o":{"a" : [ ]}}`,
}

func TestPropsDecodeAsBefore(t *testing.T) {
	t.Parallel()
	for _, in := range propsDecodingCases {
		checkPropsDecoding(t, []byte(in))
	}
	raw, err := json.Marshal(taskPostProps(t))
	if err != nil {
		t.Fatal(err)
	}
	checkPropsDecoding(t, raw)
}

// TestPropsDecodeDepth: props nested as deep as encoding/json allows, and
// one level deeper, decode (or fail) as before, counted from the props.
func TestPropsDecodeDepth(t *testing.T) {
	t.Parallel()
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	if !json.Valid([]byte(nested(jsonMaxDepth))) || json.Valid([]byte(nested(jsonMaxDepth+1))) {
		t.Fatalf("encoding/json no longer allows JSON nested %d levels deep, and no deeper", jsonMaxDepth)
	}
	for _, n := range []int{jsonMaxDepth - 2, jsonMaxDepth - 1, jsonMaxDepth, jsonMaxDepth + 1} {
		checkPropsDecoding(t, []byte(`{"a":`+nested(n)+`}`))
		checkPropsDecoding(t, []byte(`{"attachments":[{"actions":[{"integration":{"context":{"k":`+nested(n)+`}}}]}],"b":1}`))
	}
}

// TestPropsDecodeLooseFields pins what the loose reading of a field gives,
// beside the oracle's agreement.
func TestPropsDecodeLooseFields(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]AttachmentField{
		`{"title":"T","value":"V","short":true}`:       {Title: "T", Value: "V", Short: true},
		`{"title":"T","value":"V","short":"true"}`:     {Title: "T", Value: "V", Short: true},
		`{"title":"T","value":"V","short":"1"}`:        {Title: "T", Value: "V", Short: true},
		`{"title":"T","value":"V","short":1}`:          {Title: "T", Value: "V", Short: true},
		`{"title":"T","value":"V","short":"\u0031"}`:   {Title: "T", Value: "V", Short: true},
		`{"title":"T","value":"V","short":"yes"}`:      {Title: "T", Value: "V"},
		`{"title":"T","value":"V","short":1.0}`:        {Title: "T", Value: "V"},
		`{"title":"T","value":"V","short":{}}`:         {Title: "T", Value: "V"},
		`{"title":42,"value":1.50e+2}`:                 {Title: "42", Value: "1.50e+2"},
		`{"title":true,"value":{"a": [1, 2]}}`:         {Title: "true", Value: `{"a": [1, 2]}`},
		`{"title":"x","title":null,"value":"v"}`:       {Value: "v"},
		`{"title":"x","title":7}`:                      {Title: "7"},
		`{"title":"a\u0062\n","value":"\"q\" \\"}`:     {Title: "ab\n", Value: `"q" \`},
		"{\"title\":\"\xff\",\"value\":\"é 価格\"}":      {Title: "\ufffd", Value: "é 価格"},
		`{"TITLE":"upper","Value":"v","Short":"true"}`: {Title: "upper", Value: "v", Short: true},
	} {
		props := []byte(`{"attachments":[{"fields":[` + in + `]}]}`)
		var p Props
		if err := p.UnmarshalJSON(props); err != nil {
			t.Fatalf("%s: %v", props, err)
		}
		if len(p.Attachments) != 1 || len(p.Attachments[0].Fields) != 1 || p.Attachments[0].Fields[0] != want || p.Other != nil {
			t.Errorf("%s: got %#v, want the field %#v", props, p, want)
		}
		var f AttachmentField
		if err := json.Unmarshal([]byte(in), &f); err != nil || f != want {
			t.Errorf("field %s: got %#v (%v), want %#v", in, f, err, want)
		}
		checkPropsDecoding(t, props)
	}
	// A field list that does not decode keeps the attachments in Other.
	var p Props
	in := `{"attachments":[{"title":"a","fields":[{"title":"t"},7]}],"b":1}`
	if err := p.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if p.Attachments != nil || string(p.Other["attachments"]) != `[{"title":"a","fields":[{"title":"t"},7]}]` || string(p.Other["b"]) != "1" {
		t.Errorf("%s: got %#v, want the attachments kept raw in Other", in, p)
	}
}

func FuzzPropsDecoding(f *testing.F) {
	for _, in := range propsDecodingCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkPropsDecoding(t, []byte(in))
		// The same text as an attachment, a field list and a field, where
		// the mutations matter most.
		for _, wrap := range [][2]string{
			{`{"attachments":`, `}`},
			{`{"attachments":[`, `]}`},
			{`{"attachments":[{"title":"t","fields":`, `}]}`},
			{`{"attachments":[{"fields":[{"title":"t"},`, `]}]}`},
			{`{"attachments":[{"fields":[{"title":"t","value":`, `}]}]}`},
			{`{"attachments":[{"fields":[{"short":`, `}]}]}`},
		} {
			checkPropsDecoding(t, []byte(wrap[0]+in+wrap[1]))
		}
	})
}

// taskPostProps are the props of the post the bridge makes for a
// HighLevel TaskCreate event, made the way the bridge makes them: the
// Formatter's task attachment (title, body, status, due date, task and
// contact IDs) with its signed Complete and Edit buttons, and the event's
// marker.
func taskPostProps(tb testing.TB) Props {
	tb.Helper()
	signer, err := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	task := tasks.Task{
		ID: "bench-task8", ContactID: "9wqMagPgzLxiU8ZHQXVK", Title: "Call back about the quote",
		Body:    "Ask whether the 3-seat option fits; send the PDF after.",
		DueDate: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC),
	}
	m := (&Formatter{}).Task(task)
	values := map[string]string{"contact_id": task.ContactID, "task_id": task.ID, "view": "task"}
	bind := Binding{ChannelID: "7exyq7d3k9pmdi96zttbsnqrpo", Scope: "loc1"}
	for _, b := range []struct{ id, name, style, action string }{
		{"completebenchtask8", "Complete", "primary", "complete"},
		{"editbenchtask8", "Edit", "", "task_edit"},
	} {
		in, err := signer.Integration("https://bridge.example.com/mattermost/action", b.action, values, bind)
		if err != nil {
			tb.Fatal(err)
		}
		m.Attachments[0].Actions = append(m.Attachments[0].Actions, Action{ID: b.id, Type: ActionTypeButton, Name: b.name, Style: b.style, Integration: in})
	}
	return Props{
		Attachments: m.Attachments,
		Other:       map[string]json.RawMessage{"ghlkit_event": json.RawMessage(`"ghlkit:1796188421990:c379d497609fd87b"`)},
	}
}

// BenchmarkPropsUnmarshal compares the former decoder and the current one
// on the props of a task post: the props on their own, their field list,
// and inside the post the client and the fake decode.
func BenchmarkPropsUnmarshal(b *testing.B) {
	props := taskPostProps(b)
	raw, err := json.Marshal(props)
	if err != nil {
		b.Fatal(err)
	}
	post, err := json.Marshal(Post{
		ID: "hw3k1s5ofpfqzdm5ppmc7nqsgr", CreateAt: 1796188421990, UpdateAt: 1796188421990, UserID: "bjyxq7zaqbdxmkdkgdcbr4me5a",
		ChannelID: "7exyq7d3k9pmdi96zttbsnqrpo", Message: "➕ New task in HighLevel for [Contact8](https://app.gohighlevel.com/v2/location/loc1/contacts/detail/9wqMagPgzLxiU8ZHQXVK): **Call back about the quote**",
		Props: props, PendingPostID: "ghlkit:1796188421990:c379d497609fd87b",
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("props %d bytes, post %d bytes", len(raw), len(post))
	b.Run("props/former", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := oldDecodeProps(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("props/current", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p Props
			if err := p.UnmarshalJSON(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The part that changed: the attachment's field list.
	var list struct {
		Attachments []struct {
			Fields json.RawMessage `json:"fields"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(raw, &list); err != nil || len(list.Attachments) != 1 {
		b.Fatal(err)
	}
	fields := list.Attachments[0].Fields
	b.Run("fields/former", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var f []oldField
			if err := json.Unmarshal(fields, &f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fields/current", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var f fieldsJSON
			if err := f.UnmarshalJSON(fields); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("post/former", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p oldPost
			if err := json.Unmarshal(post, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("post/current", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p Post
			if err := json.Unmarshal(post, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPropsUnmarshalRatio times the former decoder and the current
// one in alternating blocks, so that the machine's load drifting during
// the run does not favour either: the time of the current one as a
// fraction of the former's, for the props alone and inside a post.
func BenchmarkPropsUnmarshalRatio(b *testing.B) {
	props := taskPostProps(b)
	raw, err := json.Marshal(props)
	if err != nil {
		b.Fatal(err)
	}
	post, err := json.Marshal(Post{ChannelID: "7exyq7d3k9pmdi96zttbsnqrpo", Message: "➕ New task", Props: props, PendingPostID: "ghlkit:1:ab"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("props", func(b *testing.B) {
		alternate(b, func() error {
			_, err := oldDecodeProps(raw)
			return err
		}, func() error {
			var p Props
			return p.UnmarshalJSON(raw)
		})
	})
	b.Run("post", func(b *testing.B) {
		alternate(b, func() error {
			var p oldPost
			return json.Unmarshal(post, &p)
		}, func() error {
			var p Post
			return json.Unmarshal(post, &p)
		})
	})
}

// alternate runs blocks of former and current calls in turn and reports
// the time current took as a fraction of former's.
func alternate(b *testing.B, former, current func() error) {
	const block = 20
	var spent [2]time.Duration
	for b.Loop() {
		for i, run := range []func() error{former, current} {
			start := time.Now()
			for range block {
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
			spent[i] += time.Since(start)
		}
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "time-ratio")
}

// oldPost is a Post whose props decode the former way.
type oldPost struct {
	Post
	Props oldProps `json:"props,omitzero"`
}

type oldProps Props

func (p *oldProps) UnmarshalJSON(b []byte) (err error) {
	*(*Props)(p), err = oldDecodeProps(b)
	return err
}
