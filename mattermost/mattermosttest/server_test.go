package mattermosttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

type fixture struct {
	srv     *mattermosttest.Server
	bot     mattermosttest.User
	token   string
	channel mattermosttest.Channel
}

func setup(t *testing.T, opts ...mattermosttest.Option) *fixture {
	t.Helper()
	srv := mattermosttest.NewServer(opts...)
	t.Cleanup(srv.Close)
	bot, tok := srv.AddBot("bot")
	return &fixture{srv: srv, bot: bot, token: tok, channel: srv.AddChannel("town-square")}
}

// do sends a raw API request as the bot.
func (f *fixture) do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestAuth(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, auth := range []string{"", "Bearer nope", "Basic " + f.token, "Bearer"} {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v4/users/me", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 401 || body["id"] != "api.context.session_expired.app_error" || body["status_code"] != 401.0 {
			t.Errorf("%q: %d %v", auth, resp.StatusCode, body)
		}
	}
	status, body := f.do(t, http.MethodGet, "/api/v4/users/me", "")
	if status != 200 || !bytes.Contains(body, []byte(f.bot.ID)) {
		t.Errorf("valid token: %d %s", status, body)
	}
	f.srv.RevokeToken(f.token)
	if status, _ := f.do(t, http.MethodGet, "/api/v4/users/me", ""); status != 401 {
		t.Errorf("revoked token: %d", status)
	}
}

func TestPostsThreadsAndPatch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, body := f.do(t, http.MethodPost, "/api/v4/posts", `{"channel_id":"`+f.channel.ID+`","message":"root","props":{"attachments":[{"actions":[{"name":"Go","integration":{"url":"http://x.example","context":{"k":"v"}}}]}],"extra":1}}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	var root mattermost.Post
	_ = json.Unmarshal(body, &root)
	// Integrations stay on the server; action IDs are generated.
	if a := root.Props.Attachments[0].Actions[0]; a.Integration != nil || len(a.ID) != 26 {
		t.Errorf("API post action %+v", a)
	}
	stored, _ := f.srv.Post(root.ID)
	if in := stored.Props.Attachments[0].Actions[0].Integration; in == nil || in.URL != "http://x.example" || in.Context["k"] != "v" {
		t.Errorf("stored integration %+v", in)
	}
	if root.UserID != f.bot.ID || root.CreateAt == 0 || string(root.Props.Other["extra"]) != "1" {
		t.Errorf("root %+v", root)
	}
	var replyIDs []string
	for _, m := range []string{"r1", "r2"} {
		status, body := f.do(t, http.MethodPost, "/api/v4/posts", `{"channel_id":"`+f.channel.ID+`","root_id":"`+root.ID+`","message":"`+m+`"}`)
		if status != 201 {
			t.Fatalf("reply: %d %s", status, body)
		}
		var p mattermost.Post
		_ = json.Unmarshal(body, &p)
		replyIDs = append(replyIDs, p.ID)
	}
	// A reply to a reply, an unknown root, a foreign channel: refused.
	other := f.srv.AddChannel("other")
	for _, b := range []string{
		`{"channel_id":"` + f.channel.ID + `","root_id":"` + replyIDs[0] + `","message":"x"}`,
		`{"channel_id":"` + f.channel.ID + `","root_id":"nope","message":"x"}`,
		`{"channel_id":"` + other.ID + `","root_id":"` + root.ID + `","message":"x"}`,
	} {
		if status, body := f.do(t, http.MethodPost, "/api/v4/posts", b); status != 400 || !bytes.Contains(body, []byte("root_id")) {
			t.Errorf("bad root: %d %s", status, body)
		}
	}
	status, body = f.do(t, http.MethodGet, "/api/v4/posts/"+replyIDs[1]+"/thread", "")
	var list mattermost.PostList
	_ = json.Unmarshal(body, &list)
	if status != 200 || strings.Join(list.Order, ",") != replyIDs[1]+","+replyIDs[0]+","+root.ID || len(list.Posts) != 3 {
		t.Errorf("thread %d %+v", status, list)
	}
	// Patch replaces props entirely and marks the edit.
	status, body = f.do(t, http.MethodPut, "/api/v4/posts/"+root.ID+"/patch", `{"message":"edited","props":{"new":true}}`)
	var patched mattermost.Post
	_ = json.Unmarshal(body, &patched)
	if status != 200 || patched.Message != "edited" || len(patched.Props.Attachments) != 0 || string(patched.Props.Other["new"]) != "true" || patched.EditAt == 0 {
		t.Errorf("patch %d %+v", status, patched)
	}
	// Only the author may patch.
	alice := f.srv.AddUser("alice")
	f.srv.AddToken(alice.ID, "alice-token")
	req, _ := http.NewRequest(http.MethodPut, f.srv.URL+"/api/v4/posts/"+root.ID+"/patch", strings.NewReader(`{"message":"mine"}`))
	req.Header.Set("Authorization", "Bearer alice-token")
	resp, _ := testClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("patch by another user: %d", resp.StatusCode)
	}
	if status, _ := f.do(t, http.MethodGet, "/api/v4/posts/nope", ""); status != 404 {
		t.Errorf("unknown post: %d", status)
	}
	if got := f.srv.Thread(root.ID); len(got) != 3 || got[0].ID != root.ID {
		t.Errorf("Thread() %+v", got)
	}
}

func TestCreatePostChecks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	private := f.srv.AddChannel("private", "someone-else")
	long := strings.Repeat("ä", mattermost.MaxMessageRunes+1)
	tests := []struct {
		body   string
		status int
	}{
		{`{"channel_id":"nope","message":"x"}`, 403},
		{`{"channel_id":"` + private.ID + `","message":"x"}`, 403},
		{`{"channel_id":"` + f.channel.ID + `","message":"` + long + `"}`, 400},
		{`not json`, 400},
	}
	for _, tt := range tests {
		if status, body := f.do(t, http.MethodPost, "/api/v4/posts", tt.body); status != tt.status {
			t.Errorf("%.40s: %d %s", tt.body, status, body)
		}
	}
	if n := len(f.srv.Posts(f.channel.ID)) + len(f.srv.Posts(private.ID)); n != 0 {
		t.Errorf("%d posts stored", n)
	}
}

func TestPendingPostIDDedupe(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	f := setup(t, mattermosttest.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
	body := `{"channel_id":"` + f.channel.ID + `","message":"m","pending_post_id":"u:1"}`
	_, a := f.do(t, http.MethodPost, "/api/v4/posts", body)
	now.Add(int64(29 * time.Second))
	status, b := f.do(t, http.MethodPost, "/api/v4/posts", body)
	var pa, pb mattermost.Post
	_ = json.Unmarshal(a, &pa)
	_ = json.Unmarshal(b, &pb)
	if status != 201 || pa.ID == "" || pa.ID != pb.ID || pb.PendingPostID != "u:1" {
		t.Errorf("repeat within window: %d %q vs %q", status, pa.ID, pb.ID)
	}
	// Mattermost keys the ids by value alone: another user who may read
	// the first post gets it back; one who may not has the id ignored.
	createAs := func(token, body string) mattermost.Post {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/v4/posts", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p mattermost.Post
		_ = json.NewDecoder(resp.Body).Decode(&p)
		return p
	}
	alice := f.srv.AddUser("alice")
	f.srv.AddToken(alice.ID, "alice-token")
	if pc := createAs("alice-token", body); pc.ID != pa.ID {
		t.Errorf("a reader's repeat returned %+v", pc)
	}
	private := f.srv.AddChannel("private", f.bot.ID)
	privateBody := `{"channel_id":"` + private.ID + `","message":"secret","pending_post_id":"u:9"}`
	first := createAs(f.token, privateBody)
	if pm := createAs("alice-token", `{"channel_id":"`+f.channel.ID+`","message":"mine","pending_post_id":"u:9"}`); pm.ID == first.ID || pm.UserID != alice.ID || pm.Message != "mine" {
		t.Errorf("an outsider's repeat returned %+v", pm)
	}
	// After the window, the same id creates a new post.
	now.Add(int64(2 * time.Second))
	_, c := f.do(t, http.MethodPost, "/api/v4/posts", body)
	var pd mattermost.Post
	_ = json.Unmarshal(c, &pd)
	if pd.ID == pa.ID {
		t.Error("deduplicated after the window")
	}
	if n := len(f.srv.Posts(f.channel.ID)); n != 3 {
		t.Errorf("%d posts, want 3 (first, outsider's, after the window)", n)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.Fail(mattermosttest.Fault{Method: "GET", Path: "/api/v4/users/*", Status: 503, RetryAfter: 2 * time.Second, Count: 2})
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v4/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
			t.Errorf("attempt %d: %d %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if status, _ := f.do(t, http.MethodGet, "/api/v4/users/me", ""); status != 200 {
		t.Errorf("after Count faults: %d", status)
	}
	// Drop: no answer and nothing applied.
	f.srv.Fail(mattermosttest.Fault{Path: "/api/v4/posts", Drop: true})
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/v4/posts", strings.NewReader(`{"channel_id":"`+f.channel.ID+`","message":"x"}`))
	req.Header.Set("Authorization", "Bearer "+f.token)
	if resp, err := testClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped request answered %d", resp.StatusCode)
	}
	if n := len(f.srv.Posts(f.channel.ID)); n != 0 {
		t.Errorf("dropped create stored %d posts", n)
	}
	// AfterWrite: no answer, but applied.
	f.srv.Fail(mattermosttest.Fault{Path: "/api/v4/posts", AfterWrite: true})
	req, _ = http.NewRequest(http.MethodPost, f.srv.URL+"/api/v4/posts", strings.NewReader(`{"channel_id":"`+f.channel.ID+`","message":"x"}`))
	req.Header.Set("Authorization", "Bearer "+f.token)
	if resp, err := testClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("AfterWrite request answered %d", resp.StatusCode)
	}
	if n := len(f.srv.Posts(f.channel.ID)); n != 1 {
		t.Errorf("AfterWrite create stored %d posts, want 1", n)
	}
	// Forever faults stay until cleared; latency respects the client.
	f.srv.Fail(mattermosttest.Fault{Path: "/api/v4/users/me", Status: 500, Count: -1})
	for i := 0; i < 3; i++ {
		if status, _ := f.do(t, http.MethodGet, "/api/v4/users/me", ""); status != 500 {
			t.Errorf("forever fault %d: %d", i, status)
		}
	}
	f.srv.ClearFaults()
	f.srv.SetLatency(30 * time.Millisecond)
	start := time.Now()
	if status, _ := f.do(t, http.MethodGet, "/api/v4/users/me", ""); status != 200 || time.Since(start) < 30*time.Millisecond {
		t.Errorf("latency: %d after %v", status, time.Since(start))
	}
	f.srv.SetLatency(0)
	f.srv.SetOutage(true)
	if status, _ := f.do(t, http.MethodGet, "/api/v4/users/me", ""); status != 503 {
		t.Errorf("outage: %d", status)
	}
	f.srv.SetOutage(false)
	if status, _ := f.do(t, http.MethodGet, "/api/v4/users/me", ""); status != 200 {
		t.Errorf("after outage: %d", status)
	}
}

func TestRequestsLogRedactsCredentials(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.do(t, http.MethodGet, "/api/v4/users/me?x=1", "")
	reqs := f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "GET" || r.Path != "/api/v4/users/me" || r.Query.Get("x") != "1" || r.Header.Get("Authorization") != "Bearer [REDACTED]" {
		t.Errorf("request %+v", r)
	}
}

func TestEphemeralAndWebhooks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, body := f.do(t, http.MethodPost, "/api/v4/posts/ephemeral", `{"user_id":"u1","post":{"channel_id":"`+f.channel.ID+`","message":"psst"}}`)
	if status != 201 {
		t.Fatalf("%d %s", status, body)
	}
	eph := f.srv.Ephemeral("u1")
	if len(eph) != 1 || eph[0].Post.Message != "psst" || eph[0].Post.UserID != f.bot.ID || len(f.srv.Posts(f.channel.ID)) != 0 {
		t.Errorf("ephemeral %+v", eph)
	}
	hook := f.srv.AddWebhook(f.channel.ID)
	// JSON body, and the form-encoded payload= variant.
	resp, _ := testClient.Post(hook, "application/json", strings.NewReader(`{"text":"one"}`))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok" {
		t.Errorf("webhook: %d %q", resp.StatusCode, b)
	}
	resp, _ = testClient.Post(hook, "application/x-www-form-urlencoded", strings.NewReader(`payload=%7B%22text%22%3A%22two%22%2C%22channel%22%3A%22town-square%22%7D`))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("form webhook: %d", resp.StatusCode)
	}
	for _, body := range []string{`{}`, `{"text":"x","channel":"nowhere"}`, `nope`} {
		resp, _ = testClient.Post(hook, "application/json", strings.NewReader(body))
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d", body, resp.StatusCode)
		}
	}
	posts := f.srv.Posts(f.channel.ID)
	if len(posts) != 2 || posts[0].Message != "one" || posts[1].Message != "two" {
		t.Errorf("posts %+v", posts)
	}
}

func TestSessionSlashTextResponseAndResponseURLLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	alice := f.srv.AddUser("alice")
	var responseURL atomic.Value
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		responseURL.Store(r.Form.Get("response_url"))
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "plain answer")
	}))
	defer app.Close()
	f.srv.AddCommand("/plain", app.URL)
	res, err := f.srv.As(alice.ID).SlashCommand(context.Background(), f.channel.ID, "/plain  hello world")
	if err != nil {
		t.Fatal(err)
	}
	if res.Request.Text != "hello world" || res.Response.Text != "plain answer" {
		t.Errorf("result %+v %+v", res.Request, res.Response)
	}
	if eph := f.srv.Ephemeral(alice.ID); len(eph) != 1 || eph[0].Post.Message != "plain answer" {
		t.Errorf("ephemeral %+v", eph)
	}
	u := responseURL.Load().(string)
	for i := 0; i < mattermosttest.ResponseURLUses+1; i++ {
		resp, err := testClient.Post(u, "application/json", strings.NewReader(`{"response_type":"in_channel","text":"later"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := 200
		if i == mattermosttest.ResponseURLUses {
			want = 400
		}
		if resp.StatusCode != want {
			t.Errorf("use %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if n := len(f.srv.Posts(f.channel.ID)); n != mattermosttest.ResponseURLUses {
		t.Errorf("%d posts via response_url", n)
	}
	if _, err := f.srv.As(alice.ID).SlashCommand(context.Background(), f.channel.ID, "/unknown"); err == nil {
		t.Error("unknown command accepted")
	}
	if _, err := f.srv.As("nobody").SlashCommand(context.Background(), f.channel.ID, "/plain"); err == nil {
		t.Error("unknown user accepted")
	}
}

func TestSessionIntegrationFailure(t *testing.T) {
	t.Parallel()
	f := setup(t)
	alice := f.srv.AddUser("alice")
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusUnauthorized)
	}))
	defer app.Close()
	f.srv.AddCommand("x", app.URL)
	res, err := f.srv.As(alice.ID).SlashCommand(context.Background(), f.channel.ID, "/x")
	if err != nil || res.Status != 401 || res.Response != nil {
		t.Errorf("%+v %v", res, err)
	}
	if len(f.srv.Ephemeral(alice.ID))+len(f.srv.Posts(f.channel.ID)) != 0 {
		t.Error("a failed command's answer was applied")
	}
}

// openDialog opens d for user, as the bot, with the trigger of a slash
// command the user typed; submissions go to url.
func (f *fixture) openDialog(t *testing.T, user mattermosttest.User, url string, d mattermost.Dialog) mattermosttest.OpenedDialog {
	t.Helper()
	triggers := make(chan string, 1)
	cmdApp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		triggers <- r.Form.Get("trigger_id")
	}))
	defer cmdApp.Close()
	f.srv.AddCommand("open", cmdApp.URL)
	if _, err := f.srv.As(user.ID).SlashCommand(context.Background(), f.channel.ID, "/open"); err != nil {
		t.Fatal(err)
	}
	c, err := mattermost.NewClient(f.srv.URL, f.token)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.OpenDialog(context.Background(), &mattermost.OpenDialogRequest{TriggerID: <-triggers, URL: url, Dialog: d}); err != nil {
		t.Fatal(err)
	}
	opened := f.srv.Dialogs()
	return opened[len(opened)-1]
}

func TestSubmitDialogInputChecks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	alice := f.srv.AddUser("alice")
	var got atomic.Value
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sub mattermost.DialogSubmission
		_ = json.NewDecoder(r.Body).Decode(&sub)
		got.Store(sub)
	}))
	defer app.Close()
	d := f.openDialog(t, alice, app.URL, mattermost.Dialog{
		CallbackID: "cb", Title: "T", State: "s",
		Elements: []mattermost.DialogElement{
			{DisplayName: "Name", Name: "name", Type: "text", MinLength: 2, MaxLength: 5},
			{DisplayName: "Kind", Name: "kind", Type: "select", Options: []mattermost.DialogOption{{Text: "A", Value: "a"}}, Default: "a"},
			{DisplayName: "Note", Name: "note", Type: "textarea", Optional: true},
			{DisplayName: "Flag", Name: "flag", Type: "bool", Default: "true"},
			{DisplayName: "Nick", Name: "nick", Type: "text", Optional: true},
			{DisplayName: "Day", Name: "day", Type: "date", Optional: true},
		},
	})
	sess := f.srv.As(alice.ID)
	for _, tt := range []struct {
		values map[string]any
		field  string
	}{
		{map[string]any{}, "name"},
		{map[string]any{"name": "x"}, "name"},
		{map[string]any{"name": "toolong"}, "name"},
		{map[string]any{"name": "ok", "kind": "zzz"}, "kind"},
		{map[string]any{"name": "ok", "flag": "yes"}, "flag"},
		{map[string]any{"name": "ok", "nosuch": 1}, "nosuch"},
		// Without max_length the webapp allows 150 (text) and 3,000
		// (textarea) characters.
		{map[string]any{"name": "ok", "nick": strings.Repeat("é", 151)}, "nick"},
		{map[string]any{"name": "ok", "note": strings.Repeat("é", 3001)}, "note"},
		{map[string]any{"name": "ok", "day": 20260301}, "day"},
	} {
		_, err := sess.SubmitDialog(context.Background(), d, tt.values)
		var inErr *mattermosttest.InputError
		if !errors.As(err, &inErr) || inErr.Errors[tt.field] == "" {
			t.Errorf("%v: err = %v, want error on %q", tt.values, err, tt.field)
		}
	}
	if got.Load() != nil {
		t.Fatal("an invalid submission was sent")
	}
	if _, err := sess.SubmitDialog(context.Background(), d, map[string]any{"name": "Jo", "nick": strings.Repeat("é", 150), "note": strings.Repeat("é", 3000), "day": "2026-03-01"}); err != nil {
		t.Fatalf("values at the limits: %v", err)
	}
	res, err := sess.SubmitDialog(context.Background(), d, map[string]any{"name": "Jo"})
	if err != nil || !res.Closed {
		t.Fatalf("%+v %v", res, err)
	}
	sub := got.Load().(mattermost.DialogSubmission)
	want := map[string]any{"name": "Jo", "kind": "a", "flag": true}
	if sub.Type != "dialog_submission" || sub.CallbackID != "cb" || sub.State != "s" || sub.UserID != alice.ID || sub.ChannelID != f.channel.ID ||
		len(sub.Submission) != 3 || sub.Submission["name"] != want["name"] || sub.Submission["kind"] != want["kind"] || sub.Submission["flag"] != want["flag"] {
		t.Errorf("submission %+v", sub)
	}
	// Without notify_on_cancel nothing is sent on cancel.
	res, err = sess.CancelDialog(context.Background(), d)
	if err != nil || res.Sent || !res.Closed {
		t.Errorf("cancel %+v %v", res, err)
	}
	// Another user cannot submit alice's dialog.
	bob := f.srv.AddUser("bob")
	if _, err := f.srv.As(bob.ID).SubmitDialog(context.Background(), d, map[string]any{"name": "Jo"}); err == nil {
		t.Error("bob submitted alice's dialog")
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := mattermosttest.NewID()
		if len(id) != 26 || seen[id] || strings.ToLower(id) != id {
			t.Fatalf("bad id %q", id)
		}
		seen[id] = true
	}
}

func TestChannelPostsSince(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1_700_000_000_000)
	var mu sync.Mutex
	f := setup(t, mattermosttest.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c, err := mattermost.NewClient(f.srv.URL, f.token)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: f.channel.ID, Message: "old"})
	if err != nil {
		t.Fatal(err)
	}
	advance(time.Minute)
	cut := now
	atCut, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: f.channel.ID, Message: "at the cut"})
	if err != nil || atCut.UpdateAt != cut.UnixMilli() {
		t.Fatalf("post at the cut: %+v %v", atCut, err)
	}
	advance(time.Millisecond)
	var marked mattermost.Post
	marked.ChannelID, marked.RootID, marked.Message = f.channel.ID, old.ID, "reply"
	if err := marked.Props.Set("ghlkit_event", "w1"); err != nil {
		t.Fatal(err)
	}
	reply, err := c.CreatePost(ctx, &marked)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: f.channel.ID, Message: "deleted later"})
	if err != nil {
		t.Fatal(err)
	}
	advance(time.Second)
	if !f.srv.DeletePost(gone.ID) || f.srv.DeletePost(gone.ID) {
		t.Fatal("DeletePost")
	}
	other := f.srv.AddChannel("elsewhere")
	if _, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: other.ID, Message: "not here"}); err != nil {
		t.Fatal(err)
	}

	// update_at strictly after since: the post made at the cut is out;
	// the deleted post is in, with delete_at set; the reply's root is in
	// Posts but not in Order.
	status, body := f.do(t, http.MethodGet, "/api/v4/channels/"+f.channel.ID+"/posts?since="+strconv.FormatInt(cut.UnixMilli(), 10), "")
	if status != http.StatusOK {
		t.Fatalf("since: %d %s", status, body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["next_post_id"]) != `""` || string(raw["prev_post_id"]) != `""` {
		t.Errorf("cursor keys: next %s prev %s", raw["next_post_id"], raw["prev_post_id"])
	}
	var list mattermost.PostList
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if strings.Join(list.Order, ",") != gone.ID+","+reply.ID {
		t.Fatalf("order %v, want deleted %s then reply %s", list.Order, gone.ID, reply.ID)
	}
	if d := list.Posts[gone.ID]; d.DeleteAt == 0 || d.UpdateAt != d.DeleteAt {
		t.Errorf("deleted post %+v", d)
	}
	if _, ok := list.Posts[old.ID]; !ok || len(list.Posts) != 3 {
		t.Errorf("posts %v: want the reply's root too", list.Posts)
	}
	if string(list.Posts[reply.ID].Props.Other["ghlkit_event"]) != `"w1"` {
		t.Errorf("marker lost: %+v", list.Posts[reply.ID])
	}
	all, err := c.GetPostsSince(ctx, f.channel.ID, cut.Add(-time.Hour))
	if err != nil || len(all.Order) != 4 || all.Order[3] != old.ID {
		t.Fatalf("all: %+v, %v", all, err)
	}
	// Reads and pages leave the deleted post out.
	if _, err := c.GetPost(ctx, gone.ID); !mattermost.IsNotFound(err) {
		t.Errorf("deleted post read: %v", err)
	}
	page, err := c.GetPostsPage(ctx, f.channel.ID, 0, 10)
	if err != nil || strings.Join(page.Order, ",") != reply.ID+","+atCut.ID+","+old.ID {
		t.Fatalf("page: %+v %v", page, err)
	}
	if status, _ := f.do(t, http.MethodGet, "/api/v4/channels/"+f.channel.ID+"/posts?since=soon", ""); status != http.StatusBadRequest {
		t.Errorf("bad since answered %d", status)
	}
	if status, _ := f.do(t, http.MethodGet, "/api/v4/channels/"+f.channel.ID+"/posts?include_deleted=true", ""); status != http.StatusForbidden {
		t.Errorf("include_deleted as a bot answered %d, want 403", status)
	}
}

func TestChannelPostsSinceCap(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c, err := mattermost.NewClient(f.srv.URL, f.token)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now().Add(-time.Second)
	var ids []string
	for i := range mattermosttest.MaxPostsSince + 5 {
		ids = append(ids, f.srv.AddPost(f.bot.ID, mattermost.Post{ChannelID: f.channel.ID, Message: "m" + strconv.Itoa(i)}).ID)
	}
	list, err := c.GetPostsSince(ctx, f.channel.ID, start)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Order) != mattermost.MaxPostsSince || len(list.Posts) != mattermost.MaxPostsSince {
		t.Fatalf("%d posts in order, %d in posts; want the cap %d", len(list.Order), len(list.Posts), mattermost.MaxPostsSince)
	}
	// The fake keeps the ones changed first, newest first: the last five
	// posts are missing.
	if list.Order[0] != ids[mattermost.MaxPostsSince-1] || list.Order[len(list.Order)-1] != ids[0] {
		t.Errorf("order from %s to %s", list.Order[0], list.Order[len(list.Order)-1])
	}
	for _, id := range ids[mattermost.MaxPostsSince:] {
		if _, ok := list.Posts[id]; ok {
			t.Errorf("post %s past the cap returned", id)
		}
	}
}

func TestChannelPostsPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var ids []string // oldest first
	for i := range 7 {
		ids = append(ids, f.srv.AddPost(f.bot.ID, mattermost.Post{ChannelID: f.channel.ID, Message: "m" + strconv.Itoa(i)}).ID)
	}
	tests := []struct {
		query      string
		order      []string
		next, prev string
	}{
		{"page=0&per_page=3", []string{ids[6], ids[5], ids[4]}, "", ids[3]},
		{"page=1&per_page=3", []string{ids[3], ids[2], ids[1]}, ids[4], ids[0]},
		{"page=2&per_page=3", []string{ids[0]}, ids[1], ""},
		{"page=3&per_page=3", nil, "", ""},
		{"per_page=500", []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}, "", ""}, // clamped to 200
		{"page=-1&per_page=2", []string{ids[6], ids[5]}, "", ids[4]},
	}
	for _, tt := range tests {
		status, body := f.do(t, http.MethodGet, "/api/v4/channels/"+f.channel.ID+"/posts?"+tt.query, "")
		var list mattermost.PostList
		if err := json.Unmarshal(body, &list); status != 200 || err != nil {
			t.Fatalf("%s: %d %s", tt.query, status, body)
		}
		if strings.Join(list.Order, ",") != strings.Join(tt.order, ",") || list.NextPostID != tt.next || list.PrevPostID != tt.prev {
			t.Errorf("%s: order %v next %q prev %q; want %v %q %q", tt.query, list.Order, list.NextPostID, list.PrevPostID, tt.order, tt.next, tt.prev)
		}
		if !bytes.Contains(body, []byte(`"next_post_id":`)) || !bytes.Contains(body, []byte(`"prev_post_id":`)) {
			t.Errorf("%s: cursor keys missing in %s", tt.query, body)
		}
	}
	// A thread carries the keys too.
	_, body := f.do(t, http.MethodGet, "/api/v4/posts/"+ids[0]+"/thread", "")
	if !bytes.Contains(body, []byte(`"next_post_id":""`)) || !bytes.Contains(body, []byte(`"prev_post_id":""`)) {
		t.Errorf("thread without cursor keys: %s", body)
	}
}

func TestWithDedupeWindow(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	f := setup(t, mattermosttest.WithClock(func() time.Time { return time.Unix(0, now.Load()) }),
		mattermosttest.WithDedupeWindow(2*time.Minute))
	body := `{"channel_id":"` + f.channel.ID + `","message":"m","pending_post_id":"u:2"}`
	ids := map[string]bool{}
	for _, wait := range []time.Duration{0, 90 * time.Second, 3 * time.Minute} {
		now.Add(int64(wait))
		_, b := f.do(t, http.MethodPost, "/api/v4/posts", body)
		var p mattermost.Post
		_ = json.Unmarshal(b, &p)
		ids[p.ID] = true
	}
	// 90 s is past the default window but within two minutes; 3 minutes
	// more is past both.
	if len(ids) != 2 || len(f.srv.Posts(f.channel.ID)) != 2 {
		t.Errorf("%d distinct posts, want 2", len(ids))
	}
}

// countingTransport counts the requests the fake makes to integrations.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return testClient.Transport.RoundTrip(r)
}

func TestWithIntegrationClient(t *testing.T) {
	t.Parallel()
	ct := &countingTransport{}
	f := setup(t, mattermosttest.WithIntegrationClient(&http.Client{Transport: ct}))
	alice := f.srv.AddUser("alice")
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"text":"hi"}`)
	}))
	defer app.Close()
	f.srv.AddCommand("/hi", app.URL)
	res, err := f.srv.As(alice.ID).SlashCommand(context.Background(), f.channel.ID, "/hi")
	if err != nil || res.Response.Text != "hi" {
		t.Fatalf("slash: %+v %v", res, err)
	}
	if ct.n.Load() != 1 {
		t.Errorf("integration client carried %d requests, want 1", ct.n.Load())
	}
}

// TestCancelDialogWire: Mattermost sends a cancellation as it sends a
// submission, "type": "dialog_submission", with "cancelled": true.
func TestCancelDialogWire(t *testing.T) {
	t.Parallel()
	f := setup(t)
	alice := f.srv.AddUser("alice")
	bodies := make(chan []byte, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer app.Close()
	d := f.openDialog(t, alice, app.URL, mattermost.Dialog{CallbackID: "cb", Title: "T", State: "s", NotifyOnCancel: true})
	res, err := f.srv.As(alice.ID).CancelDialog(context.Background(), d)
	if err != nil || !res.Sent || !res.Closed {
		t.Fatalf("cancel %+v %v", res, err)
	}
	var got map[string]any
	if err := json.Unmarshal(<-bodies, &got); err != nil {
		t.Fatal(err)
	}
	if got["type"] != "dialog_submission" || got["cancelled"] != true || got["callback_id"] != "cb" || got["state"] != "s" || got["user_id"] != alice.ID {
		t.Errorf("cancellation %v", got)
	}
}

// TestOpenDialogLimits: the fake holds a dialog to Mattermost's limits
// whoever sends it (here raw JSON, no client checks).
func TestOpenDialogLimits(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tests := []struct {
		name, dialog string
		valid        bool
	}{
		{"no elements", `{"title":"T","elements":[]}`, true},
		{"title of 24 bytes", `{"title":"` + strings.Repeat("t", 24) + `"}`, true},
		{"title of 25 bytes", `{"title":"` + strings.Repeat("t", 25) + `"}`, false},
		{"date and datetime", `{"title":"T","elements":[{"display_name":"D","name":"d","type":"date","default":"today"},{"display_name":"W","name":"w","type":"datetime","default":"2026-03-01T10:00:00Z","time_interval":30}]}`, true},
		{"bad date", `{"title":"T","elements":[{"display_name":"D","name":"d","type":"date","default":"March"}]}`, false},
		{"label of 25", `{"title":"T","elements":[{"display_name":"` + strings.Repeat("l", 25) + `","name":"n","type":"text"}]}`, false},
		{"help of 151", `{"title":"T","elements":[{"display_name":"L","name":"n","type":"text","help_text":"` + strings.Repeat("h", 151) + `"}]}`, false},
		{"radio default off the options", `{"title":"T","elements":[{"display_name":"L","name":"n","type":"radio","default":"x","options":[{"text":"A","value":"a"}]}]}`, false},
		{"bool default yes", `{"title":"T","elements":[{"display_name":"L","name":"n","type":"bool","default":"yes"}]}`, false},
		{"min above max", `{"title":"T","elements":[{"display_name":"L","name":"n","type":"text","min_length":9,"max_length":3}]}`, false},
		{"textarea placeholder of 3001", `{"title":"T","elements":[{"display_name":"L","name":"n","type":"textarea","placeholder":"` + strings.Repeat("p", 3001) + `"}]}`, false},
	}
	for _, tt := range tests {
		// The trigger is bogus: a dialog that passes the limits fails on it.
		status, body := f.do(t, http.MethodPost, "/api/v4/actions/dialogs/open", `{"trigger_id":"nope","url":"https://app.example/d","dialog":`+tt.dialog+`}`)
		var e struct{ ID string }
		_ = json.Unmarshal(body, &e)
		wantID := "api.interactive_dialog.invalid.app_error"
		if tt.valid {
			wantID = "interactive_message.decode_trigger_id.base64_decode_failed"
		}
		if status != http.StatusBadRequest || e.ID != wantID {
			t.Errorf("%s: %d %s, want %s", tt.name, status, e.ID, wantID)
		}
	}
}

// TestActionEphemeralTextIsThreaded: Mattermost shows an action's
// ephemeral_text in the clicked post's thread: under the post itself, or
// under its root when the post is a reply.
func TestActionEphemeralTextIsThreaded(t *testing.T) {
	t.Parallel()
	f := setup(t)
	alice := f.srv.AddUser("alice")
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ephemeral_text":"noted"}`)
	}))
	defer app.Close()
	withButton := func(rootID string) mattermost.Post {
		p := mattermost.Post{ChannelID: f.channel.ID, RootID: rootID, Message: "m"}
		p.Props.Attachments = []mattermost.Attachment{{Actions: []mattermost.Action{{ID: "ok", Name: "OK", Integration: &mattermost.Integration{URL: app.URL}}}}}
		return f.srv.AddPost(f.bot.ID, p)
	}
	root := withButton("")
	reply := withButton(root.ID)
	for _, clicked := range []mattermost.Post{root, reply} {
		if _, err := f.srv.As(alice.ID).ClickButton(context.Background(), clicked.ID, "OK"); err != nil {
			t.Fatal(err)
		}
	}
	eph := f.srv.Ephemeral(alice.ID)
	if len(eph) != 2 || eph[0].Post.RootID != root.ID || eph[1].Post.RootID != root.ID || eph[0].Post.Message != "noted" {
		t.Errorf("ephemeral posts %+v", eph)
	}
}

// TestIncomingWebhookSplitsLongText: an incoming webhook's text over the
// message limit becomes several posts, cut every MaxMessageRunes
// characters, with the attachments on the last one, as on a real server.
// (package mattermost refuses such text before sending it.)
func TestIncomingWebhookSplitsLongText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hook := f.srv.AddWebhook(f.channel.ID)
	text := strings.Repeat("é", 2*mattermost.MaxMessageRunes+10)
	body, _ := json.Marshal(map[string]any{"text": text, "attachments": []map[string]string{{"title": "A"}}})
	resp, err := testClient.Post(hook, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	posts := f.srv.Posts(f.channel.ID)
	if len(posts) != 3 {
		t.Fatalf("%d posts, want 3", len(posts))
	}
	var joined strings.Builder
	for i, p := range posts {
		joined.WriteString(p.Message)
		if n := utf8.RuneCountInString(p.Message); i < 2 && n != mattermost.MaxMessageRunes || i == 2 && n != 10 {
			t.Errorf("post %d has %d characters", i, n)
		}
		if hasAtt := len(p.Props.Attachments) == 1; hasAtt != (i == 2) || string(p.Props.Other["from_webhook"]) != `"true"` {
			t.Errorf("post %d: attachments %v, props %v", i, p.Props.Attachments, p.Props.Other)
		}
	}
	if joined.String() != text {
		t.Error("the parts do not add up to the text")
	}
}

// testClient has a transport of its own: every httptest.Server.Close in the
// test binary closes http.DefaultTransport's idle connections, which can
// break a parallel test's request that is just reusing one.
var testClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
