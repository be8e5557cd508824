package bridge

import (
	"context"
	"errors"
	"testing"
	"time"
	"unicode"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
	"github.com/ghlkit/ghl/webhook"
)

// checkNoInvisible fails when s holds an invisible format character
// (category Cf: bidirectional controls, zero-width characters...), except
// the zero-width space the escaper puts after an '@' to break a mention.
func checkNoInvisible(t *testing.T, what, s string) {
	t.Helper()
	prev := rune(-1)
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) && !(r == '\u200B' && prev == '@') {
			t.Fatalf("%s contains %U: %q", what, r, s)
		}
		prev = r
	}
}

func checkMessage(t *testing.T, what string, m mattermost.Message) {
	t.Helper()
	checkNoInvisible(t, what, m.Text)
	for _, a := range m.Attachments {
		for _, s := range []string{a.Fallback, a.Pretext, a.Text, a.Title, a.TitleLink, a.AuthorName, a.AuthorLink, a.Footer} {
			checkNoInvisible(t, what+" attachment", s)
		}
		for _, f := range a.Fields {
			checkNoInvisible(t, what+" field", f.Title+f.Value)
		}
		for _, act := range a.Actions {
			checkNoInvisible(t, what+" button", act.Name)
		}
	}
}

// FuzzRenderRemovesInvisible renders every kind of post the bridge makes
// from CRM text and checks that no invisible format character gets through.
func FuzzRenderRemovesInvisible(f *testing.F) {
	for _, s := range []string{
		"invoice\u202Efdp.exe", "\u2066\u2067\u2068\u2069", "a\u200Bb\u200C\u200D\u200E\u200F",
		"\u2060\u2061\u2062\u2063\u2064", "\uFEFF\u00AD", "@\u200Bhere", "\U000E0041",
	} {
		f.Add(s)
	}
	e := newEnv(f, withoutRun(), withoutWebhookTarget())
	b := e.b
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string) {
		id := "c" + s
		b.names.put(id, s) // no HighLevel lookup
		c := &contacts.Contact{ID: id, LocationID: testLocation, Name: s, Email: s, Phone: s, CompanyName: s, Tags: []string{s}}
		task := tasks.Task{ID: s, ContactID: id, Title: s, Body: s, DueDate: time.Unix(1_700_000_000, 0)}
		note := notes.Note{ID: s, ContactID: id, Title: s, Body: s}
		meta := webhook.Meta{LocationID: testLocation}
		events := []webhook.Event{
			&webhook.TaskCreate{Meta: meta, Task: task},
			&webhook.TaskComplete{Meta: meta, Task: task},
			&webhook.NoteCreate{Meta: meta, Note: note},
			&webhook.NoteUpdate{Meta: meta, Note: note},
			&webhook.ContactCreate{Meta: meta, Contact: *c},
			&webhook.ContactUpdate{Meta: meta, Contact: *c},
			&webhook.ContactTagUpdate{Meta: meta, Contact: *c},
		}
		for _, ev := range events {
			m, ok := b.renderEvent(ctx, e.channel.ID, ev)
			if !ok {
				t.Fatalf("%T not rendered", ev)
			}
			checkMessage(t, "event", m)
		}
		checkMessage(t, "thread root", b.renderThreadRoot(c))
		checkMessage(t, "contact", b.renderContact(c))
		created, err := b.renderTaskCreated(context.Background(), e.channel.ID, c, &task, s, "a note of the bridge")
		if err != nil {
			t.Fatal(err)
		}
		checkMessage(t, "task created", created)
		list, err := b.renderTaskList(ctx, e.channel.ID, c, []tasks.Task{task}, &completion{task: &task, by: Completion{UserName: s}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			checkMessage(t, "task list", m)
		}
		checkNoInvisible(t, "already", b.alreadyText(&completion{task: &task, by: Completion{UserName: s}}))
		checkNoInvisible(t, "code", code(s))
		checkNoInvisible(t, "HighLevel error", describeHLError(&ghl.APIError{StatusCode: 422, Message: s}))
		checkNoInvisible(t, "bad input", describeHLError(errors.Join(ghl.ErrInvalidParam, errors.New(s))))
		resp, err := b.showNotes(ctx, c, []notes.Note{note})
		if err != nil {
			t.Fatal(err)
		}
		checkNoInvisible(t, "notes shown", resp.Text)
		for _, r := range resp.ExtraResponses {
			checkMessage(t, "notes shown", mattermost.Message{Text: r.Text, Attachments: r.Attachments})
		}
	})
}
