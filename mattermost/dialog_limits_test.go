package mattermost_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/mattermost"
)

// dialogCase is a dialog element (or title) and whether Mattermost's limits
// allow it; param names the field the error must point at.
type dialogCase struct {
	name   string
	title  string
	el     *mattermost.DialogElement
	param  string // "" when valid
	reason string // part of the error's reason
}

func el(typ string, f func(*mattermost.DialogElement)) *mattermost.DialogElement {
	e := &mattermost.DialogElement{DisplayName: "Label", Name: "field", Type: typ}
	if f != nil {
		f(e)
	}
	return e
}

// dialogCases holds the server's limits (model.Dialog.IsValid), at and just
// past each bound. Lengths are bytes, as the server counts them.
var dialogCases = []dialogCase{
	{name: "title at 24", title: strings.Repeat("t", 24)},
	{name: "title 25", title: strings.Repeat("t", 25), param: "dialog.Title"},
	{name: "title 12 two-byte letters is 24 bytes", title: strings.Repeat("é", 12)},
	{name: "title 13 two-byte letters", title: strings.Repeat("é", 13), param: "dialog.Title", reason: "26 bytes"},
	{name: "label at 24", el: el("text", func(e *mattermost.DialogElement) { e.DisplayName = strings.Repeat("d", 24) })},
	{name: "label 25", el: el("text", func(e *mattermost.DialogElement) { e.DisplayName = strings.Repeat("d", 25) }), param: "dialog.Elements[0].DisplayName"},
	{name: "no label", el: el("text", func(e *mattermost.DialogElement) { e.DisplayName = "" }), param: "dialog.Elements[0].DisplayName"},
	{name: "name at 300", el: el("text", func(e *mattermost.DialogElement) { e.Name = strings.Repeat("n", 300) })},
	{name: "name 301", el: el("text", func(e *mattermost.DialogElement) { e.Name = strings.Repeat("n", 301) }), param: "dialog.Elements[0].Name"},
	{name: "no name", el: el("text", func(e *mattermost.DialogElement) { e.Name = "" }), param: "dialog.Elements[0].Name"},
	{name: "help at 150", el: el("text", func(e *mattermost.DialogElement) { e.HelpText = strings.Repeat("h", 150) })},
	{name: "help 151", el: el("text", func(e *mattermost.DialogElement) { e.HelpText = strings.Repeat("h", 151) }), param: "dialog.Elements[0].HelpText"},
	{name: "text default at 150", el: el("text", func(e *mattermost.DialogElement) { e.Default = strings.Repeat("x", 150) })},
	{name: "text default 151", el: el("text", func(e *mattermost.DialogElement) { e.Default = strings.Repeat("x", 151) }), param: "dialog.Elements[0].Default"},
	{name: "text placeholder 151", el: el("text", func(e *mattermost.DialogElement) { e.Placeholder = strings.Repeat("x", 151) }), param: "dialog.Elements[0].Placeholder"},
	{name: "textarea default at 3000", el: el("textarea", func(e *mattermost.DialogElement) { e.Default = strings.Repeat("x", 3000) })},
	{name: "textarea default 3001", el: el("textarea", func(e *mattermost.DialogElement) { e.Default = strings.Repeat("x", 3001) }), param: "dialog.Elements[0].Default"},
	{name: "textarea placeholder 3001", el: el("textarea", func(e *mattermost.DialogElement) { e.Placeholder = strings.Repeat("x", 3001) }), param: "dialog.Elements[0].Placeholder"},
	{name: "select placeholder at 3000", el: el("select", func(e *mattermost.DialogElement) { e.Placeholder = strings.Repeat("x", 3000) })},
	{name: "select placeholder 3001", el: el("select", func(e *mattermost.DialogElement) { e.Placeholder = strings.Repeat("x", 3001) }), param: "dialog.Elements[0].Placeholder"},
	{name: "select default in options", el: el("select", func(e *mattermost.DialogElement) {
		e.Options, e.Default = []mattermost.DialogOption{{Text: "A", Value: "a"}}, "a"
	})},
	{name: "select default not an option", el: el("select", func(e *mattermost.DialogElement) {
		e.Options, e.Default = []mattermost.DialogOption{{Text: "A", Value: "a"}}, "A"
	}), param: "dialog.Elements[0].Default"},
	{name: "select of users, any default", el: el("select", func(e *mattermost.DialogElement) { e.DataSource, e.Default = "users", "u1" })},
	{name: "select of unknown source", el: el("select", func(e *mattermost.DialogElement) { e.DataSource = "teams" }), param: "dialog.Elements[0].DataSource"},
	{name: "radio default not an option", el: el("radio", func(e *mattermost.DialogElement) {
		e.Options, e.Default = []mattermost.DialogOption{{Text: "A", Value: "a"}}, "b"
	}), param: "dialog.Elements[0].Default"},
	{name: "radio default in options", el: el("radio", func(e *mattermost.DialogElement) {
		e.Options, e.Default = []mattermost.DialogOption{{Text: "A", Value: "a"}, {Text: "B", Value: "b"}}, "b"
	})},
	{name: "bool default true", el: el("bool", func(e *mattermost.DialogElement) { e.Default = "true" })},
	{name: "bool default false", el: el("bool", func(e *mattermost.DialogElement) { e.Default = "false" })},
	{name: "bool default yes", el: el("bool", func(e *mattermost.DialogElement) { e.Default = "yes" }), param: "dialog.Elements[0].Default"},
	{name: "bool placeholder 151", el: el("bool", func(e *mattermost.DialogElement) { e.Placeholder = strings.Repeat("x", 151) }), param: "dialog.Elements[0].Placeholder"},
	{name: "min above max", el: el("text", func(e *mattermost.DialogElement) { e.MinLength, e.MaxLength = 11, 10 }), param: "dialog.Elements[0].MinLength"},
	{name: "min equals max", el: el("text", func(e *mattermost.DialogElement) { e.MinLength, e.MaxLength = 10, 10 })},
	{name: "text min at the default max 150", el: el("text", func(e *mattermost.DialogElement) { e.MinLength = 150 })},
	{name: "text min above the default max 150", el: el("text", func(e *mattermost.DialogElement) { e.MinLength = 151 }), param: "dialog.Elements[0].MinLength", reason: "150"},
	{name: "textarea min at the default max 3000", el: el("textarea", func(e *mattermost.DialogElement) { e.MinLength = 3000 })},
	{name: "textarea min above 3000", el: el("textarea", func(e *mattermost.DialogElement) { e.MinLength = 3001 }), param: "dialog.Elements[0].MinLength", reason: "3000"},
	{name: "negative max", el: el("text", func(e *mattermost.DialogElement) { e.MaxLength = -1 }), param: "dialog.Elements[0]"},
	{name: "text subtype email", el: el("text", func(e *mattermost.DialogElement) { e.SubType = mattermost.SubtypeEmail })},
	{name: "text subtype color", el: el("text", func(e *mattermost.DialogElement) { e.SubType = "color" }), param: "dialog.Elements[0].SubType"},
	{name: "date", el: el("date", func(e *mattermost.DialogElement) { e.Default, e.MinDate, e.MaxDate = "2026-03-01", "today", "+4w" })},
	{name: "date bad default", el: el("date", func(e *mattermost.DialogElement) { e.Default = "01/03/2026" }), param: "dialog.Elements[0].Default"},
	{name: "date with a time", el: el("date", func(e *mattermost.DialogElement) { e.Default = "2026-03-01T10:00:00Z" }), param: "dialog.Elements[0].Default"},
	{name: "date bad min", el: el("date", func(e *mattermost.DialogElement) { e.MinDate = "+1y" }), param: "dialog.Elements[0].MinDate"},
	{name: "datetime", el: el("datetime", func(e *mattermost.DialogElement) { e.Default, e.TimeInterval = "2026-03-01T10:30:00Z", 30 })},
	{name: "datetime with zone", el: el("datetime", func(e *mattermost.DialogElement) { e.Default = "2026-03-01T10:30:00+02:00" })},
	{name: "datetime relative", el: el("datetime", func(e *mattermost.DialogElement) { e.Default = "+12h" })},
	{name: "datetime bad default", el: el("datetime", func(e *mattermost.DialogElement) { e.Default = "noon" }), param: "dialog.Elements[0].Default"},
	{name: "datetime interval 7", el: el("datetime", func(e *mattermost.DialogElement) { e.TimeInterval = 7 }), param: "dialog.Elements[0].TimeInterval"},
	{name: "datetime interval 2880", el: el("datetime", func(e *mattermost.DialogElement) { e.TimeInterval = 2880 }), param: "dialog.Elements[0].TimeInterval"},
	{name: "date placeholder 151", el: el("date", func(e *mattermost.DialogElement) { e.Placeholder = strings.Repeat("x", 151) }), param: "dialog.Elements[0].Placeholder"},
	{name: "unknown type", el: el("number", nil), param: "dialog.Elements[0].Type"},
}

func (c dialogCase) dialog() mattermost.Dialog {
	d := mattermost.Dialog{Title: c.title}
	if d.Title == "" {
		d.Title = "Edit"
	}
	if c.el != nil {
		d.Elements = []mattermost.DialogElement{*c.el}
	}
	return d
}

func TestValidateDialogLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range dialogCases {
		d := tc.dialog()
		err := mattermost.ValidateDialog(&d)
		if tc.param == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var pe *mattermost.ParamError
		if !errors.As(err, &pe) || !errors.Is(err, mattermost.ErrInvalidParam) || pe.Param != tc.param || !strings.Contains(pe.Reason, tc.reason) {
			t.Errorf("%s: err = %v, want a ParamError on %s", tc.name, err, tc.param)
		}
	}
	// Duplicate names, a bad icon URL.
	dup := mattermost.Dialog{Title: "t", Elements: []mattermost.DialogElement{*el("text", nil), *el("bool", nil)}}
	if err := mattermost.ValidateDialog(&dup); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("duplicate names: %v", err)
	}
	icon := mattermost.Dialog{Title: "t", IconURL: "icon.png"}
	if err := mattermost.ValidateDialog(&icon); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("relative icon URL: %v", err)
	}
}

// TestOpenDialogChecksFirst: a dialog past a limit is refused before
// anything is sent; one at the limits goes out as is.
func TestOpenDialogChecksFirst(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/actions/dialogs/open", w.script(jsonResp(200, `{"status":"OK"}`)))
	sent := 0
	for _, tc := range dialogCases {
		err := c.OpenDialog(context.Background(), &mattermost.OpenDialogRequest{TriggerID: "t", URL: "https://bridge.example/d", Dialog: tc.dialog()})
		if (err == nil) != (tc.param == "") {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if err == nil {
			sent++
		}
	}
	if n := len(w.requests()); n != sent {
		t.Errorf("%d requests for %d valid dialogs", n, sent)
	}
}

// TestOpenDialogSendsElements: the API requires "elements"; a dialog
// without inputs sends an empty array, never null or nothing.
func TestOpenDialogSendsElements(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/actions/dialogs/open", w.script(jsonResp(200, `{"status":"OK"}`)))
	if err := c.OpenDialog(context.Background(), &mattermost.OpenDialogRequest{TriggerID: "t", URL: "https://bridge.example/d",
		Dialog: mattermost.Dialog{CallbackID: "confirm", Title: "Delete <contact>?", IntroductionText: "Sure & certain?"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.OpenDialog(context.Background(), &mattermost.OpenDialogRequest{TriggerID: "t", URL: "https://bridge.example/d",
		Dialog: mattermost.Dialog{Title: "When", Elements: []mattermost.DialogElement{
			{DisplayName: "Day", Name: "day", Type: mattermost.ElementDate, MinDate: "today"},
			{DisplayName: "At", Name: "at", Type: mattermost.ElementDatetime, TimeInterval: 15, Optional: true},
		}}}); err != nil {
		t.Fatal(err)
	}
	reqs := w.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	// Compared as raw bytes too: no HTML escaping of '<' and '&'.
	want := `{"trigger_id":"t","url":"https://bridge.example/d","dialog":{"callback_id":"confirm","title":"Delete <contact>?","introduction_text":"Sure & certain?","elements":[]}}`
	if string(reqs[0].Body) != want {
		t.Errorf("body\n got %s\nwant %s", reqs[0].Body, want)
	}
	jsonEqual(t, reqs[1].Body, `{"trigger_id":"t","url":"https://bridge.example/d","dialog":{"title":"When","elements":[
		{"display_name":"Day","name":"day","type":"date","min_date":"today"},
		{"display_name":"At","name":"at","type":"datetime","optional":true,"time_interval":15}]}}`)
}
