package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

func TestEventsGoToTheDefaultChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call @all back", DueDate: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)})
	e.settle()
	posts := e.posts(e.channel.ID)
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	text := postText(posts[0])
	for _, want := range []string{"New task in HighLevel for", "Ada Lovelace", task.ID, "[Complete]"} {
		if !strings.Contains(text, want) {
			t.Errorf("TaskCreate post lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "@all") {
		t.Errorf("a task title mentions everyone:\n%s", text)
	}

	// Its button completes the task.
	click, err := e.mm.As(e.alice.ID).ClickButton(context.Background(), posts[0].ID, "complete"+task.ID)
	if err != nil || click.Status != http.StatusOK {
		t.Fatalf("click: %v %+v", err, click)
	}
	if !e.hl.Tasks(e.contact.ID)[0].Completed {
		t.Error("task not completed")
	}
	p, _ := e.mm.Post(posts[0].ID)
	if !strings.Contains(p.Message, "Completed by @alice") || strings.Contains(postText(p), "[Complete]") || !strings.Contains(postText(p), "[Edit]") {
		t.Errorf("post after the click: %s", postText(p))
	}
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d posts after the TaskComplete webhook, want 1 (no echo)", n)
	}
}

func TestEventsGoToTheThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mm.SetChannelAdmin(e.other.ID, e.alice.ID, true)
	e.slash(e.alice, e.other.ID, "/ghl notes --move "+e.contact.ID) // starts the thread in ~sales
	posts := e.posts(e.other.ID)
	if len(posts) != 1 {
		t.Fatalf("%d posts", len(posts))
	}
	root := posts[0].ID

	note := e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "From HighLevel"})
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "From HighLevel too", DueDate: time.Now().Add(time.Hour)})
	e.settle()
	thread := e.mm.Thread(root)
	if len(thread) != 3 {
		t.Fatalf("thread has %d posts, want root + note + task", len(thread))
	}
	if !strings.Contains(postText(thread[1]), note.ID) || !strings.Contains(postText(thread[2]), task.ID) {
		t.Errorf("thread:\n%s\n---\n%s", postText(thread[1]), postText(thread[2]))
	}
	if n := len(e.posts(e.channel.ID)); n != 0 {
		t.Errorf("%d posts in the default channel, want 0", n)
	}
	// The note arrived by webhook: notes knows it is in the thread.
	res := e.slash(e.alice, e.other.ID, "/ghl notes "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "up to date") {
		t.Errorf("notes after a NoteCreate: %q", res.Response.Text)
	}

	// A note edited in HighLevel and a task completed there.
	updateNote(t, e, note.ID, "From HighLevel, edited")
	completeInHighLevel(t, e, task.ID)
	e.settle()
	thread = e.mm.Thread(root)
	if len(thread) != 5 {
		t.Fatalf("thread has %d posts, want 5", len(thread))
	}
	if text := postText(thread[3]); !strings.Contains(text, "Note updated in HighLevel") || !strings.Contains(text, "edited") {
		t.Errorf("NoteUpdate post:\n%s", text)
	}
	if text := postText(thread[4]); !strings.Contains(text, "Completed") || !strings.Contains(text, "in HighLevel") {
		t.Errorf("TaskComplete post:\n%s", text)
	}

	// The task's button, clicked now, writes nothing.
	click, err := e.mm.As(e.bob.ID).ClickButton(context.Background(), thread[2].ID, "complete"+task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(click.Response.EphemeralText, "already complete (in HighLevel)") {
		t.Errorf("click on a task completed in HighLevel: %+v", click.Response)
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID+"/completed"); n != 1 {
		t.Errorf("%d completion requests, want 1 (HighLevel's own)", n)
	}
}

func TestContactEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.hl.AddContact(ghltest.Contact{LocationID: testLocation, FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com"})
	e.settle()
	c.CompanyName = "Navy"
	e.hl.UpdateContact(c)
	e.settle()
	var texts []string
	for _, p := range e.posts(e.channel.ID) {
		texts = append(texts, postText(p))
	}
	all := strings.Join(texts, "\n---\n")
	for _, want := range []string{"New contact in HighLevel: [Grace Hopper]", "Contact updated in HighLevel: [Grace Hopper]", "Navy"} {
		if !strings.Contains(all, want) {
			t.Errorf("contact events lack %q:\n%s", want, all)
		}
	}
	// A task event of that contact now names it (from the event's name).
	e.hl.AddTask(ghltest.Task{ContactID: c.ID, Title: "Welcome call", DueDate: time.Now().Add(time.Hour)})
	e.settle()
	last := e.posts(e.channel.ID)
	if text := postText(last[len(last)-1]); !strings.Contains(text, "New task in HighLevel for [Grace Hopper]") {
		t.Errorf("task event:\n%s", text)
	}
}

// webhookBody is a HighLevel TaskCreate payload.
func webhookBody(id, contactID string, ts time.Time) []byte {
	return fmt.Appendf(nil, `{"type":"TaskCreate","locationId":%q,"id":"task%s","contactId":%q,"title":"Task %s","dueDate":"2030-01-01T09:00:00.000Z","timestamp":%q,"webhookId":%q}`,
		testLocation, id, contactID, id, ts.UTC().Format(time.RFC3339), id)
}

func postWebhook(t *testing.T, e *env, req *http.Request) int {
	t.Helper()
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWebhookSecurity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.srv.URL + PathWebhook
	now := time.Now()

	body := webhookBody("w1", e.contact.ID, now)
	if got := postWebhook(t, e, signedWebhook(t, url, body)); got != http.StatusOK {
		t.Fatalf("valid webhook: %d", got)
	}
	if got := postWebhook(t, e, signedWebhook(t, url, body)); got != http.StatusOK {
		t.Errorf("duplicate webhook: %d, want 200 (acknowledged)", got)
	}

	altered := webhookBody("w2", e.contact.ID, now)
	altered[len(altered)-3] = '3' // webhookId w2 → w3 after signing
	req := signedWebhook(t, url, webhookBody("w2", e.contact.ID, now))
	req2, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(altered)))
	req2.Header = req.Header.Clone()
	if got := postWebhook(t, e, req2); got != http.StatusUnauthorized {
		t.Errorf("altered body: %d, want 401", got)
	}
	unsigned, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(webhookBody("w4", e.contact.ID, now))))
	if got := postWebhook(t, e, unsigned); got != http.StatusUnauthorized {
		t.Errorf("unsigned: %d, want 401", got)
	}
	if got := postWebhook(t, e, signedWebhook(t, url, webhookBody("w5", e.contact.ID, now.Add(-10*time.Minute)))); got != http.StatusBadRequest {
		t.Errorf("stale: %d, want 400", got)
	}
	if got := postWebhook(t, e, signedWebhook(t, url, []byte(`{"type":"TaskCreate"`))); got != http.StatusBadRequest {
		t.Errorf("malformed: %d, want 400", got)
	}
	other := fmt.Appendf(nil, `{"type":"TaskCreate","locationId":"elsewhere","id":"taskw6","contactId":%q,"title":"Elsewhere","timestamp":%q,"webhookId":"w6"}`, e.contact.ID, now.UTC().Format(time.RFC3339))
	if got := postWebhook(t, e, signedWebhook(t, url, other)); got != http.StatusOK {
		t.Errorf("other location: %d, want 200 (ignored)", got)
	}
	resp, err := testClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET webhook: %d", resp.StatusCode)
	}

	e.settle()
	posts := e.posts(e.channel.ID)
	if len(posts) != 1 || !strings.Contains(postText(posts[0]), "Task w1") {
		var texts []string
		for _, p := range posts {
			texts = append(texts, postText(p))
		}
		t.Fatalf("posts: %d, want only w1's:\n%s", len(posts), strings.Join(texts, "\n---\n"))
	}

	// ghltest's own faults: a bad signature, a stale timestamp and a
	// duplicate delivery.
	e.hl.FailWebhooks(ghltest.WebhookFault{BadSignature: true, Count: 1})
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Bad signature", DueDate: now})
	e.hl.FailWebhooks(ghltest.WebhookFault{Stale: time.Hour, Count: 1})
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Stale", DueDate: now})
	e.hl.FailWebhooks(ghltest.WebhookFault{Duplicate: true, Count: 1})
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Twice", DueDate: now})
	e.settle()
	statuses := map[string][]int{}
	for _, d := range e.hl.WebhookDeliveries() {
		var p struct{ Title string }
		_ = json.Unmarshal(d.Body, &p)
		statuses[p.Title] = append(statuses[p.Title], d.StatusCode)
	}
	if fmt.Sprint(statuses["Bad signature"]) != "[401]" || fmt.Sprint(statuses["Stale"]) != "[400]" || fmt.Sprint(statuses["Twice"]) != "[200 200]" {
		t.Errorf("delivery statuses: %v", statuses)
	}
	var titles []string
	for _, p := range e.posts(e.channel.ID) {
		for _, a := range p.Props.Attachments {
			titles = append(titles, a.Title)
		}
	}
	if got := strings.Join(titles, "|"); len(titles) != 2 || !strings.HasSuffix(titles[0], " Task w1") || !strings.HasSuffix(titles[1], " Twice") {
		t.Errorf("posted tasks: %s", got)
	}
}

// TestOutageAndRestart: webhooks are acknowledged while Mattermost is down,
// the bridge restarts with events waiting, and each is posted once.
func TestOutageAndRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mm.SetOutage(true)
	for i := range 3 {
		e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: fmt.Sprintf("During outage %d", i), DueDate: time.Now().Add(time.Hour)})
	}
	e.hl.FlushWebhooks()
	for _, d := range e.hl.WebhookDeliveries() {
		if d.StatusCode != http.StatusOK {
			t.Fatalf("webhook during the outage answered %d", d.StatusCode)
		}
	}
	e.waitFor("failed attempts", func() bool { return e.b.deliver.state().ConsecutiveFailures >= 3 })
	h := health(t, e)
	if h.Status != "degraded" || h.Mattermost.OK || h.Outbox.Pending != 3 || h.Outbox.Retrying == 0 || h.Mattermost.LastError == "" {
		t.Errorf("health during the outage: %+v %+v", h, *h.Outbox)
	}

	// Restart with the events waiting, while Mattermost is still down.
	e.stop()
	e.start()
	st, err := e.b.Store().OutboxStats(context.Background())
	if err != nil || st.Pending != 3 {
		t.Fatalf("after restart: %+v %v", st, err)
	}
	e.mm.SetOutage(false)
	e.run()
	e.settle()
	posts := e.posts(e.channel.ID)
	if len(posts) != 3 {
		t.Fatalf("%d posts after the outage, want 3", len(posts))
	}
	for i, p := range posts {
		if want := fmt.Sprintf("During outage %d", i); !strings.Contains(postText(p), want) {
			t.Errorf("post %d is not %q (order kept per contact):\n%s", i, want, postText(p))
		}
	}
	if h := health(t, e); h.Status != "ok" || !h.Mattermost.OK || h.Outbox.Pending != 0 {
		t.Errorf("health after the outage: %+v", h)
	}

	// A replay of an event delivered before the restart is refused by its
	// webhookId, which the state file remembers.
	d := e.hl.WebhookDeliveries()[0]
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+PathWebhook, strings.NewReader(string(d.Body)))
	req.Header = d.Header.Clone()
	if got := postWebhook(t, e, req); got != http.StatusOK {
		t.Errorf("replay after restart: %d", got)
	}
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 3 {
		t.Errorf("%d posts after a replay, want 3", n)
	}
}

// TestAtMostOncePerEvent: a post whose answer is lost is not posted again
// (the retry carries the same pending_post_id).
func TestAtMostOncePerEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mm.Fail(mattermosttestFault("POST", "/api/v4/posts", true))
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Once", DueDate: time.Now().Add(time.Hour)})
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}

// TestNoDuplicateAfterTheDedupeWindow: Mattermost forgets a pending_post_id
// after about 30 seconds. A post whose answer was lost, retried after a
// restart later than that, is found by its marker instead of made twice.
func TestNoDuplicateAfterTheDedupeWindow(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Now()}
	e := newEnv(t, withMattermost(mattermosttest.WithClock(clock.now)))
	loseAttempts(t, e, "Exactly once")
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Fatalf("%d posts made by the lost attempts, want 1", n)
	}

	clock.add(time.Hour) // far past Mattermost's deduplication window
	e.mm.ClearFaults()
	e.start()
	e.run()
	e.settle()
	posts := e.posts(e.channel.ID)
	if len(posts) != 1 || !strings.Contains(postText(posts[0]), "Exactly once") {
		t.Fatalf("%d posts after the retry, want the first one only", len(posts))
	}
	if !strings.Contains(e.logs.String(), "an earlier attempt had posted the event") {
		t.Errorf("the retry did not find the earlier post:\n%s", e.logs.String())
	}
}

// loseAttempts makes a task titled title whose event post Mattermost
// stores while every answer to it is lost, then stops the bridge with the
// event still to deliver. Until the restart the retries cannot look for the
// post either, so the event stays undelivered whatever the timing.
func loseAttempts(t *testing.T, e *env, title string) {
	t.Helper()
	e.mm.Fail(mattermosttest.Fault{Method: "POST", Path: "/api/v4/posts", AfterWrite: true, Count: -1})
	e.mm.Fail(mattermosttest.Fault{Method: "GET", Path: "/api/v4/channels/*", Status: http.StatusServiceUnavailable, Count: -1})
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: title, DueDate: time.Now().Add(time.Hour)})
	e.hl.FlushWebhooks()
	e.waitFor("a failed attempt recorded", func() bool {
		st, err := e.b.Store().OutboxStats(context.Background())
		return err == nil && st.Retrying > 0
	})
	e.stop()
}

// TestNoDuplicateBehindABusyChannel: Mattermost's "posts since" answer
// holds at most 1,000 changed posts, the ones it finds first. With more
// than that in the channel since the event arrived, the earlier attempt's
// post is not in it; the lookup pages on until it has seen every post
// since, finds the marker and does not post again.
func TestNoDuplicateBehindABusyChannel(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Now()}
	e := newEnv(t, withMattermost(mattermosttest.WithClock(clock.now)))
	// A busy channel: more changed posts than one "since" answer holds,
	// all made after the margin before the event and before its post.
	for i := range mattermost.MaxPostsSince + 1 {
		e.mm.AddPost(e.alice.ID, mattermost.Post{ChannelID: e.channel.ID, Message: "chatter " + strconv.Itoa(i)})
	}
	loseAttempts(t, e, "Exactly once")
	isEvent := func(p mattermost.Post) bool { return strings.Contains(postText(p), "Exactly once") }
	count := func() int {
		n := 0
		for _, p := range e.posts(e.channel.ID) {
			if isEvent(p) {
				n++
			}
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("%d event posts made by the lost attempts, want 1", n)
	}
	// The premise: one "since" answer does not hold the post.
	mc, err := mattermost.NewClient(e.mm.URL, e.botToken)
	if err != nil {
		t.Fatal(err)
	}
	e.mm.ClearFaults()
	list, err := mc.GetPostsSince(context.Background(), e.channel.ID, clock.now().Add(-time.Minute))
	if err != nil || len(list.Order) != mattermost.MaxPostsSince {
		t.Fatalf("since: %d posts, %v", len(list.Order), err)
	}
	for _, id := range list.Order {
		if isEvent(list.Posts[id]) {
			t.Fatal("the capped answer holds the event post; the test proves nothing")
		}
	}

	clock.add(time.Hour) // far past Mattermost's deduplication window
	e.start()
	e.run()
	e.settle()
	if n := count(); n != 1 {
		t.Fatalf("%d event posts after the retry, want the first one only", n)
	}
	if !strings.Contains(e.logs.String(), "an earlier attempt had posted the event") {
		t.Errorf("the retry did not find the earlier post")
	}
}

func TestDeadLetter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mm.Fail(mattermosttestStatus("POST", "/api/v4/posts", http.StatusBadRequest, -1))
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Rejected", DueDate: time.Now().Add(time.Hour)})
	e.hl.FlushWebhooks()
	e.waitFor("the dead letter", func() bool {
		st, err := e.b.Store().OutboxStats(context.Background())
		return err == nil && st.Dead == 1 && st.Pending == 0
	})
	dead, err := e.b.Store().(*BoltStore).DeadEvents(context.Background())
	if err != nil || len(dead) != 1 || dead[0].Attempts != 5 || !strings.Contains(dead[0].LastError, "400") {
		t.Fatalf("dead events: %+v %v", dead, err)
	}
	if h := health(t, e); h.Status != "degraded" || h.Outbox.Dead != 1 {
		t.Errorf("health: %+v", h)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := health(t, e)
	if h.Status != "ok" || !h.Store.OK || !h.HighLevel.OK || !h.Mattermost.OK || h.Outbox == nil || h.Outbox.Pending != 0 {
		t.Errorf("health: %+v", h)
	}

	// HighLevel failing shows, without costing a request per probe.
	e.hl.Fail(ghltest.Fault{Method: "GET", Path: "/contacts/*", Status: http.StatusServiceUnavailable})
	e.slash(e.alice, e.channel.ID, "/ghl contact "+e.contact.ID)
	before := len(e.hl.Requests())
	h = health(t, e)
	if h.Status != "degraded" || h.HighLevel.OK || h.HighLevel.ConsecutiveFailures != 1 || !strings.Contains(h.HighLevel.LastError, "503") {
		t.Errorf("health with HighLevel down: %+v", h.HighLevel)
	}
	if got := getStatus(t, e.srv.URL+PathHealth, ""); got.code != http.StatusOK || got.body != `{"status":"degraded"}` {
		t.Errorf("/healthz: %+v", got)
	}
	if len(e.hl.Requests()) != before {
		t.Error("/healthz called HighLevel")
	}

	// An unusable store: still alive (200), "unavailable", and not ready.
	e.stop()
	e.mu.Lock()
	e.handler = e.b
	e.mu.Unlock()
	if got := getStatus(t, e.srv.URL+PathHealth, ""); got.code != http.StatusOK || got.body != `{"status":"unavailable"}` {
		t.Errorf("/healthz with a closed store: %+v", got)
	}
	if got := getStatus(t, e.srv.URL+PathReady, ""); got.code != http.StatusServiceUnavailable || got.body != `{"status":"not ready"}` {
		t.Errorf("/readyz with a closed store: %+v", got)
	}
	if h = health(t, e); h.Status != "unavailable" || h.Store.OK || h.Store.Error == "" {
		t.Errorf("health with a closed store: %+v", h)
	}
	// And a webhook is then refused (503), so HighLevel retries it later.
	if got := postWebhook(t, e, signedWebhook(t, e.srv.URL+PathWebhook, webhookBody("late", e.contact.ID, time.Now()))); got != http.StatusServiceUnavailable {
		t.Errorf("webhook with a closed store: %d, want 503", got)
	}
}

func health(t *testing.T, e *env) Health {
	t.Helper()
	return e.b.Health(context.Background())
}

func updateNote(t *testing.T, e *env, noteID, body string) {
	t.Helper()
	gc, _ := e.clients()
	if _, err := notes.New(gc).Update(context.Background(), e.contact.ID, noteID, notes.UpdateParams{Body: ghl.Set(body)}); err != nil {
		t.Fatal(err)
	}
}

func completeInHighLevel(t *testing.T, e *env, taskID string) {
	t.Helper()
	gc, _ := e.clients()
	if _, err := tasks.New(gc).SetCompleted(context.Background(), e.contact.ID, taskID, true); err != nil {
		t.Fatal(err)
	}
}

func mattermosttestFault(method, path string, afterWrite bool) mattermosttest.Fault {
	return mattermosttest.Fault{Method: method, Path: path, AfterWrite: afterWrite}
}

func mattermosttestStatus(method, path string, status, count int) mattermosttest.Fault {
	return mattermosttest.Fault{Method: method, Path: path, Status: status, Count: count}
}

// TestThreadGone: a thread whose first post no longer exists is replaced
// by `notes`, and events for it go to the channel instead of failing.
func TestThreadGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	gone := Thread{ChannelID: e.channel.ID, RootID: "deletedpost0000000000000000"[:26], Notes: map[string]string{}}
	if err := e.b.Store().SaveThread(ctx, e.contact.ID, gone); err != nil {
		t.Fatal(err)
	}
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Rerouted", DueDate: time.Now().Add(time.Hour)})
	e.settle()
	posts := e.posts(e.channel.ID)
	if len(posts) != 1 || posts[0].RootID != "" || !strings.Contains(postText(posts[0]), "Rerouted") {
		t.Fatalf("event for a gone thread: %d posts", len(posts))
	}
	e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "kept"})
	e.settle()
	if err := e.b.Store().SaveThread(ctx, e.contact.ID, gone); err != nil {
		t.Fatal(err)
	}
	res := e.slash(e.alice, e.channel.ID, "/ghl notes "+e.contact.ID)
	th, _, _ := e.b.Store().Thread(ctx, e.contact.ID)
	if !strings.Contains(res.Response.Text, "Posted 1 new note") || th.RootID == gone.RootID || len(e.mm.Thread(th.RootID)) != 2 {
		t.Errorf("notes with a gone thread: %q, thread %+v", res.Response.Text, th)
	}
}

// TestOrderKeptThroughRetries: the first of a contact's events fails, the
// later ones wait for it.
func TestOrderKeptThroughRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	e.mm.Fail(mattermosttestStatus("POST", "/api/v4/posts", http.StatusServiceUnavailable, 2)) // the first attempt, and its one retry
	url := e.srv.URL + PathWebhook
	for i := range 5 {
		if got := postWebhook(t, e, signedWebhook(t, url, webhookBody(fmt.Sprint("o", i), e.contact.ID, time.Now()))); got != http.StatusOK {
			t.Fatalf("webhook %d: %d", i, got)
		}
	}
	e.settle()
	posts := e.posts(e.channel.ID)
	if len(posts) != 5 {
		t.Fatalf("%d posts, want 5", len(posts))
	}
	for i, p := range posts {
		if want := fmt.Sprint("Task o", i); !strings.Contains(postText(p), want) {
			t.Errorf("post %d is not %q:\n%s", i, want, postText(p))
		}
	}
}
