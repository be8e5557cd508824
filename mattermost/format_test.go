package mattermost

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares v, as indented JSON, with testdata/<name>.golden.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	// Invisible characters are written as JSON escapes, so a reader of the
	// golden file sees them.
	b := bytes.ReplaceAll(buf.Bytes(), []byte("\u200b"), []byte(`\u200b`))
	b = bytes.ReplaceAll(b, []byte("\u00a0"), []byte(`\u00a0`))
	buf.Reset()
	buf.Write(b)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s", name, buf.Bytes(), want)
	}
}

var (
	cest    = time.FixedZone("CEST", 2*60*60)
	fmtNow  = time.Date(2024, 7, 10, 9, 0, 0, 0, time.UTC)
	fixture = Formatter{
		Location: cest,
		Now:      func() time.Time { return fmtNow },
		UserName: func(id string) string {
			if id == "user_1" {
				return "Sam *Sales*"
			}
			return ""
		},
	}
	hostileContact = contacts.Contact{
		ID: "ct_123", LocationID: "loc 9", FirstName: "Jane", LastName: "O'Neil *VIP*",
		Email: "jane_doe@example.com", Phone: "+1 555-0100", CompanyName: "Acme [Labs](http://evil.example)",
		Type: "lead", Tags: []string{"vip", "@channel", "hot`lead"},
	}
	fixtureTasks = []tasks.Task{
		{ID: "t4", Title: "Intro ~~call~~", DueDate: time.Date(2024, 7, 1, 8, 0, 0, 0, time.UTC), Completed: true, ContactID: "ct_123"},
		{ID: "t3", Title: "- follow up _soon_", ContactID: "ct_123"},
		{ID: "t2", Title: "# Send quote", DueDate: time.Date(2024, 7, 12, 14, 0, 0, 0, time.UTC), AssignedTo: "user_unknown", ContactID: "ct_123"},
		{ID: "t1", Title: "Call back @here", Body: "Ask about **pricing**.\n> not a quote\n1. not a list", DueDate: time.Date(2024, 7, 8, 7, 30, 0, 0, time.UTC), AssignedTo: "user_1", ContactID: "ct_123"},
	}
	fixtureNote = notes.Note{
		ID: "n1", Title: "Meeting **notes**", Body: "Discussed pricing.\n- point one\n@all should know\n    indented",
		UserID: "user_1", DateAdded: time.Date(2024, 7, 9, 12, 2, 11, 0, time.UTC), ContactID: "ct_123", Color: "#FFAA00", Pinned: true,
	}
)

// texts returns every string a message carries that Mattermost renders or
// notifies on.
func texts(m Message) []string {
	out := []string{m.Text}
	for _, a := range m.Attachments {
		out = append(out, a.Fallback, a.Pretext, a.Title, a.Text, a.AuthorName, a.Footer)
		for _, f := range a.Fields {
			out = append(out, f.Title, f.Value)
		}
	}
	return out
}

func noMentions(t *testing.T, name string, msgs ...Message) {
	t.Helper()
	for _, m := range msgs {
		for _, s := range texts(m) {
			if mm, ok := notifyingMention(s); ok {
				t.Errorf("%s: %q mentions %q", name, s, mm)
			}
		}
	}
}

func TestContactCard(t *testing.T) {
	t.Parallel()
	m := fixture.ContactCard(hostileContact)
	golden(t, "contact_card", m)
	noMentions(t, "contact card", m)
	a := m.Attachments[0]
	if a.TitleLink != "https://app.gohighlevel.com/v2/location/loc%209/contacts/detail/ct_123" {
		t.Errorf("title link %q", a.TitleLink)
	}
	if a.Title != `👤 Jane O'Neil \*VIP\*` {
		t.Errorf("title %q", a.Title)
	}
	fields := map[string]string{}
	for _, f := range a.Fields {
		fields[f.Title] = f.Value
	}
	want := map[string]string{
		"Email": "`jane_doe@example.com`", "Phone": `\+1 555-0100`, "Company": `Acme \[Labs\](http://evil.example)`,
		"Type": "lead", "Tags": "`vip` `@\u200bchannel` ``hot`lead``", "Contact ID": "`ct_123`",
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, fields[k], v)
		}
	}

	white := Formatter{AppURL: "https://crm.agency.example/"}
	minimal := white.ContactCard(contacts.Contact{ID: "c2", Phone: "+44 20"})
	golden(t, "contact_card_minimal", minimal)
	if minimal.Attachments[0].TitleLink != "" || minimal.Attachments[0].Title != `👤 \+44 20` {
		t.Errorf("minimal card %+v", minimal.Attachments[0])
	}
	c := hostileContact
	if got := white.ContactURL(&c); got != "https://crm.agency.example/v2/location/loc%209/contacts/detail/ct_123" {
		t.Errorf("white-label URL %q", got)
	}
}

func TestContactName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    contacts.Contact
		want string
	}{
		{contacts.Contact{Name: " Full Name ", FirstName: "F"}, "Full Name"},
		{contacts.Contact{FirstName: "Ann"}, "Ann"},
		{contacts.Contact{LastName: "Lee"}, "Lee"},
		{contacts.Contact{Email: "a@b.c", Phone: "1"}, "a@b.c"},
		{contacts.Contact{Phone: "1"}, "1"},
		{contacts.Contact{ID: "x"}, "x"},
		{contacts.Contact{}, "(no name)"},
	}
	for _, tt := range tests {
		if got := ContactName(&tt.c); got != tt.want {
			t.Errorf("ContactName(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestTaskList(t *testing.T) {
	t.Parallel()
	c := hostileContact
	msgs := fixture.TaskList(&c, fixtureTasks)
	golden(t, "task_list", msgs)
	noMentions(t, "task list", msgs...)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	lines := strings.Split(msgs[0].Text, "\n")
	want := []string{
		"**Tasks for [Jane O'Neil \\*VIP\\*](https://app.gohighlevel.com/v2/location/loc%209/contacts/detail/ct_123)** · 3 open, 1 done, 1 overdue",
		"",
		"- ⬜ **Call back @\u200bhere** · due Mon 8 Jul 2024 09:30 CEST · ⚠️ **overdue** · assigned to Sam \\*Sales\\* · `t1`",
		"- ⬜ **\\# Send quote** · due Fri 12 Jul 2024 16:00 CEST · assigned to `user_unknown` · `t2`",
		"- ⬜ **\\- follow up \\_soon\\_** · no due date · `t3`",
		"- ✅ ~~Intro \\~\\~call\\~\\~~~ · due Mon 1 Jul 2024 10:00 CEST · `t4`",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("task list:\n%s\nwant:\n%s", msgs[0].Text, strings.Join(want, "\n"))
	}
	golden(t, "task_list_empty", fixture.TaskList(nil, nil))
}

func TestTaskListSplits(t *testing.T) {
	t.Parallel()
	var ts []tasks.Task
	for i := range 12 {
		ts = append(ts, tasks.Task{ID: fmt.Sprintf("task%02d", i), Title: "Prüfung 検査 " + strings.Repeat("é", i),
			DueDate: time.Date(2024, 7, 20+i%5, 9, 0, 0, 0, time.UTC)})
	}
	f := fixture
	f.Limit = 400
	msgs := f.TaskList(nil, ts)
	golden(t, "task_list_split", msgs)
	if len(msgs) < 2 {
		t.Fatalf("%d messages, want a split", len(msgs))
	}
	seen := map[string]int{}
	for i, m := range msgs {
		if n := utf8.RuneCountInString(m.Text); n > 400 || !utf8.ValidString(m.Text) {
			t.Errorf("message %d: %d runes, valid %v", i, n, utf8.ValidString(m.Text))
		}
		if i > 0 && !strings.HasPrefix(m.Text, "_(tasks, continued)_") {
			t.Errorf("message %d starts %q", i, m.Text[:20])
		}
		for _, l := range strings.Split(m.Text, "\n") {
			if strings.HasPrefix(l, "- ") {
				id := l[strings.LastIndex(l, "`task")+1 : len(l)-1]
				seen[id]++
			}
		}
	}
	if len(seen) != 12 {
		t.Errorf("tasks across messages: %v", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("task %s appears %d times", id, n)
		}
	}
}

func TestTaskListOversizedTask(t *testing.T) {
	t.Parallel()
	ts := []tasks.Task{
		{ID: "small", Title: "small"},
		{ID: "huge", Title: strings.Repeat("ü😀", 12000)}, // 24,000 runes, no spaces
		{ID: "after", Title: "after"},
	}
	var f Formatter
	msgs := f.TaskList(nil, ts)
	if len(msgs) < 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	total := ""
	for i, m := range msgs {
		if n := utf8.RuneCountInString(m.Text); n > MaxMessageRunes {
			t.Errorf("message %d has %d runes", i, n)
		}
		if !utf8.ValidString(m.Text) {
			t.Errorf("message %d cut inside a character", i)
		}
		total += m.Text
	}
	if strings.Count(total, "ü") != 12000 || strings.Count(total, "😀") != 12000 || !strings.Contains(total, "`after`") || !strings.Contains(total, "`small`") {
		t.Error("content lost in the split")
	}
}

func TestTaskAndConfirmations(t *testing.T) {
	t.Parallel()
	overdue := fixtureTasks[3]
	m := fixture.Task(overdue)
	golden(t, "task", m)
	noMentions(t, "task", m)
	a := m.Attachments[0]
	if a.Color != ColorOverdue || a.Title != "⚠️ Call back @\u200bhere" || a.Text != "Ask about \\*\\*pricing\\*\\*.\n\\> not a quote\n1\\. not a list" {
		t.Errorf("task attachment %+v", a)
	}
	if f := fixture.Task(fixtureTasks[2]).Attachments[0]; f.Color != ColorOpen || !strings.HasPrefix(f.Title, "⬜") {
		t.Errorf("open task %+v", f)
	}
	done := fixture.Task(fixtureTasks[0])
	golden(t, "task_done", done)
	if done.Attachments[0].Color != ColorCompleted {
		t.Errorf("done color %q", done.Attachments[0].Color)
	}

	created := fixture.TaskCreated(fixtureTasks[2], "alice")
	golden(t, "task_created", created)
	if created.Text != `➕ Task created by @alice: **\# Send quote**` {
		t.Errorf("created text %q", created.Text)
	}
	completed := fixture.TaskCompleted(overdue, "alice")
	golden(t, "task_completed", completed)
	if completed.Text != "✅ Completed by @alice: ~~Call back @\u200bhere~~" || completed.Attachments[0].Color != ColorCompleted {
		t.Errorf("completed %q %+v", completed.Text, completed.Attachments[0])
	}
	// The actor is the one intended mention; CRM text and odd names never are.
	noMentions(t, "completed attachment", Message{Attachments: completed.Attachments})
	for _, by := range []string{"channel", "all", "@here", "Alice Smith", "bob\n@all"} {
		m := fixture.TaskCompleted(overdue, by)
		noMentions(t, "completed by "+by, m)
	}
	if m := fixture.TaskCreated(overdue, ""); m.Text != "➕ Task created: **Call back @\u200bhere**" {
		t.Errorf("created without actor: %q", m.Text)
	}
}

func TestNote(t *testing.T) {
	t.Parallel()
	m := fixture.Note(fixtureNote)
	golden(t, "note", m)
	noMentions(t, "note", m)
	a := m.Attachments[0]
	if a.Color != "#FFAA00" || a.Title != `📌 📝 Meeting \*\*notes\*\*` {
		t.Errorf("note %+v", a)
	}
	if a.Text != "Discussed pricing.\n\\- point one\n@\u200ball should know\n\u00a0\u00a0\u00a0\u00a0indented" {
		t.Errorf("note text %q", a.Text)
	}
	n := fixtureNote
	n.Color = "red; background:url(x)"
	n.Body = strings.Repeat("long ", 3000)
	n.Title = ""
	n.Pinned = false
	m = fixture.Note(n)
	if m.Attachments[0].Color != ColorNote || m.Attachments[0].Title != "📝 Note" {
		t.Errorf("defaults %+v", m.Attachments[0])
	}
	if txt := m.Attachments[0].Text; utf8.RuneCountInString(txt) > maxAttachmentText || !strings.HasSuffix(txt, "…") {
		t.Errorf("long body not truncated: %d runes", utf8.RuneCountInString(txt))
	}
	c := hostileContact
	list := fixture.NoteList(&c, []notes.Note{fixtureNote, {ID: "n0", Body: "older @all", DateAdded: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}})
	golden(t, "note_list", list)
	noMentions(t, "note list", list...)
	if !strings.Contains(list[0].Text, "`n1`") || strings.Index(list[0].Text, "`n1`") > strings.Index(list[0].Text, "`n0`") {
		t.Errorf("note list not newest first:\n%s", list[0].Text)
	}
	golden(t, "note_list_empty", fixture.NoteList(nil, nil))
}

func TestMessageConversions(t *testing.T) {
	t.Parallel()
	m := fixture.Task(fixtureTasks[1])
	m.Text = "hi"
	p := m.Post("ch", "root")
	if p.ChannelID != "ch" || p.RootID != "root" || p.Message != "hi" || len(p.Props.Attachments) != 1 {
		t.Errorf("post %+v", p)
	}
	p.Props.Attachments[0].Title = "changed"
	if m.Attachments[0].Title == "changed" {
		t.Error("Post shares the attachment slice")
	}
	r := m.CommandResponse(ResponseInChannel)
	if r.ResponseType != "in_channel" || r.Text != "hi" || len(r.Attachments) != 1 {
		t.Errorf("response %+v", r)
	}
	w := m.WebhookMessage()
	if w.Text != "hi" || len(w.Attachments) != 1 {
		t.Errorf("webhook %+v", w)
	}
}

func TestValidUsername(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"alice": true, "bob.smith-2_x": true, "": false, "Alice": false, "1bob": false,
		"all": false, "channel": false, "here": false, "a b": false, "a@b": false} {
		if validUsername(s) != want {
			t.Errorf("validUsername(%q) = %v", s, !want)
		}
	}
}
