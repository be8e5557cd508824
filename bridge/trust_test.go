package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
	"github.com/ghlkit/ghl/tasks"
)

// --- who may act where (issue 13, point 1) ---

func TestNotesElsewhereMoveNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "First call went well"})
	e.settle()
	// In the default channel (where the contact's events go) anyone may
	// start the thread.
	e.slash(e.alice, e.channel.ID, "/ghl notes "+e.contact.ID)
	th, ok, _ := e.b.Store().Thread(ctx, e.contact.ID)
	if !ok || th.ChannelID != e.channel.ID {
		t.Fatalf("thread %+v, want in the default channel", th)
	}

	// A member elsewhere sees the notes, and moves nothing.
	res := e.slash(e.alice, e.other.ID, "/ghl notes "+e.contact.ID)
	if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "shown to you only") ||
		len(res.Response.ExtraResponses) != 1 || !strings.Contains(res.Response.ExtraResponses[0].Attachments[0].Text, "First call went well") {
		t.Errorf("notes elsewhere: %+v", res.Response)
	}
	if n := len(e.posts(e.other.ID)); n != 0 {
		t.Errorf("%d posts in ~sales", n)
	}
	if got, _, _ := e.b.Store().Thread(ctx, e.contact.ID); got.RootID != th.RootID {
		t.Errorf("thread moved to %+v", got)
	}

	// --move needs an admin: refused, with the reason, for a member.
	res = e.slash(e.alice, e.other.ID, "/ghl notes --move "+e.contact.ID)
	if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "Only a channel admin, a system admin or a bridge admin") {
		t.Errorf("--move by a member: %+v", res.Response)
	}
	if got, _, _ := e.b.Store().Thread(ctx, e.contact.ID); got.RootID != th.RootID || len(e.posts(e.other.ID)) != 0 {
		t.Errorf("thread moved by a member: %+v", got)
	}
	// A channel admin moves it, and the events follow.
	e.mm.SetChannelAdmin(e.other.ID, e.bob.ID, true)
	e.slash(e.bob, e.other.ID, "/ghl notes --move "+e.contact.ID)
	moved, _, _ := e.b.Store().Thread(ctx, e.contact.ID)
	if moved.ChannelID != e.other.ID {
		t.Fatalf("thread after --move by an admin: %+v", moved)
	}
	e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "Second call"})
	e.settle()
	if n := len(e.mm.Thread(moved.RootID)); n != 3 {
		t.Errorf("moved thread has %d posts, want root + 2 notes", n)
	}

	// note add elsewhere does not start a thread there either.
	e2 := newEnv(t)
	res = e2.slash(e2.alice, e2.other.ID, "/ghl note add "+e2.contact.ID+" Private aside")
	if !strings.Contains(res.Response.Text, "will be posted where the contact's HighLevel events go") {
		t.Errorf("note add elsewhere: %q", res.Response.Text)
	}
	if _, ok, _ := e2.b.Store().Thread(ctx, e2.contact.ID); ok || len(e2.posts(e2.other.ID)) != 0 {
		t.Error("note add started a thread outside the contact's channels")
	}
	e2.settle()
	if got := e2.posts(e2.channel.ID); len(got) != 1 || !strings.Contains(postText(got[0]), "Private aside") {
		t.Errorf("the note's webhook was not posted in the default channel: %d posts", len(got))
	}
}

func TestRoutingNeedsAnAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	carol := e.mm.AddUser("carol")
	dave := e.mm.AddUser("dave")
	e.mm.SetSystemAdmin(dave.ID, true)
	e.stop()
	e.cfg.Admins = []string{"carol"} // by username
	e.start()
	e.run()

	for _, cmd := range []string{"subscribe", "unsubscribe"} {
		res := e.slash(e.alice, e.other.ID, "/ghl "+cmd+" "+e.contact.ID)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "Only a channel admin") {
			t.Errorf("%s by a member: %+v", cmd, res.Response)
		}
	}
	if subs, _ := e.b.Store().Subscribers(ctx, e.contact.ID); len(subs) != 0 {
		t.Fatalf("subscribed by a member: %v", subs)
	}
	for _, u := range []mattermosttest.User{carol, dave} {
		res := e.slash(u, e.other.ID, "/ghl subscribe "+e.contact.ID)
		if !strings.Contains(res.Response.Text, "now receives") {
			t.Errorf("subscribe by %s: %q", u.Username, res.Response.Text)
		}
		res = e.slash(u, e.other.ID, "/ghl unsubscribe "+e.contact.ID)
		if !strings.Contains(res.Response.Text, "no longer receives") {
			t.Errorf("unsubscribe by %s: %q", u.Username, res.Response.Text)
		}
	}
	// By user ID too, and the check asks Mattermost: method and path.
	e.stop()
	e.cfg.Admins = []string{e.bob.ID}
	e.start()
	e.run()
	if res := e.slash(e.bob, e.other.ID, "/ghl subscribe "+e.contact.ID); !strings.Contains(res.Response.Text, "now receives") {
		t.Errorf("subscribe by an admin listed by ID: %q", res.Response.Text)
	}
	var asked bool
	for _, r := range e.mm.Requests() {
		if r.Method == "GET" && r.Path == "/api/v4/channels/"+e.other.ID+"/members/"+e.alice.ID {
			asked = true
		}
	}
	if !asked {
		t.Error("the channel membership of the member was not asked")
	}
}

func TestSubscribeRefusedWhereTheBotCannotPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	private := e.mm.AddChannel("private", e.alice.ID)
	e.mm.SetChannelAdmin(private.ID, e.alice.ID, true)
	e.stop()
	e.cfg.Admins = []string{"alice"}
	e.start()
	e.run()
	res := e.slash(e.alice, private.ID, "/ghl subscribe "+e.contact.ID)
	if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "bot is not a member of this channel") {
		t.Errorf("subscribe where the bot is no member: %+v", res.Response)
	}
	if subs, _ := e.b.Store().Subscribers(context.Background(), e.contact.ID); len(subs) != 0 {
		t.Errorf("subscribed: %v", subs)
	}
	e.mm.AddMember(private.ID, e.bot.ID)
	if res := e.slash(e.alice, private.ID, "/ghl subscribe "+e.contact.ID); !strings.Contains(res.Response.Text, "now receives") {
		t.Errorf("subscribe once the bot is a member: %q", res.Response.Text)
	}
}

func TestBridgeChannelsLimitWhereItAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stop()
	e.cfg.Channels = []string{e.other.ID}
	e.start()
	e.run()
	third := e.mm.AddChannel("random")
	res := e.slash(e.alice, third.ID, "/ghl contact "+e.contact.ID)
	if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "does not answer in this channel") {
		t.Errorf("command outside BRIDGE_CHANNELS: %+v", res.Response)
	}
	for _, ch := range []string{e.other.ID, e.channel.ID} { // listed, and the default channel
		if res := e.slash(e.alice, ch, "/ghl contact "+e.contact.ID); strings.Contains(res.Response.Text, "does not answer") {
			t.Errorf("command in an allowed channel refused: %q", res.Response.Text)
		}
	}
}

// --- no replays (issue 13, point 3) ---

func TestDialogSubmissionReplayCreatesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.slash(e.bob, e.channel.ID, "/ghl task add "+e.contact.ID)
	d := e.mm.Dialogs()[0]
	sess := e.mm.As(e.bob.ID)
	ok, err := sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Invoice"})
	if err != nil || !ok.Closed {
		t.Fatalf("submission: %+v %v", ok, err)
	}
	// The same submission again, by the same user and by another.
	replay := *ok.Request
	for _, user := range []string{e.bob.ID, e.alice.ID} {
		replay.UserID = user
		r, err := mattermosttest.NewDialogRequest(context.Background(), e.srv.URL+PathDialog, &replay)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := testClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var got mattermost.DialogResponse
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		want := mattermost.RefusalText(mattermost.ErrAlreadyUsed)
		if user != e.bob.ID {
			want = mattermost.RefusalText(mattermost.ErrWrongUser)
		}
		if err != nil || resp.StatusCode != http.StatusOK || got.Error != want {
			t.Errorf("replay as %s: %d %+v %v, want error %q", user, resp.StatusCode, got, err, want)
		}
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 1 {
		t.Errorf("%d tasks, want 1", n)
	}
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d confirmations, want 1", n)
	}
}

func TestButtonFromAnotherChannelRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	task := e.hl.AddTask(ghlTask(e, "Call back"))
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	list := e.posts(e.channel.ID)[0]
	ctx := buttonContext(t, e, list.ID, task.ID)
	resp := replayAction(t, e, &mattermost.ActionRequest{UserID: e.bob.ID, UserName: "bob", ChannelID: e.other.ID, PostID: mattermosttest.NewID(), Type: "button", Context: ctx})
	if resp.EphemeralText != mattermost.RefusalText(mattermost.ErrWrongChannel) || resp.Update != nil {
		t.Errorf("click from another channel: %+v", resp)
	}
	if e.hl.Tasks(e.contact.ID)[0].Completed {
		t.Fatal("the task was completed from another channel")
	}
	// In its channel, the user recorded is the one Mattermost names for
	// the user_id, not the request's user_name.
	resp = replayAction(t, e, &mattermost.ActionRequest{UserID: e.bob.ID, UserName: "mallory", ChannelID: e.channel.ID, PostID: list.ID, Type: "button", Context: ctx})
	if resp.Update == nil || !strings.Contains(resp.Update.Message, "@bob") || strings.Contains(resp.Update.Message, "mallory") {
		t.Errorf("click: %+v", resp)
	}
	if c, ok, _ := e.b.Store().Completion(context.Background(), task.ID); !ok || c.UserID != e.bob.ID || c.UserName != "bob" {
		t.Errorf("completion recorded: %+v", c)
	}
	// A user Mattermost does not know is refused.
	task2 := e.hl.AddTask(ghlTask(e, "Second"))
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	posts := e.posts(e.channel.ID)
	ctx2 := buttonContext(t, e, posts[len(posts)-1].ID, task2.ID)
	resp = replayAction(t, e, &mattermost.ActionRequest{UserID: mattermosttest.NewID(), UserName: "ghost", ChannelID: e.channel.ID, Type: "button", Context: ctx2})
	if !strings.Contains(resp.EphemeralText, "does not know the user") {
		t.Errorf("unknown user: %+v", resp)
	}
}

// --- destinations checked and isolated (issue 13, point 2) ---

func TestRefusingDestinationHoldsNothingBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	private := e.mm.AddChannel("private", e.alice.ID, e.bot.ID)
	e.stop()
	e.cfg.Admins = []string{"alice"}
	e.start()
	e.run()
	for _, ch := range []string{private.ID, e.other.ID} {
		if res := e.slash(e.alice, ch, "/ghl subscribe "+e.contact.ID); !strings.Contains(res.Response.Text, "now receives") {
			t.Fatalf("subscribe: %q", res.Response.Text)
		}
	}
	e.mm.RemoveMember(private.ID, e.bot.ID) // Mattermost now answers 403 there
	c := e.contact
	base := len(e.posts(e.other.ID))
	for i, tag := range []string{"a", "b", "c"} {
		c.Tags = []string{tag}
		e.hl.UpdateContact(c)
		e.settle() // the outbox empties: nothing waits behind the 403s
		if n := len(e.posts(e.other.ID)) - base; n != i+1 {
			t.Fatalf("after event %d: %d posts in ~sales", i+1, n)
		}
	}
	sus, err := e.b.Suspensions(ctx)
	if err != nil || len(sus) != 1 || sus[0].ChannelID != private.ID || sus[0].Failures != suspendAfter || !strings.Contains(sus[0].Reason, "Forbidden") {
		t.Fatalf("suspensions = %+v, %v", sus, err)
	}
	if !strings.Contains(e.logs.String(), "destination suspended") {
		t.Error("the suspension was not logged")
	}
	if st, _ := e.b.Store().OutboxStats(ctx); st.Dead != 0 {
		t.Errorf("%d dead events", st.Dead)
	}
	// Suspended, and the other subscription gone: the default channel
	// gets the contact's events, and the private channel is not tried.
	e.mm.SetChannelAdmin(e.other.ID, e.alice.ID, true)
	e.slash(e.alice, e.other.ID, "/ghl unsubscribe "+e.contact.ID)
	tries := countMMPosts(e)
	c.Tags = []string{"d"}
	e.hl.UpdateContact(c)
	e.settle()
	if got := e.posts(e.channel.ID); len(got) != 1 || !strings.Contains(postText(got[0]), "Tags changed") {
		for _, p := range got {
			t.Log(postText(p))
		}
		t.Errorf("default channel: %d posts", len(got))
	}
	if n := countMMPosts(e) - tries; n != 1 {
		t.Errorf("%d post attempts for one event, want 1 (the suspended channel is not tried)", n)
	}
	// A subscribe there, once the bot is back, resumes it.
	e.mm.AddMember(private.ID, e.bot.ID)
	e.slash(e.alice, private.ID, "/ghl subscribe "+e.contact.ID)
	if sus, _ := e.b.Suspensions(ctx); len(sus) != 0 {
		t.Errorf("still suspended: %+v", sus)
	}
}

func TestOnlyDestinationRefusingFallsBackToDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	private := e.mm.AddChannel("private", e.alice.ID, e.bot.ID)
	e.mm.SetChannelAdmin(private.ID, e.alice.ID, true)
	e.slash(e.alice, private.ID, "/ghl subscribe "+e.contact.ID)
	e.mm.RemoveMember(private.ID, e.bot.ID)
	e.hl.AddTask(ghlTask(e, "Call back"))
	e.settle()
	got := e.posts(e.channel.ID)
	if len(got) != 1 || !strings.Contains(postText(got[0]), "Call back") {
		t.Fatalf("default channel: %d posts", len(got))
	}
	// Its button is bound to the channel it was posted in.
	if text := postText(got[0]); !strings.Contains(text, "[Complete]") {
		t.Errorf("fallback post has no button:\n%s", text)
	}
}

func countMMPosts(e *env) int {
	n := 0
	for _, r := range e.mm.Requests() {
		if r.Method == "POST" && r.Path == "/api/v4/posts" {
			n++
		}
	}
	return n
}

// --- HighLevel's state wins (issue 13, point 4) ---

func TestReopenedTaskCanBeCompletedAgainAndIsPosted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	task := e.hl.AddTask(ghlTask(e, "Call back"))
	e.settle()
	before := len(e.posts(e.channel.ID)) // the TaskCreate event
	res := e.slash(e.alice, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if res.Response.ResponseType != mattermost.ResponseInChannel {
		t.Fatalf("task done: %+v", res.Response)
	}
	e.settle()
	if n := len(e.posts(e.channel.ID)) - before; n != 1 {
		t.Fatalf("%d posts after completing from chat, want 1 (the answer; its webhook is no echo)", n)
	}

	// Reopened in HighLevel, then completed there again, within the day:
	// that genuine completion is posted.
	gc, _ := e.clients()
	ts := tasks.New(gc)
	if _, err := ts.SetCompleted(ctx, e.contact.ID, task.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.SetCompleted(ctx, e.contact.ID, task.ID, true); err != nil {
		t.Fatal(err)
	}
	e.settle()
	got := e.posts(e.channel.ID)
	if n := len(got) - before; n != 2 || !strings.Contains(postText(got[len(got)-1]), "in HighLevel") {
		t.Fatalf("%d posts after a completion in HighLevel, want 2", n)
	}
	if c, ok, _ := e.b.Store().Completion(ctx, task.ID); !ok || c.UserName != "" {
		t.Errorf("completion after HighLevel's: %+v, want HighLevel's", c)
	}

	// Reopened in HighLevel again: chat may complete it again.
	if _, err := ts.SetCompleted(ctx, e.contact.ID, task.ID, false); err != nil {
		t.Fatal(err)
	}
	res = e.slash(e.bob, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if strings.Contains(res.Response.Text, "already complete") || !e.hl.Tasks(e.contact.ID)[0].Completed {
		t.Fatalf("completing a reopened task: %+v", res.Response)
	}
	if c, ok, _ := e.b.Store().Completion(ctx, task.ID); !ok || c.UserName != "bob" {
		t.Errorf("completion recorded: %+v", c)
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID+"/completed"); n != 5 {
		t.Errorf("%d completion writes, want 5 (2 by the bridge, 3 by the test)", n)
	}
}

// --- webhooks tied to the location (issue 13, point 5) ---

func TestWebhookWithoutOrWithAnotherLocationIsNotPosted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.srv.URL + PathWebhook
	now := time.Now().UTC().Format(time.RFC3339)
	for i, loc := range []string{`"locationId":"",`, ``, `"locationId":"elsewhere",`} {
		id := fmt.Sprintf("nl%d", i)
		body := fmt.Appendf(nil, `{"type":"TaskCreate",%s"id":"task%s","contactId":%q,"title":"Forged %s","timestamp":%q,"webhookId":%q}`, loc, id, e.contact.ID, id, now, id)
		if got := postWebhook(t, e, signedWebhook(t, url, body)); got != http.StatusOK {
			t.Errorf("webhook %s: %d, want 200 (answered, so HighLevel stops)", loc, got)
		}
	}
	// A good one, so that settle has something to wait for.
	if got := postWebhook(t, e, signedWebhook(t, url, webhookBody("good", e.contact.ID, time.Now()))); got != http.StatusOK {
		t.Fatalf("good webhook: %d", got)
	}
	e.settle()
	posts := e.posts(e.channel.ID)
	if len(posts) != 1 || !strings.Contains(postText(posts[0]), "Task good") {
		for _, p := range posts {
			t.Log(postText(p))
		}
		t.Fatalf("%d posts, want only the good webhook's", len(posts))
	}
	if got, want := e.b.IgnoredWebhooks(), (IgnoredWebhooks{NoLocation: 2, OtherLocation: 1}); got != want {
		t.Errorf("IgnoredWebhooks = %+v, want %+v", got, want)
	}
}
