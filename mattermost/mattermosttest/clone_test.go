package mattermosttest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ghlkit/ghl/mattermost"
)

// The server stores and returns a post as a JSON round trip gives it;
// clonePost copies most posts field by field instead, and must give
// exactly what the round trip gives, sharing no memory with its source.
func TestClonePostIsItsJSONRoundTrip(t *testing.T) {
	full := func() mattermost.Post {
		return mattermost.Post{
			ID: "p1", CreateAt: 1, UpdateAt: 2, EditAt: 3, DeleteAt: 4, IsPinned: true,
			UserID: "u", ChannelID: "c", RootID: "r", Message: "<b>&</b> héllo", Type: "custom",
			FileIDs: []string{"f1", "f2"}, PendingPostID: "pp",
			Metadata: json.RawMessage(`{ "embeds" : [ {"type":"<x>"} ] }`),
			Props: mattermost.Props{
				Attachments: []mattermost.Attachment{{
					Fallback: "fb", Color: "#fff", Pretext: "pre", AuthorName: "an", AuthorLink: "http://x/al", AuthorIcon: "http://x/ai",
					Title: "Task: a<b>", TitleLink: "http://x/tl", Text: "t", ImageURL: "http://x/i", ThumbURL: "http://x/t", Footer: "f", FooterIcon: "http://x/fi",
					Fields: []mattermost.AttachmentField{{Title: "Due", Value: "x", Short: true}, {Title: "", Value: ""}},
					Actions: []mattermost.Action{{
						ID: "a1", Type: mattermost.ActionTypeSelect, Name: "n", Style: "primary", Disabled: true, DataSource: "users", DefaultOption: "v", Cookie: "ck",
						Options:     []mattermost.ActionOption{{Text: "o", Value: "v"}},
						Integration: &mattermost.Integration{URL: "http://x/a", Context: map[string]any{"s": "v", "n": 1.5, "b": true, "z": nil, "l": []any{"a", 2.0, map[string]any{"k": "v"}}, "m": map[string]any{"x": []any{}}}},
					}, {Name: "plain", Integration: &mattermost.Integration{}}},
				}},
				Other: map[string]json.RawMessage{"ghlkit_event": json.RawMessage(` "ghlkit:1:ab" `), "from_bot": json.RawMessage(`"true"`), "html": json.RawMessage(`"<&>\u2028"`), "nil": nil, "null": json.RawMessage(`null`)},
			},
		}
	}
	cases := map[string]func() mattermost.Post{
		"empty":   func() mattermost.Post { return mattermost.Post{} },
		"full":    full,
		"decoded": func() mattermost.Post { p := full(); return jsonClone(&p) },
		"empty lists": func() mattermost.Post {
			return mattermost.Post{FileIDs: []string{}, Metadata: json.RawMessage{}, Props: mattermost.Props{
				Other:       map[string]json.RawMessage{},
				Attachments: []mattermost.Attachment{{Fields: []mattermost.AttachmentField{}, Actions: []mattermost.Action{{Options: []mattermost.ActionOption{}, Integration: &mattermost.Integration{Context: map[string]any{}}}}}},
			}}
		},
		"empty attachments": func() mattermost.Post {
			return mattermost.Post{Props: mattermost.Props{Attachments: []mattermost.Attachment{}, Other: map[string]json.RawMessage{"k": json.RawMessage(`1`)}}}
		},
		// What only the round trip settles.
		"go-typed context": func() mattermost.Post {
			p := full()
			p.Props.Attachments[0].Actions[0].Integration.Context = map[string]any{"i": 3, "s": []string{"a"}, "t": struct{ A int }{1}}
			return p
		},
		"not utf-8": func() mattermost.Post {
			p := full()
			p.Props.Attachments[0].Fields[0].Value = "a\xffb"
			return p
		},
		"attachments among other props": func() mattermost.Post {
			p := full()
			p.Props.Attachments = nil
			p.Props.Other["attachments"] = json.RawMessage(`[{"title":"t"}]`)
			return p
		},
	}
	// "full" sets every field, so that a field added to a post's types
	// fails here until clonePost copies it (and the case sets it).
	if path := zeroField(reflect.ValueOf(full()), "Post"); path != "" {
		t.Fatalf("the full post leaves %s unset: set it, and copy it in clonePost", path)
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			p := mk()
			want := jsonClone(&p)
			got := clonePost(&p)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("clonePost:\n%#v\nJSON round trip:\n%#v", got, want)
			}
			// A deep copy: changing the copy leaves the source alone.
			before := mk()
			for i := range got.Props.Attachments {
				a := &got.Props.Attachments[i]
				for j := range a.Fields {
					a.Fields[j].Value = "changed"
				}
				for j := range a.Actions {
					for k := range a.Actions[j].Options {
						a.Actions[j].Options[k].Value = "changed"
					}
					if in := a.Actions[j].Integration; in != nil {
						in.URL = "changed"
						for k, v := range in.Context {
							if l, ok := v.([]any); ok && len(l) > 0 {
								l[0] = "changed"
							}
							in.Context[k] = "changed"
						}
					}
				}
			}
			for k, v := range got.Props.Other {
				for i := range v {
					v[i] = 'x'
				}
				got.Props.Other[k] = v
			}
			for i := range got.FileIDs {
				got.FileIDs[i] = "changed"
			}
			for i := range got.Metadata {
				got.Metadata[i] = 'x'
			}
			if !reflect.DeepEqual(p, before) {
				t.Fatalf("changing the copy changed the source:\n%#v\nwas\n%#v", p, before)
			}
		})
	}
}

// zeroField returns the path of the first struct field under v left at
// its zero value, looking into structs, pointers and the first element of
// slices; "" when there is none.
func zeroField(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return path
		}
		return zeroField(v.Elem(), path)
	case reflect.Slice:
		if v.Len() > 0 { // the first element; the others may be edge cases
			return zeroField(v.Index(0), path+"[0]")
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if v.Field(i).IsZero() {
				return path + "." + f.Name
			}
			if p := zeroField(v.Field(i), path+"."+f.Name); p != "" {
				return p
			}
		}
	}
	return ""
}

func BenchmarkClonePost(b *testing.B) {
	p := mattermost.Post{ChannelID: "c", RootID: "r", Message: "m", PendingPostID: "pp",
		Props: mattermost.Props{
			Attachments: []mattermost.Attachment{{Title: "Task: t", Text: "x", Fields: []mattermost.AttachmentField{{Title: "Due", Value: "d", Short: true}},
				Actions: []mattermost.Action{{ID: "a", Name: "Complete", Integration: &mattermost.Integration{URL: "http://x", Context: map[string]any{"a": "b", "s": "sig"}}}}}},
			Other: map[string]json.RawMessage{"ghlkit_event": json.RawMessage(`"ghlkit:1:ab"`)},
		}}
	p = jsonClone(&p)
	b.Run("fields", func(b *testing.B) {
		for b.Loop() {
			clonePost(&p)
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			jsonClone(&p)
		}
	})
}
