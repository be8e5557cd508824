package mattermost

import (
	"encoding/json"
	"testing"
	"time"
	"unicode"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

// invisibleSeeds carry every kind of character that must not reach a post:
// bidirectional controls, zero-width and other invisible format characters.
var invisibleSeeds = []string{
	"invoice\u202Efdp.exe", // shows as "invoiceexe.pdf"
	"\u202A\u202B\u202C\u202D\u202E",
	"\u2066\u2067\u2068\u2069 isolates",
	"zero\u200Bwidth\u200C\u200D\u200E\u200F",
	"\u2060\u2061\u2062\u2063\u2064 joiners",
	"\uFEFFbom and soft\u00ADhyphen",
	"@\u200Bchannel @here tag\U000E0041",
	"arabic\u061Cmark \u180E",
}

// checkNoInvisible fails when s holds an invisible format character,
// except the zero-width space the escaper puts after an '@'.
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

func FuzzEscapeRemovesInvisible(f *testing.F) {
	for _, s := range invisibleSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNoInvisible(t, "EscapeMarkdown", EscapeMarkdown(s))
		checkNoInvisible(t, "EscapeInline", EscapeInline(s))
		checkNoInvisible(t, "PlainText", PlainText(s))

		// Every field the Formatter renders from CRM text.
		fm := &Formatter{Now: func() time.Time { return time.Unix(1_700_000_000, 0) }}
		c := contacts.Contact{ID: s, LocationID: s, Name: s, FirstName: s, LastName: s, Email: s, Phone: s, CompanyName: s, Type: s, Tags: []string{s, s}}
		task := tasks.Task{ID: s, ContactID: s, Title: s, Body: s, AssignedTo: s, DueDate: time.Unix(1_700_000_000, 0)}
		note := notes.Note{ID: s, ContactID: s, Title: s, Body: s, UserID: s}
		msgs := []Message{fm.ContactCard(c), fm.Task(task), fm.TaskCreated(task, s), fm.TaskCompleted(task, s), fm.Note(note)}
		msgs = append(msgs, fm.TaskList(&c, []tasks.Task{task})...)
		msgs = append(msgs, fm.NoteList(&c, []notes.Note{note})...)
		for _, m := range msgs {
			out, err := json.Marshal(m.Post("c", ""))
			if err != nil {
				t.Fatal(err)
			}
			// JSON keeps the characters themselves (it escapes only a few
			// as \uXXXX, none of them Cf but U+2028/9, which are not Cf).
			var back Post
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			checkNoInvisible(t, "message", back.Message)
			for _, a := range back.Props.Attachments {
				for _, field := range []string{a.Fallback, a.Pretext, a.Text, a.Title, a.TitleLink, a.AuthorName, a.AuthorLink, a.Footer} {
					checkNoInvisible(t, "attachment", field)
				}
				for _, fl := range a.Fields {
					checkNoInvisible(t, "field "+fl.Title, fl.Title+fl.Value)
				}
				for _, act := range a.Actions {
					checkNoInvisible(t, "action", act.Name)
				}
			}
		}
	})
}
