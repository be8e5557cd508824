package bridge

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

func TestHighLevelRateLimitedAndFailing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", DueDate: time.Now().Add(time.Hour)})
	e.settle()
	before := len(e.posts(e.channel.ID))

	// Two 429s, then success: the client's retries absorb them.
	e.hl.Fail(ghltest.Fault{Method: "GET", Path: "/contacts/*/tasks", Status: http.StatusTooManyRequests, Count: 2})
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	if n := len(e.posts(e.channel.ID)); n != before+1 {
		t.Fatalf("tasks after two 429s: %d new posts", n-before)
	}
	if n := countRequests(e.hl, "GET", "/contacts/"+e.contact.ID+"/tasks"); n != 3 {
		t.Errorf("%d task list requests, want 3", n)
	}

	// Failures that outlast the retries: a clear ephemeral error.
	for status, want := range map[int]string{
		http.StatusTooManyRequests:     "Listing the tasks failed: HighLevel's rate limit is reached. Try again in a minute.",
		http.StatusInternalServerError: "Listing the tasks failed: HighLevel is having trouble (500). Try again in a minute.",
		http.StatusBadGateway:          "Listing the tasks failed: HighLevel is having trouble (502). Try again in a minute.",
	} {
		e.hl.ClearFaults()
		e.hl.Fail(ghltest.Fault{Method: "GET", Path: "/contacts/*/tasks", Status: status})
		res := e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || res.Response.Text != want {
			t.Errorf("%d: %q, want %q", status, res.Response.Text, want)
		}
	}
	e.hl.ClearFaults()
	if n := len(e.posts(e.channel.ID)); n != before+1 {
		t.Errorf("failed commands posted %d posts", n-before-1)
	}
	if h := health(t, e); h.HighLevel.OK || h.HighLevel.ConsecutiveFailures != 1 || !strings.Contains(h.HighLevel.LastError, "/tasks: ") {
		t.Errorf("health: %+v", h.HighLevel)
	}
	e.slash(e.alice, e.channel.ID, "/ghl contact "+e.contact.ID)
	if h := health(t, e); !h.HighLevel.OK {
		t.Errorf("health after a success: %+v", h.HighLevel)
	}

	// A completion that fails leaves nothing half done: no record, the
	// button still works afterwards.
	task := e.hl.Tasks(e.contact.ID)[0]
	e.hl.Fail(ghltest.Fault{Method: "PUT", Path: "/contacts/*/tasks/*/completed", Status: http.StatusServiceUnavailable})
	res := e.slash(e.alice, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if !strings.Contains(res.Response.Text, "Completing the task failed: HighLevel is having trouble (503)") {
		t.Errorf("task done with HighLevel down: %q", res.Response.Text)
	}
	if _, ok, _ := e.b.Store().Completion(context.Background(), task.ID); ok {
		t.Error("a failed completion was recorded")
	}
	if own, _ := e.b.Store().IsOwn(context.Background(), ownKey("TaskComplete", task.ID)); own {
		t.Error("a failed completion left its own-change mark")
	}
	e.hl.ClearFaults()
	res = e.slash(e.alice, e.channel.ID, "/ghl task done "+e.contact.ID+" "+task.ID)
	if !strings.Contains(res.Response.Text, "Completed by @alice") {
		t.Errorf("task done after recovery: %q", res.Response.Text)
	}
}

// TestCreateOutcomeUnknown: HighLevel stores the task but the answer is
// lost. The bridge finds the task instead of creating a second one, and
// does not announce its webhook.
func TestCreateOutcomeUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.hl.Fail(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", AfterWrite: true, Count: 1})
	res := e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" Sign the contract --due 2030-02-01")
	ts := e.hl.Tasks(e.contact.ID)
	if len(ts) != 1 {
		t.Fatalf("%d tasks in HighLevel, want exactly 1", len(ts))
	}
	if n := countRequests(e.hl, "POST", "/contacts/"+e.contact.ID+"/tasks"); n != 1 {
		t.Errorf("%d create requests, want 1 (never repeated)", n)
	}
	// The confirmation is the bot's post, so that an edit can redraw it.
	if posts := e.posts(e.channel.ID); len(posts) != 1 || posts[0].UserID != e.bot.ID || !strings.Contains(posts[0].Message, "not created twice") || !strings.Contains(postText(posts[0]), ts[0].ID) {
		t.Errorf("answer: %+v, posts: %+v", res.Response, posts)
	}
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d posts, want 1 (no echo)", n)
	}

	// The answer lost without the write: the user is told, nothing exists.
	e.hl.Fail(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", Drop: true, Count: 1})
	res = e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" Lost --due 2030-02-01")
	if !strings.HasPrefix(res.Response.Text, "Creating the task failed:") || res.Response.ResponseType != mattermost.ResponseEphemeral {
		t.Errorf("dropped create: %+v", res.Response)
	}
	// A 500 on create: never repeated, the user is told.
	e.hl.Fail(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", Status: http.StatusInternalServerError, Count: 1})
	res = e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" Five hundred --due 2030-02-01")
	if res.Response.Text != "Creating the task failed: HighLevel is having trouble (500). Try again in a minute." {
		t.Errorf("500 on create: %q", res.Response.Text)
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 1 {
		t.Errorf("%d tasks, want 1", n)
	}

	// The same for notes.
	e.hl.Fail(ghltest.Fault{Method: "POST", Path: "/contacts/*/notes", AfterWrite: true, Count: 1})
	res = e.slash(e.alice, e.channel.ID, "/ghl note add "+e.contact.ID+" Once only")
	if ns := e.hl.Notes(e.contact.ID); len(ns) != 1 || !strings.Contains(res.Response.Text, "not added twice") {
		t.Errorf("note after a lost answer: %d notes, %q", len(ns), res.Response.Text)
	}
	e.settle()
	if th, ok, _ := e.b.Store().Thread(context.Background(), e.contact.ID); !ok || len(e.mm.Thread(th.RootID)) != 2 {
		t.Errorf("thread after the note: %+v", th)
	}
}

// TestReadOnlyStart: with a token that cannot write, write commands
// answer ReadOnlyMessage and are not retried; reads keep working; after a
// while a write is tried again, in case an admin granted the scope.
func TestReadOnlyStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	// A token known to lack contacts.write: refused before sending.
	tok := (&oauth2.Token{AccessToken: testToken, TokenType: "Bearer"}).WithExtra(map[string]any{"scope": "contacts.readonly"})
	gc, err := ghl.NewClient(ghl.WithTokenSource(oauth2.StaticTokenSource(tok)), ghl.WithBaseURL(e.hl.URL), ghl.WithLocationID(testLocation), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	e.start(WithGHLClient(gc))
	res := e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" Nope")
	if res.Response.Text != ReadOnlyMessage {
		t.Errorf("scope error: %q", res.Response.Text)
	}

	// A token HighLevel itself refuses for writes (a Private Integration
	// Token does not list its scopes).
	e.hl.AddToken("readonly", testLocation, ghltest.ScopeContactsReadOnly)
	e.stop()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	gc, _ = ghl.NewClient(ghl.WithToken("readonly"), ghl.WithBaseURL(e.hl.URL), ghl.WithLocationID(testLocation), ghl.WithoutRateLimit(),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	e.start(WithGHLClient(gc), WithClock(clock))
	e.hl.ResetRequests()
	writes := func() int {
		n := 0
		for _, r := range e.hl.Requests() {
			if r.Method != http.MethodGet {
				n++
			}
		}
		return n
	}
	for _, line := range []string{"/ghl note add " + e.contact.ID + " Nope", "/ghl task add " + e.contact.ID + " Nope too", "/ghl task done " + e.contact.ID + " t1", "/ghl tag add " + e.contact.ID + " vip2", "/ghl note delete " + e.contact.ID + " n1"} {
		if res := e.slash(e.alice, e.channel.ID, line); res.Response.Text != ReadOnlyMessage {
			t.Errorf("%s: %q", line, res.Response.Text)
		}
	}
	if n := writes(); n != 1 {
		t.Errorf("%d writes reached HighLevel, want the first only (no retry, no later attempt)", n)
	}
	if res := e.slash(e.alice, e.channel.ID, "/ghl contact "+e.contact.ID); strings.Contains(res.Response.Text, "read-only") || len(e.posts(e.channel.ID))+len(res.Response.Attachments) == 0 {
		t.Errorf("a read in read-only mode: %+v", res.Response)
	}
	if len(e.hl.Tasks(e.contact.ID))+len(e.hl.Notes(e.contact.ID)) != 0 {
		t.Error("something was written")
	}
	if !strings.Contains(e.logs.String(), "write commands are answered as read-only") {
		t.Error("the switch to read-only was not logged")
	}
	if ready := e.b.accessMode(context.Background()); ready != accessReadOnly {
		t.Errorf("access mode %v", ready)
	}
	// The admin grants the scope; after readOnlyFor the bridge tries again.
	e.hl.AddToken("readonly", testLocation, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	mu.Lock()
	now = now.Add(readOnlyFor)
	mu.Unlock()
	if res := e.slash(e.alice, e.channel.ID, "/ghl note add "+e.contact.ID+" Granted"); res.Response.Text == ReadOnlyMessage || len(e.hl.Notes(e.contact.ID)) != 1 {
		t.Errorf("after the grant: %q, %d notes", res.Response.Text, len(e.hl.Notes(e.contact.ID)))
	}
}

func TestMattermostFailsDuringCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "one"})
	e.settle()
	e.mm.Fail(mattermosttest.Fault{Method: "POST", Path: "/api/v4/posts", Status: http.StatusForbidden, Count: -1})
	res := e.slash(e.alice, e.channel.ID, "/ghl notes "+e.contact.ID)
	if res.Response.Text != "Starting the notes thread failed: the bridge's bot may not post here; add it to this channel." {
		t.Errorf("notes with the bot locked out: %q", res.Response.Text)
	}
	if _, ok, _ := e.b.Store().Thread(context.Background(), e.contact.ID); ok {
		t.Error("a thread was recorded")
	}
	e.mm.ClearFaults()
	e.slash(e.alice, e.channel.ID, "/ghl notes "+e.contact.ID)
	if th, ok, _ := e.b.Store().Thread(context.Background(), e.contact.ID); !ok || len(e.mm.Thread(th.RootID)) != 2 {
		t.Errorf("notes after recovery: %+v", th)
	}
}

func TestButtonForgedAndExpired(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Now()}
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.start(WithClock(clock.now))
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", DueDate: time.Now().Add(time.Hour)})
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	list := e.posts(e.channel.ID)[0]
	ctx := buttonContext(t, e, list.ID, task.ID)
	ar := &mattermost.ActionRequest{UserID: e.alice.ID, UserName: "alice", ChannelID: e.channel.ID, PostID: list.ID, Type: "button"}

	tok := ctx[mattermost.ContextKey].(string)
	for name, forged := range map[string]map[string]any{
		"missing":    {},
		"altered":    {mattermost.ContextKey: tamperMAC(t, tok)},
		"re-spelled": {mattermost.ContextKey: respelled(t, tok)},
		"other key":  {mattermost.ContextKey: otherSignerToken(t)},
		"extra":      {"task_id": "other", "contact_id": e.contact.ID},
	} {
		ar.Context = forged
		if status, _ := sendAction(t, e, ar); status != http.StatusForbidden {
			t.Errorf("%s context: %d, want 403", name, status)
		}
	}

	clock.add(8 * 24 * time.Hour) // past the button's 7 days
	ar.Context = ctx
	resp := replayAction(t, e, ar)
	if resp.EphemeralText != mattermost.ExpiredActionText || resp.Update != nil {
		t.Errorf("expired click: %+v", resp)
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID+"/completed"); n != 0 {
		t.Errorf("%d completion writes, want 0", n)
	}
}

func TestConcurrentClicksWriteOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", DueDate: time.Now().Add(time.Hour)})
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	list := e.posts(e.channel.ID)[0]
	ar := &mattermost.ActionRequest{ChannelID: e.channel.ID, PostID: list.ID, Type: "button", Context: buttonContext(t, e, list.ID, task.ID)}
	// Ten users click at once.
	var wg sync.WaitGroup
	results := make([]*mattermost.ActionResponse, 10)
	for i := range results {
		r := *ar
		u := e.mm.AddUser("user" + string(rune('a'+i)))
		r.UserID, r.UserName = u.ID, u.Username
		wg.Go(func() { results[i] = replayAction(t, e, &r) })
	}
	wg.Wait()
	first := 0
	for _, r := range results {
		if !strings.Contains(r.EphemeralText, "already complete") {
			first++
		}
	}
	if first != 1 {
		t.Errorf("%d clicks completed the task, want 1", first)
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID+"/completed"); n != 1 {
		t.Errorf("%d completion writes, want 1", n)
	}
}

// buttonContext returns the stored integration context of a task's
// Complete button on a post.
func buttonContext(t *testing.T, e *env, postID, taskID string) map[string]any {
	t.Helper()
	stored, _ := e.mm.Post(postID)
	for _, a := range stored.Props.Attachments {
		for _, act := range a.Actions {
			if act.ID == "complete"+taskID && act.Integration != nil {
				return act.Integration.Context
			}
		}
	}
	t.Fatalf("post %s has no button for task %s", postID, taskID)
	return nil
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func otherSignerToken(t *testing.T) string {
	s, err := mattermost.NewSigner([]byte(strings.Repeat("x", 40)))
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.Integration("http://example.com", actionComplete, map[string]string{"task_id": "x", "contact_id": "y", "view": viewTask}, mattermost.Binding{})
	if err != nil {
		t.Fatal(err)
	}
	return in.Context[mattermost.ContextKey].(string)
}

// tamperMAC returns a signed token with one bit of its decoded MAC flipped
// and re-encoded: always another MAC. (Replacing characters of the text
// could, by chance, spell the same MAC and make the test fail at random.)
func tamperMAC(t testing.TB, tok string) string {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sum, err := base64.RawURLEncoding.Strict().DecodeString(tok[i+1:])
	if err != nil || i < 0 {
		t.Fatalf("%q has no MAC: %v", tok, err)
	}
	sum[len(sum)/2] ^= 0x01
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sum)
}

// respelled returns a signed token whose MAC's last character differs only
// in the bits no byte uses: the same MAC bytes under another spelling, which
// the signer must refuse (one token, one spelling).
func respelled(t testing.TB, tok string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	other := tok[:len(tok)-1] + string(alphabet[last^1])
	i := strings.LastIndexByte(tok, '.')
	a, errA := base64.RawURLEncoding.DecodeString(tok[i+1:])
	b, errB := base64.RawURLEncoding.DecodeString(other[i+1:])
	if last < 0 || errA != nil || errB != nil || string(a) != string(b) {
		t.Fatalf("%q is not another spelling of %q", other, tok)
	}
	return other
}
