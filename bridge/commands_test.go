package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.slash(e.alice, e.channel.ID, "/ghl help")
	if res.Response.ResponseType != mattermost.ResponseEphemeral {
		t.Errorf("help response type = %q, want ephemeral", res.Response.ResponseType)
	}
	for _, want := range []string{"/ghl contact <contact...>", "/ghl tasks <contact...>", "/ghl notes <contact...>", "/ghl task add <contact> [title...]", "--due", "--body", "/ghl task done <contact> <taskId>", "/ghl note add <contact> <text...>", "/ghl subscribe <contact...>", "/ghl unsubscribe <contact...>",
		"/ghl task edit <contact> <taskId> [--title <text>] [--due <YYYY-MM-DD|RFC3339>] [--body <text>] [--assignee <userId>]",
		"/ghl task reopen <contact> <taskId>", "/ghl task delete <contact> <taskId>",
		"/ghl note edit <contact> <noteId> <text...>", "/ghl note delete <contact> <noteId>",
		"/ghl contact set <contact> <field=value...>", "/ghl contact add [--first <name>]", "/ghl contact delete <contact...>",
		"/ghl tag add <contact> <tag...>", "/ghl tag remove <contact> <tag...>",
		"/ghl search <text...>", "/ghl appointments <contact...>", "/ghl business <businessId>", "/ghl status`",
		"e.g. `/ghl contact set ada@example.com city=\"New York\" postalCode=10001 website=`"} {
		if !strings.Contains(res.Response.Text, want) {
			t.Errorf("help lacks %q:\n%s", want, res.Response.Text)
		}
	}
	if n := len(e.posts(e.channel.ID)); n != 0 {
		t.Errorf("help posted %d posts in the channel", n)
	}
	// Every command has one example.
	for _, line := range strings.Split(res.Response.Text, "\n") {
		if strings.HasPrefix(line, "- `/ghl ") && !strings.HasPrefix(line, "- `/ghl help") {
			var name []string
			bare := false // a command without arguments needs no example
			for _, w := range strings.Fields(strings.TrimPrefix(line, "- `/ghl ")) {
				if strings.ContainsAny(w[:1], "<[`") {
					break
				}
				if bare = strings.HasSuffix(w, "`"); bare {
					break
				}
				name = append(name, w)
			}
			if !bare && !strings.Contains(res.Response.Text, "e.g. `/ghl "+strings.Join(name, " ")+" ") {
				t.Errorf("no example for %q", name)
			}
		}
	}
}

func TestContactCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, ref := range []string{e.contact.ID, "ada@example.com", "+1 (415) 555-0100", "4155550100"} {
		res := e.slash(e.alice, e.channel.ID, "/ghl contact "+ref)
		r := res.Response
		if r.ResponseType != mattermost.ResponseEphemeral || len(r.Attachments) != 1 {
			t.Fatalf("contact %s: %+v", ref, r)
		}
		card := postText(mattermost.Post{Props: mattermost.Props{Attachments: r.Attachments}})
		for _, want := range []string{"Ada Lovelace", "ada@example.com", e.contact.ID, "vip"} {
			if !strings.Contains(card, want) {
				t.Errorf("contact %s: card lacks %q:\n%s", ref, want, card)
			}
		}
		wantLink := "https://app.gohighlevel.com/v2/location/loc1/contacts/detail/" + e.contact.ID
		if r.Attachments[0].TitleLink != wantLink {
			t.Errorf("link = %q, want %q", r.Attachments[0].TitleLink, wantLink)
		}
	}
	for ref, want := range map[string]string{
		"nosuchcontact00000000": "No contact with ID `nosuchcontact00000000`.",
		"who@example.com":       "No contact with email `who@example.com`.",
		"+4915112345678":        "No contact with phone number `+4915112345678`.",
	} {
		res := e.slash(e.alice, e.channel.ID, "/ghl contact "+ref)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || res.Response.Text != want {
			t.Errorf("contact %s = %q (%s), want %q", ref, res.Response.Text, res.Response.ResponseType, want)
		}
	}
	res := e.slash(e.alice, e.channel.ID, "/ghl contact")
	if !strings.Contains(res.Response.Text, "missing") || !strings.Contains(res.Response.Text, "Usage: `/ghl contact <contact...>`") {
		t.Errorf("contact without argument: %q", res.Response.Text)
	}
}

func TestTasksAndCompleteButton(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	due := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	open := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", DueDate: due})
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Send quote", DueDate: due.Add(time.Hour), Completed: true})

	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	posts := e.posts(e.channel.ID)
	if len(posts) != 1 {
		t.Fatalf("tasks posted %d posts, want 1", len(posts))
	}
	list := posts[0]
	text := postText(list)
	for _, want := range []string{"Tasks for", "Ada Lovelace", "Call back", "Send quote", "1 open, 1 done", "[✔ Call back]"} {
		if !strings.Contains(text, want) {
			t.Errorf("task list lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "[✔ Send quote]") {
		t.Errorf("completed task has a button:\n%s", text)
	}

	click, err := e.mm.As(e.alice.ID).ClickButton(context.Background(), list.ID, "complete"+open.ID)
	if err != nil || click.Status != 200 {
		t.Fatalf("click: %v %+v", err, click)
	}
	if got := e.hl.Tasks(e.contact.ID)[0]; !got.Completed {
		t.Fatalf("task not completed in HighLevel: %+v", got)
	}
	updated, _ := e.mm.Post(list.ID)
	text = postText(updated)
	if !strings.Contains(text, "Completed by @alice") || strings.Contains(text, "[✔ Call back]") {
		t.Errorf("updated post:\n%s", text)
	}
	writes := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+open.ID+"/completed")
	if writes != 1 {
		t.Fatalf("%d completion writes, want 1", writes)
	}

	// A replay of the same click (same signed context) and bob's click on
	// a stale copy: no second write, "already complete".
	for _, user := range []string{e.alice.ID, e.bob.ID} {
		req := *click.Request
		req.UserID = user
		res := replayAction(t, e, &req)
		if !strings.Contains(res.EphemeralText, "already complete") || !strings.Contains(res.EphemeralText, "@alice") {
			t.Errorf("second click: %+v", res)
		}
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+open.ID+"/completed"); n != 1 {
		t.Errorf("%d completion writes after replays, want 1", n)
	}
}

func countRequests(hl *ghltest.Server, method, path string) int {
	n := 0
	for _, r := range hl.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestNotesThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	n1 := e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "Met at the fair", DateAdded: time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)})
	n2 := e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "Wants a **quote** @channel", DateAdded: time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)})

	res := e.slash(e.alice, e.channel.ID, "/ghl notes ada@example.com")
	if !strings.Contains(res.Response.Text, "Posted 2 new notes") {
		t.Errorf("first notes answer: %q", res.Response.Text)
	}
	posts := e.posts(e.channel.ID)
	if len(posts) != 3 {
		t.Fatalf("%d posts, want root + 2 replies", len(posts))
	}
	root := posts[0]
	if root.RootID != "" || !strings.Contains(root.Message, "Notes — [Ada Lovelace]") {
		t.Errorf("root post: %+v", root)
	}
	for i, n := range []ghltest.Note{n1, n2} {
		p := posts[i+1]
		if p.RootID != root.ID || !strings.Contains(postText(p), n.ID) {
			t.Errorf("reply %d: root %q, text:\n%s", i, p.RootID, postText(p))
		}
	}
	if strings.Contains(postText(posts[2]), "@channel") {
		t.Errorf("a CRM note can mention the channel:\n%s", postText(posts[2]))
	}

	n3 := e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "Signed", DateAdded: time.Date(2025, 1, 3, 10, 0, 0, 0, time.UTC)})
	res = e.slash(e.bob, e.channel.ID, "/ghl notes "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "Posted 1 new note ") {
		t.Errorf("second notes answer: %q", res.Response.Text)
	}
	thread := e.mm.Thread(root.ID)
	if len(thread) != 4 || !strings.Contains(postText(thread[3]), n3.ID) {
		t.Fatalf("thread after second notes has %d posts", len(thread))
	}
	if n := len(e.posts(e.channel.ID)); n != 4 {
		t.Errorf("%d posts in the channel, want 4 (no second root)", n)
	}
	res = e.slash(e.bob, e.channel.ID, "/ghl notes "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "up to date") || len(e.posts(e.channel.ID)) != 4 {
		t.Errorf("third notes answer: %q", res.Response.Text)
	}
}

func TestTaskAdd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.slash(e.alice, e.channel.ID, `/ghl task add `+e.contact.ID+` Call Ada back --due 2030-05-01 --body "Ask about the quote"`)
	// The bot posts the confirmation (so that an edit can redraw it).
	if res.Response.Text != "" || len(e.posts(e.channel.ID)) != 1 || e.posts(e.channel.ID)[0].UserID != e.bot.ID {
		t.Fatalf("task add answer: %+v", res.Response)
	}
	ts := e.hl.Tasks(e.contact.ID)
	if len(ts) != 1 {
		t.Fatalf("%d tasks in HighLevel, want 1", len(ts))
	}
	task := ts[0]
	if task.Title != "Call Ada back" || task.Body != "Ask about the quote" || !task.DueDate.Equal(time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)) || task.Completed {
		t.Errorf("task = %+v", task)
	}
	text := postText(e.posts(e.channel.ID)[0])
	for _, want := range []string{"Task created by @alice", "Call Ada back", task.ID, "Wed 1 May 2030 09:00 UTC", "Ask about the quote", "[Complete]", "/contacts/detail/" + e.contact.ID} {
		if !strings.Contains(text, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, text)
		}
	}
	// The TaskCreate webhook of the bridge's own change is not posted.
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d posts after the webhook, want 1 (no echo):\n%s", n, postText(e.posts(e.channel.ID)[n-1]))
	}
	if !strings.Contains(e.logs.String(), "not announcing the bridge's own change") {
		t.Errorf("the webhook did not reach the deliverer:\n%s", e.logs.String())
	}

	// Default due date: tomorrow 09:00.
	e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" Follow up")
	ts = e.hl.Tasks(e.contact.ID)
	if len(ts) != 2 || !ts[1].DueDate.Equal(e.b.defaultDue()) {
		t.Errorf("default due: %+v (want %v)", ts, e.b.defaultDue())
	}

	// Errors: nothing is created, the answer is ephemeral and says why.
	before := len(e.hl.Requests())
	for line, want := range map[string]string{
		"/ghl task add " + e.contact.ID + " X --due tomorrow":   "Bad --due: `tomorrow` is not a date",
		"/ghl task add " + e.contact.ID + " X --due 2030-13-01": "Bad --due",
		"/ghl task add nobody@example.com X":                    "No contact with email `nobody@example.com`.",
		"/ghl task add " + e.contact.ID + " X --color red":      "unknown flag --color",
	} {
		res := e.slash(e.alice, e.channel.ID, line)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, want) {
			t.Errorf("%s = %q, want %q", line, res.Response.Text, want)
		}
	}
	for _, r := range e.hl.Requests()[before:] {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/tasks") {
			t.Errorf("a failed command created a task: %s %s", r.Method, r.Path)
		}
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 2 {
		t.Errorf("%d tasks, want 2", n)
	}
}

func TestTaskAddRFC3339AndTimezone(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.cfg.Location = paris
	e.start()
	e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" A --due 2030-05-01")
	e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" B --due 2030-05-01T15:30:00-04:00")
	ts := e.hl.Tasks(e.contact.ID)
	if len(ts) != 2 {
		t.Fatalf("%d tasks", len(ts))
	}
	if want := time.Date(2030, 5, 1, 7, 0, 0, 0, time.UTC); !ts[0].DueDate.Equal(want) {
		t.Errorf("A due %v, want %v (09:00 Paris)", ts[0].DueDate, want)
	}
	if want := time.Date(2030, 5, 1, 19, 30, 0, 0, time.UTC); !ts[1].DueDate.Equal(want) {
		t.Errorf("B due %v, want %v", ts[1].DueDate, want)
	}
	if text := postText(e.posts(e.channel.ID)[0]); !strings.Contains(text, "Wed 1 May 2030 09:00 CEST") {
		t.Errorf("due not shown in Paris time:\n%s", text)
	}
}

func TestTaskDone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", DueDate: time.Now().Add(time.Hour)})
	done := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Old", DueDate: time.Now(), Completed: true})
	e.settle()
	before := len(e.posts(e.channel.ID))

	res := e.slash(e.alice, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if res.Response.ResponseType != mattermost.ResponseInChannel || !strings.Contains(res.Response.Text, "Completed by @alice") {
		t.Fatalf("task done: %+v", res.Response)
	}
	if !e.hl.Tasks(e.contact.ID)[0].Completed {
		t.Fatal("task not completed in HighLevel")
	}
	res = e.slash(e.bob, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "already complete: @alice completed it") {
		t.Errorf("second task done: %+v", res.Response)
	}
	res = e.slash(e.bob, e.channel.ID, "/ghl task done "+e.contact.ID+" "+done.ID)
	if !strings.Contains(res.Response.Text, "already complete (in HighLevel)") {
		t.Errorf("task done on a completed task: %q", res.Response.Text)
	}
	res = e.slash(e.bob, e.channel.ID, "/ghl task done "+e.contact.ID+" nosuchtask")
	if res.Response.Text != "The contact has no task with ID `nosuchtask`." {
		t.Errorf("unknown task: %q", res.Response.Text)
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID+"/completed"); n != 1 {
		t.Errorf("%d completion writes, want 1", n)
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+done.ID+"/completed"); n != 0 {
		t.Errorf("%d writes to a completed task, want 0", n)
	}
	// The TaskComplete webhook is the bridge's own: only the confirmation.
	e.settle()
	if n := len(e.posts(e.channel.ID)) - before; n != 1 {
		t.Errorf("%d new posts, want 1 (the confirmation, no echo)", n)
	}
}

func TestNoteAdd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.slash(e.alice, e.channel.ID, "/ghl note add "+e.contact.ID+" Met at the fair, wants a quote")
	ns := e.hl.Notes(e.contact.ID)
	if len(ns) != 1 || ns[0].Body != "Met at the fair, wants a quote" {
		t.Fatalf("notes in HighLevel: %+v", ns)
	}
	if !strings.Contains(res.Response.Text, "Note `"+ns[0].ID+"` added to Ada Lovelace") {
		t.Errorf("note add answer: %q", res.Response.Text)
	}
	posts := e.posts(e.channel.ID)
	if len(posts) != 2 || posts[1].RootID != posts[0].ID || !strings.Contains(postText(posts[1]), ns[0].ID) {
		t.Fatalf("thread: %d posts", len(posts))
	}
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 2 {
		t.Errorf("%d posts after the NoteCreate webhook, want 2 (no echo)", n)
	}
	res = e.slash(e.alice, e.channel.ID, "/ghl notes "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "up to date") {
		t.Errorf("notes after note add: %q", res.Response.Text)
	}
	res = e.slash(e.alice, e.channel.ID, "/ghl note add "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "missing <text") {
		t.Errorf("note add without text: %q", res.Response.Text)
	}
}

func TestSubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mm.SetChannelAdmin(e.other.ID, e.alice.ID, true)
	res := e.slash(e.alice, e.other.ID, "/ghl subscribe "+e.contact.ID)
	if res.Response.ResponseType != mattermost.ResponseInChannel || !strings.Contains(res.Response.Text, "now receives the HighLevel events of Ada Lovelace") {
		t.Fatalf("subscribe: %+v", res.Response)
	}
	res = e.slash(e.alice, e.other.ID, "/ghl subscribe "+e.contact.ID)
	if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "already") {
		t.Errorf("second subscribe: %+v", res.Response)
	}
	subscribed := len(e.posts(e.other.ID))

	c := e.contact
	c.Tags = []string{"vip", "hot"}
	e.hl.UpdateContact(c)
	e.settle()
	if got := e.posts(e.other.ID); len(got) <= subscribed {
		t.Fatalf("no event in the subscribed channel")
	} else if text := postText(got[len(got)-1]); !strings.Contains(text, "Ada Lovelace") || !strings.Contains(text, "hot") {
		t.Errorf("event post:\n%s", text)
	}
	if n := len(e.posts(e.channel.ID)); n != 0 {
		t.Errorf("%d posts in the default channel, want 0 while subscribed", n)
	}

	res = e.slash(e.alice, e.other.ID, "/ghl unsubscribe "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "no longer receives") {
		t.Errorf("unsubscribe: %q", res.Response.Text)
	}
	res = e.slash(e.alice, e.other.ID, "/ghl unsubscribe "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "was not subscribed") {
		t.Errorf("second unsubscribe: %q", res.Response.Text)
	}
	after := len(e.posts(e.other.ID))
	c.Tags = []string{"vip"}
	e.hl.UpdateContact(c)
	e.settle()
	if n := len(e.posts(e.other.ID)); n != after {
		t.Errorf("unsubscribed channel got %d new posts", n-after)
	}
	if n := len(e.posts(e.channel.ID)); n == 0 {
		t.Errorf("the default channel got no event after unsubscribe")
	}
}

// TestTriggerFromConfig: BRIDGE_TRIGGER (Config.Trigger) is the command
// the help shows.
func TestTriggerFromConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.cfg.Trigger = "crm"
	e.cfg.CommandTokens = append(e.cfg.CommandTokens, Secret(e.mm.AddCommand("crm", e.srv.URL+PathCommand)))
	e.start()
	res := e.slash(e.alice, e.channel.ID, "/crm help")
	if !strings.Contains(res.Response.Text, "/crm task add <contact> [title...]") || strings.Contains(res.Response.Text, "/ghl ") {
		t.Errorf("help with BRIDGE_TRIGGER=crm:\n%s", res.Response.Text)
	}
	// WithTrigger wins over the configuration.
	e.stop()
	e.start(WithTrigger("/other"))
	if res := e.slash(e.alice, e.channel.ID, "/crm help"); !strings.Contains(res.Response.Text, "/other contact") {
		t.Errorf("help with WithTrigger:\n%s", res.Response.Text)
	}
}
