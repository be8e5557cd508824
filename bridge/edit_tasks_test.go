package bridge

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
	"github.com/ghlkit/ghl/tasks"
)

func TestTaskEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	due := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", Body: "About the quote", DueDate: due})
	e.settle()
	path := "/contacts/" + e.contact.ID + "/tasks/" + task.ID

	// Bad input: the user is told, nothing is sent.
	n := mark(e)
	for line, want := range map[string]string{
		"/ghl task edit " + e.contact.ID + " " + task.ID:                      "Nothing to change: give --title, --due, --body or --assignee.",
		"/ghl task edit " + e.contact.ID + " " + task.ID + " --due tomorrow":  "Bad --due: `tomorrow` is not a date",
		"/ghl task edit " + e.contact.ID + " " + task.ID + ` --title ""`:      "A task needs a title",
		"/ghl task edit " + e.contact.ID + " " + task.ID + " --assignee a/b":  "Bad --assignee: `a/b` is not a HighLevel user ID.",
		"/ghl task edit " + e.contact.ID + " nosuchtask --title X":            "The contact has no task with ID `nosuchtask`.",
		"/ghl task edit nobody@example.com " + task.ID + " --title X":         "No contact with email `nobody@example.com`.",
		"/ghl task edit " + e.contact.ID + " " + task.ID + " --colour red":    "unknown flag --colour",
		"/ghl task edit " + e.contact.ID + " " + task.ID + " --title X extra": "unexpected argument",
	} {
		res := e.slash(e.alice, e.channel.ID, line)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, want) {
			t.Errorf("%s = %q, want %q", line, res.Response.Text, want)
		}
	}
	noWrites(t, e, n, "bad input")

	// Only the fields given are sent.
	n = mark(e)
	before := len(e.posts(e.channel.ID))
	res := e.slash(e.alice, e.channel.ID, `/ghl task edit ada@example.com `+task.ID+` --title "Call back Friday" --due 2030-01-04`)
	if res.Response.Text != "" {
		t.Errorf("answer: %+v", res.Response)
	}
	wantWrite(t, writesSince(e, n), "PUT", path, `{"title":"Call back Friday","dueDate":"2030-01-04T09:00:00.000Z"}`)
	got := e.hl.Tasks(e.contact.ID)[0]
	if got.Title != "Call back Friday" || got.Body != "About the quote" || !got.DueDate.Equal(time.Date(2030, 1, 4, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("task in HighLevel: %+v", got)
	}
	p := lastPost(t, e, e.channel.ID)
	text := postText(p)
	for _, want := range []string{"Task updated by @alice", "Call back Friday", "Changed: title, due date", "Fri 4 Jan 2030 09:00 UTC", "About the quote", "[Complete]", "[Edit]"} {
		if !strings.Contains(text, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, text)
		}
	}
	if p.UserID != e.bot.ID {
		t.Errorf("confirmation posted by %s, want the bot", p.UserID)
	}

	// Body and assignee, cleared and set.
	n = mark(e)
	e.slash(e.alice, e.channel.ID, `/ghl task edit `+e.contact.ID+` `+task.ID+` --body "" --assignee user123`)
	wantWrite(t, writesSince(e, n), "PUT", path, `{"body":"","assignedTo":"user123"}`)

	// HighLevel's 422 in words.
	e.hl.Fail(ghltest.Fault{Method: "PUT", Path: path, Status: 422, Body: `{"statusCode":422,"message":["dueDate must be a valid ISO 8601 date string"],"error":"Unprocessable Entity"}`, Count: 1})
	res = e.slash(e.alice, e.channel.ID, "/ghl task edit "+e.contact.ID+" "+task.ID+" --title Y")
	if want := "Updating the task failed: HighLevel said: dueDate must be a valid ISO 8601 date string (422)."; res.Response.Text != want {
		t.Errorf("422 answer = %q, want %q", res.Response.Text, want)
	}
	e.settle()
	// The second edit redraws the first one's post in place.
	if n := len(e.posts(e.channel.ID)) - before; n != 1 {
		t.Errorf("%d new posts, want 1 (the first edit's, redrawn by the second)", n)
	}
}

func TestTaskEditAnswerLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	task := e.hl.AddTask(ghlTask(e, "Call back"))
	path := "/contacts/" + e.contact.ID + "/tasks/" + task.ID
	// The PUT is applied, its answer lost: the SDK repeats it (a PUT is
	// idempotent) and the user sees the task as HighLevel holds it.
	e.hl.Fail(ghltest.Fault{Method: "PUT", Path: path, AfterWrite: true, Count: 1})
	e.slash(e.alice, e.channel.ID, "/ghl task edit "+e.contact.ID+" "+task.ID+" --title Renamed")
	if got := e.hl.Tasks(e.contact.ID)[0].Title; got != "Renamed" {
		t.Errorf("title %q", got)
	}
	if text := postText(lastPost(t, e, e.channel.ID)); !strings.Contains(text, "Task updated by @alice") || !strings.Contains(text, "Renamed") {
		t.Errorf("confirmation:\n%s", text)
	}
	// Every attempt fails without an answer: the task is read back, and
	// holding the change it counts as done.
	e.hl.Fail(ghltest.Fault{Method: "PUT", Path: path, AfterWrite: true})
	e.slash(e.alice, e.channel.ID, "/ghl task edit "+e.contact.ID+" "+task.ID+" --title Again")
	e.hl.ClearFaults()
	if text := postText(lastPost(t, e, e.channel.ID)); !strings.Contains(text, "Again") {
		t.Errorf("confirmation after lost answers:\n%s", text)
	}
}

func TestTaskReopen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	task := e.hl.AddTask(ghlTask(e, "Call back"))
	path := "/contacts/" + e.contact.ID + "/tasks/" + task.ID
	e.settle()
	e.slash(e.alice, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)

	n := mark(e)
	res := e.slash(e.bob, e.channel.ID, "/ghl task reopen "+e.contact.ID+" "+task.ID)
	if res.Response.Text != "" {
		t.Errorf("reopen answer: %+v", res.Response)
	}
	wantWrite(t, writesSince(e, n), "PUT", path, `{"completed":false}`)
	if e.hl.Tasks(e.contact.ID)[0].Completed {
		t.Fatal("still completed in HighLevel")
	}
	if text := postText(lastPost(t, e, e.channel.ID)); !strings.Contains(text, "Task reopened by @bob") || !strings.Contains(text, "[Complete]") {
		t.Errorf("reopen confirmation:\n%s", text)
	}
	n = mark(e)
	res = e.slash(e.bob, e.channel.ID, "/ghl task reopen "+e.contact.ID+" "+task.ID)
	if !strings.Contains(res.Response.Text, "already open") {
		t.Errorf("second reopen: %q", res.Response.Text)
	}
	noWrites(t, e, n, "reopening an open task")

	// Completing it again is a new completion, by bob.
	res = e.slash(e.bob, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if !strings.Contains(res.Response.Text, "Completed by @bob") {
		t.Errorf("completion after reopen: %+v", res.Response)
	}
	// Reopened in HighLevel: a Complete is a new completion too.
	gc, _ := e.clients()
	if _, err := tasks.New(gc).SetCompleted(context.Background(), e.contact.ID, task.ID, false); err != nil {
		t.Fatal(err)
	}
	res = e.slash(e.alice, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if !strings.Contains(res.Response.Text, "Completed by @alice") {
		t.Errorf("completion after a reopen in HighLevel: %+v", res.Response)
	}
}

func TestTaskDeleteConfirm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", Body: "About the quote", DueDate: time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)})
	path := "/contacts/" + e.contact.ID + "/tasks/" + task.ID

	n := mark(e)
	res := e.slash(e.alice, e.channel.ID, "/ghl task delete ada@example.com "+task.ID)
	if res.Response.ResponseType != mattermost.ResponseInChannel {
		t.Fatalf("preview: %+v", res.Response)
	}
	noWrites(t, e, n, "the preview")
	preview := lastPost(t, e, e.channel.ID)
	goldenPost(t, "preview_task_delete", preview, e.contact.ID, "<contact>", task.ID, "<task>")

	// Bob may not confirm alice's change; another channel neither.
	r := click(t, e, e.bob, preview.ID, "confirm")
	if !strings.Contains(ephemeralText(r), "only they can use it") {
		t.Errorf("bob's click: %q", ephemeralText(r))
	}
	moved := *r.Request
	moved.UserID, moved.ChannelID = e.alice.ID, e.other.ID
	if resp := replayAction(t, e, &moved); !strings.Contains(resp.EphemeralText, "another channel") {
		t.Errorf("click from another channel: %+v", resp)
	}
	noWrites(t, e, n, "refused clicks")

	r = click(t, e, e.alice, preview.ID, "confirm")
	wantWrite(t, writesSince(e, n), "DELETE", path, "")
	if len(e.hl.Tasks(e.contact.ID)) != 0 {
		t.Fatal("task still in HighLevel")
	}
	done, _ := e.mm.Post(preview.ID)
	if text := postText(done); !strings.Contains(text, "Task deleted by @alice") || !strings.Contains(text, "HighLevel confirmed the delete") || strings.Contains(text, "[Confirm]") {
		t.Errorf("post after confirm:\n%s", text)
	}
	// Replays of the Confirm (the same signed context) apply nothing more.
	for range 2 {
		again := *r.Request
		if resp := replayAction(t, e, &again); !strings.Contains(resp.EphemeralText, "already used") {
			t.Errorf("replay: %+v", resp)
		}
	}
	if c := countRequests(e.hl, "DELETE", path); c != 1 {
		t.Errorf("%d deletes, want 1", c)
	}
	e.settle()
}

func TestConfirmCancelExpiryAndGone(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Now()}
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.start(WithClock(clock.now))
	t1 := e.hl.AddTask(ghlTask(e, "One"))
	t2 := e.hl.AddTask(ghlTask(e, "Two"))
	t3 := e.hl.AddTask(ghlTask(e, "Three"))

	// Cancel, then the Confirm of the same preview: nothing is deleted.
	n := mark(e)
	e.slash(e.alice, e.channel.ID, "/ghl task delete "+e.contact.ID+" "+t1.ID)
	p := lastPost(t, e, e.channel.ID)
	click(t, e, e.alice, p.ID, "cancel")
	if got, _ := e.mm.Post(p.ID); !strings.Contains(got.Message, "@alice cancelled: nothing was changed") || len(got.Props.Attachments) != 0 {
		t.Errorf("cancelled post: %s", postText(got))
	}
	// The post lost its buttons: replay the Confirm as Mattermost would
	// send it from a stale copy.
	confirm := &mattermost.ActionRequest{UserID: e.alice.ID, UserName: "alice", ChannelID: e.channel.ID, PostID: p.ID, Context: p.Props.Attachments[len(p.Props.Attachments)-1].Actions[0].Integration.Context}
	if resp := replayAction(t, e, confirm); !strings.Contains(resp.EphemeralText, "already used") {
		t.Errorf("confirm after cancel: %+v", resp)
	}
	noWrites(t, e, n, "cancel")

	// Expired: nothing is deleted.
	e.slash(e.alice, e.channel.ID, "/ghl task delete "+e.contact.ID+" "+t2.ID)
	p = lastPost(t, e, e.channel.ID)
	clock.add(confirmTTL + time.Second)
	if r := click(t, e, e.alice, p.ID, "confirm"); ephemeralText(r) != mattermost.ExpiredActionText {
		t.Errorf("expired confirm: %q", ephemeralText(r))
	}
	noWrites(t, e, n, "an expired confirm")

	// Deleted in HighLevel meanwhile: "already deleted", no DELETE.
	e.slash(e.alice, e.channel.ID, "/ghl task delete "+e.contact.ID+" "+t3.ID)
	p = lastPost(t, e, e.channel.ID)
	gc, _ := e.clients()
	if err := tasks.New(gc).Delete(context.Background(), e.contact.ID, t3.ID); err != nil {
		t.Fatal(err)
	}
	n = mark(e)
	click(t, e, e.alice, p.ID, "confirm")
	noWrites(t, e, n, "a confirm of a deleted task")
	if got, _ := e.mm.Post(p.ID); !strings.Contains(got.Message, "already deleted in HighLevel") {
		t.Errorf("post: %s", postText(got))
	}
}

func TestTaskDeleteStalePreview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	task := e.hl.AddTask(ghlTask(e, "Call back"))
	path := "/contacts/" + e.contact.ID + "/tasks/" + task.ID
	e.slash(e.alice, e.channel.ID, "/ghl task delete "+e.contact.ID+" "+task.ID)
	p := lastPost(t, e, e.channel.ID)

	// Someone renames it in HighLevel before alice confirms.
	gc, _ := e.clients()
	if _, err := tasks.New(gc).Update(context.Background(), e.contact.ID, task.ID, tasks.UpdateParams{Title: ghl.Set("Call back (urgent)")}); err != nil {
		t.Fatal(err)
	}
	n := mark(e)
	r := click(t, e, e.alice, p.ID, "confirm")
	noWrites(t, e, n, "a stale confirm")
	if !strings.Contains(ephemeralText(r), "changed in HighLevel since the preview") {
		t.Errorf("stale confirm: %q", ephemeralText(r))
	}
	again, _ := e.mm.Post(p.ID)
	if text := postText(again); !strings.Contains(text, "Call back (urgent)") || !strings.Contains(text, "[Confirm]") || !strings.Contains(text, "changed in HighLevel") {
		t.Errorf("new preview:\n%s", text)
	}
	// The new Confirm applies it, once.
	click(t, e, e.alice, p.ID, "confirm")
	wantWrite(t, writesSince(e, n), "DELETE", path, "")
	if resp := replayAction(t, e, r.Request); !strings.Contains(resp.EphemeralText, "already used") {
		t.Errorf("old confirm after all: %+v", resp)
	}
}

func TestTaskDeleteAnswerLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	task := e.hl.AddTask(ghlTask(e, "Call back"))
	path := "/contacts/" + e.contact.ID + "/tasks/" + task.ID
	e.slash(e.alice, e.channel.ID, "/ghl task delete "+e.contact.ID+" "+task.ID)
	p := lastPost(t, e, e.channel.ID)
	// The delete is applied, its answer lost; the retry finds it gone.
	e.hl.Fail(ghltest.Fault{Method: "DELETE", Path: path, AfterWrite: true, Count: 1})
	click(t, e, e.alice, p.ID, "confirm")
	if got, _ := e.mm.Post(p.ID); !strings.Contains(got.Message, "Task deleted by @alice") || !strings.Contains(got.Message, "already gone") {
		t.Errorf("post: %s", postText(got))
	}
	if len(e.hl.Tasks(e.contact.ID)) != 0 {
		t.Error("task still there")
	}
}

func TestTaskEditDialog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	due := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", Body: "About the quote", DueDate: due})
	other := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Send quote", DueDate: due.Add(time.Hour)})
	e.settle()
	e.slash(e.bob, e.channel.ID, "/ghl tasks "+e.contact.ID)
	list := lastPost(t, e, e.channel.ID)
	if list.UserID != e.bot.ID || !strings.Contains(postText(list), "[Edit a task…]") {
		t.Fatalf("list post by %s:\n%s", list.UserID, postText(list))
	}
	posts := len(e.posts(e.channel.ID))

	// The list's menu opens the form of the chosen task, prefilled.
	sess := e.mm.As(e.bob.ID)
	if _, err := sess.SelectOption(context.Background(), list.ID, "edittask", task.ID); err != nil {
		t.Fatal(err)
	}
	dialogs := e.mm.Dialogs()
	if len(dialogs) != 1 {
		t.Fatalf("%d dialogs", len(dialogs))
	}
	d := dialogs[0]
	var got []string
	for _, el := range d.Dialog.Elements {
		got = append(got, el.Name+"="+el.Default)
	}
	if g := strings.Join(got, ","); g != "title=Call back,due=2030-01-02T09:00,body=About the quote,assignee=" {
		t.Errorf("prefilled: %s", g)
	}

	// Alice cannot submit bob's form (sent as a forged request: Mattermost
	// itself would not show it to her).
	n := mark(e)
	forged := &mattermost.DialogSubmission{Type: mattermost.DialogSubmitted, CallbackID: d.Dialog.CallbackID, State: d.Dialog.State,
		UserID: e.alice.ID, ChannelID: e.channel.ID, Submission: map[string]any{"title": "Hijack", "due": "2030-01-02T09:00", "body": "About the quote"}}
	if got := submitRaw(t, e, forged); got.Error != mattermost.RefusalText(mattermost.ErrWrongUser) {
		t.Errorf("alice's submission: %+v", got)
	}
	noWrites(t, e, n, "another user's submission")

	// A bad date keeps the form open, sends nothing.
	r, err := sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Call back", "due": "someday", "body": "About the quote"})
	if err != nil || r.Closed || r.Response == nil || r.Response.Errors["due"] == "" {
		t.Errorf("bad date: %+v %v", r, err)
	}
	noWrites(t, e, n, "a bad date")

	// Only the due date changed: only it is sent.
	r, err = sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Call back", "due": "2030-01-05", "body": "About the quote"})
	if err != nil || !r.Closed {
		t.Fatalf("submission: %+v %v", r, err)
	}
	wantWrite(t, writesSince(e, n), "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID, `{"dueDate":"2030-01-05T09:00:00.000Z"}`)
	// The list is redrawn in place: same post, no new one.
	redrawn, _ := e.mm.Post(list.ID)
	text := postText(redrawn)
	for _, want := range []string{"Sat 5 Jan 2030 09:00 UTC", "Task updated by @bob", "(due date)", "Send quote", "[Edit a task…]"} {
		if !strings.Contains(text, want) {
			t.Errorf("redrawn list lacks %q:\n%s", want, text)
		}
	}
	if n := len(e.posts(e.channel.ID)); n != posts {
		t.Errorf("%d posts, want %d (redrawn, not re-posted)", n, posts)
	}
	// The form is one-time.
	r, err = sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Twice", "due": "2030-01-05", "body": "About the quote"})
	if err != nil || r.Closed || r.Response == nil || !strings.Contains(r.Response.Error, "already used") {
		t.Errorf("second submission: %+v %v", r, err)
	}
	if c := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID); c != 1 {
		t.Errorf("%d PUTs, want 1", c)
	}

	// The Edit button of a one-task post redraws that post.
	// (A task the list does not show: an edit of one it shows redraws
	// the list too.)
	e.slash(e.bob, e.channel.ID, `/ghl task add `+e.contact.ID+` "Send quote" --due 2030-01-02T10:00 --body Draft`)
	one := lastPost(t, e, e.channel.ID)
	var third ghltest.Task
	for _, tk := range e.hl.Tasks(e.contact.ID) {
		if tk.ID != task.ID && tk.ID != other.ID {
			third = tk
		}
	}
	posts = len(e.posts(e.channel.ID))
	click(t, e, e.bob, one.ID, "edit"+third.ID)
	d = e.mm.Dialogs()[1]
	n = mark(e)
	if r, err := sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Send the quote", "due": "2030-01-02T10:00", "body": "Draft", "assignee": ""}); err != nil || !r.Closed {
		t.Fatalf("submission: %+v %v", r, err)
	}
	wantWrite(t, writesSince(e, n), "PUT", "/contacts/"+e.contact.ID+"/tasks/"+third.ID, `{"title":"Send the quote"}`)
	redrawn, _ = e.mm.Post(one.ID)
	if text := postText(redrawn); !strings.Contains(text, "Task updated by @bob") || !strings.Contains(text, "Send the quote") || !strings.Contains(text, "Changed: title") {
		t.Errorf("redrawn post:\n%s", text)
	}
	if n := len(e.posts(e.channel.ID)); n != posts {
		t.Errorf("%d posts, want %d", n, posts)
	}
	// Submitting an unchanged form sends nothing.
	click(t, e, e.bob, one.ID, "edit"+third.ID)
	d = e.mm.Dialogs()[2]
	n = mark(e)
	if r, err := sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Send the quote", "due": "2030-01-02T10:00", "body": "Draft"}); err != nil || !r.Closed {
		t.Fatalf("unchanged submission: %+v %v", r, err)
	}
	noWrites(t, e, n, "an unchanged form")
	e.settle()
}

// submitRaw posts a dialog submission as given and decodes the answer.
func submitRaw(t *testing.T, e *env, sub *mattermost.DialogSubmission) mattermost.DialogResponse {
	t.Helper()
	r, err := mattermosttest.NewDialogRequest(context.Background(), e.srv.URL+PathDialog, sub)
	if err != nil {
		t.Fatal(err)
	}
	status, got := answer[mattermost.DialogResponse](t, r)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	return got
}

func TestTaskEditDialogLongFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	long := strings.Repeat("Call back about the quote. ", 8) // over 150 characters
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: long, DueDate: time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)})
	e.slash(e.bob, e.channel.ID, "/ghl task edit "+e.contact.ID+" "+task.ID+" --body x")
	click(t, e, e.bob, lastPost(t, e, e.channel.ID).ID, "edit"+task.ID)
	d := e.mm.Dialogs()[0]
	for _, el := range d.Dialog.Elements {
		if el.Name == "title" {
			t.Fatalf("a title too long for the form is in it, cut: %q", el.Default)
		}
	}
	if !strings.Contains(d.Dialog.IntroductionText, "The title is too long to edit here") {
		t.Errorf("intro: %q", d.Dialog.IntroductionText)
	}
	n := mark(e)
	if r, err := e.mm.As(e.bob.ID).SubmitDialog(context.Background(), d, map[string]any{"due": "2030-01-03", "body": "x"}); err != nil || !r.Closed {
		t.Fatalf("submission: %+v %v", r, err)
	}
	wantWrite(t, writesSince(e, n), "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID, `{"dueDate":"2030-01-03T09:00:00.000Z"}`)
	if got := e.hl.Tasks(e.contact.ID)[0].Title; got != long {
		t.Errorf("title changed to %q", got)
	}
}
