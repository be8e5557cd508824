package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// propsOfRunes returns props whose JSON, as Mattermost encodes it, is n
// characters long: {"k":"aaa…"} is 8 characters plus the value.
func propsOfRunes(t *testing.T, n int) mattermost.Props {
	t.Helper()
	var p mattermost.Props
	if err := p.Set("k", strings.Repeat("a", n-8)); err != nil {
		t.Fatal(err)
	}
	return p
}

// escapedProps returns props that are short as written but over the limit
// once Mattermost re-encodes them ('<' becomes the six characters \u003c).
func escapedProps(t *testing.T) mattermost.Props {
	t.Helper()
	var p mattermost.Props
	if err := p.Set("k", strings.Repeat("<", (mattermost.MaxPropsRunes-8)/6+1)); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPostLimitsBeforeSending(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	mockHook := httpmock.NewMockTransport()
	wp, err := mattermost.NewWebhookPoster(testBase+"/hooks/k1", mattermost.WithTransport(mockHook))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := mattermost.NewResponseClient(mattermost.WithTransport(mockHook))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	over := propsOfRunes(t, mattermost.MaxPropsRunes+1)
	escaped := escapedProps(t)
	sixFiles := []string{"f1", "f2", "f3", "f4", "f5", "f6"}
	long := strings.Repeat("é", mattermost.MaxMessageRunes+1)
	post := func(props mattermost.Props, files []string) *mattermost.Post {
		return &mattermost.Post{ChannelID: "c", Message: "m", Props: props, FileIDs: files}
	}
	cases := []struct {
		name  string
		param string
		call  func() error
	}{
		{"create props", "post.Props", func() error { _, err := c.CreatePost(ctx, post(over, nil)); return err }},
		{"create escaped props", "post.Props", func() error { _, err := c.CreatePost(ctx, post(escaped, nil)); return err }},
		{"create six files", "post.FileIDs", func() error { _, err := c.CreatePost(ctx, post(mattermost.Props{}, sixFiles)); return err }},
		{"ephemeral props", "post.Props", func() error { _, err := c.CreateEphemeralPost(ctx, "u", post(over, nil)); return err }},
		{"patch props", "patch.Props", func() error { _, err := c.PatchPost(ctx, "p", &mattermost.PostPatch{Props: &over}); return err }},
		{"patch six files", "patch.FileIDs", func() error { _, err := c.PatchPost(ctx, "p", &mattermost.PostPatch{FileIDs: &sixFiles}); return err }},
		{"webhook props", "msg.Props", func() error { return wp.Post(ctx, &mattermost.WebhookMessage{Text: "t", Props: over}) }},
		{"webhook text", "msg.Text", func() error { return wp.Post(ctx, &mattermost.WebhookMessage{Text: long}) }},
		{"response text", "resp.Text", func() error { return rc.Post(ctx, testBase+"/hooks/commands/x", mattermost.InChannel(long)) }},
		{"extra response text", "resp.ExtraResponses[1].Text", func() error {
			r := mattermost.InChannel("head")
			r.ExtraResponses = []*mattermost.CommandResponse{mattermost.InChannel("ok"), mattermost.InChannel(long)}
			return rc.Post(ctx, testBase+"/hooks/commands/x", r)
		}},
		{"response props", "resp.Props", func() error {
			r := mattermost.InChannel("t")
			r.Props = over
			return rc.Post(ctx, testBase+"/hooks/commands/x", r)
		}},
	}
	for _, tc := range cases {
		err := tc.call()
		var pe *mattermost.ParamError
		if !errors.As(err, &pe) || !errors.Is(err, mattermost.ErrInvalidParam) || pe.Param != tc.param {
			t.Errorf("%s: err = %v, want a ParamError on %s", tc.name, err, tc.param)
		}
	}
	if n := mock.GetTotalCallCount() + mockHook.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent past a limit", n)
	}

	// At the limits everything goes out.
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", w.script(jsonResp(201, postJSON)))
	atLimit := propsOfRunes(t, mattermost.MaxPropsRunes)
	if _, err := c.CreatePost(ctx, post(atLimit, []string{"f1", "f2", "f3", "f4", "f5"})); err != nil {
		t.Errorf("props of exactly MaxPropsRunes and five files: %v", err)
	}
	if n := len(w.requests()); n != 1 {
		t.Errorf("%d requests at the limits", n)
	}
}

// fakeChannel starts a fake with a bot (its token) and a channel.
func fakeChannel(t *testing.T) (*mattermosttest.Server, string, mattermosttest.Channel) {
	t.Helper()
	srv := mattermosttest.NewServer()
	t.Cleanup(srv.Close)
	_, token := srv.AddBot("bot")
	return srv, token, srv.AddChannel("c")
}

// TestCreatePostPropsSizeAsTheServer: CreatePost refuses, before sending,
// exactly the props the server (the fake, which counts as Mattermost
// does) refuses, whatever makes them long: plain text, text that
// escaping lengthens, line separators in raw values. Props that cannot
// be encoded are refused as a bad parameter; a post that cannot be
// encoded for another reason is not sent either.
func TestCreatePostPropsSizeAsTheServer(t *testing.T) {
	t.Parallel()
	srv, token, ch := fakeChannel(t)
	c, err := mattermost.NewClient(srv.URL, token, mattermost.WithHTTPClient(testClient))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// {"k":"…"} is 8 characters; each '<' or U+2028 counts six.
	n := (mattermost.MaxPropsRunes - 8) / 6
	raw := func(s string) mattermost.Props {
		return mattermost.Props{Other: map[string]json.RawMessage{"k": json.RawMessage(`"` + s + `"`)}}
	}
	cases := []struct {
		name  string
		props mattermost.Props
		over  bool
	}{
		{"plain at the limit", propsOfRunes(t, mattermost.MaxPropsRunes), false},
		{"plain over", propsOfRunes(t, mattermost.MaxPropsRunes+1), true},
		{"escaped at the limit", raw(strings.Repeat("<", n)), false},
		{"escaped over", raw(strings.Repeat("<", n+1)), true},
		{"line separators at the limit", raw(strings.Repeat("\u2028", n/2) + strings.Repeat("&", n-n/2)), false},
		{"line separators over", raw(strings.Repeat("\u2029", n+1)), true},
		{"small", raw("<b> & \u2028"), false},
	}
	for _, tc := range cases {
		before := len(srv.Requests())
		_, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: ch.ID, Message: "m", Props: tc.props})
		var pe *mattermost.ParamError
		switch {
		case tc.over && (!errors.As(err, &pe) || pe.Param != "post.Props"):
			t.Errorf("%s: err = %v, want a ParamError on post.Props", tc.name, err)
		case tc.over && len(srv.Requests()) != before:
			t.Errorf("%s: sent", tc.name)
		case !tc.over && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	before := len(srv.Requests())
	bad := mattermost.Post{ChannelID: ch.ID, Message: "m", Props: raw("x")}
	bad.Props.Other["k"] = json.RawMessage(`{not json`)
	var pe *mattermost.ParamError
	if _, err := c.CreatePost(ctx, &bad); !errors.As(err, &pe) || pe.Param != "post.Props" || !strings.Contains(err.Error(), "cannot be encoded") {
		t.Errorf("props that do not encode: %v", err)
	}
	badMeta := mattermost.Post{ChannelID: ch.ID, Message: "m", Metadata: json.RawMessage(`{not json`)}
	if _, err := c.CreatePost(ctx, &badMeta); err == nil || errors.Is(err, mattermost.ErrInvalidParam) || !strings.Contains(err.Error(), "encoding request") {
		t.Errorf("metadata that does not encode: %v", err)
	}
	if n := len(srv.Requests()) - before; n != 0 {
		t.Errorf("%d posts that do not encode sent", n)
	}
}

// TestServerPostLimits: the fake refuses what the server refuses, from any
// client (raw requests, no client checks).
func TestServerPostLimits(t *testing.T) {
	t.Parallel()
	srv, token, ch := fakeChannel(t)
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	value := func(s string) string { return `{"k":"` + s + `"}` }
	at := value(strings.Repeat("a", mattermost.MaxPropsRunes-8))
	over := value(strings.Repeat("a", mattermost.MaxPropsRunes-7))
	escaped := value(strings.Repeat("<", (mattermost.MaxPropsRunes-8)/6+1))
	create := func(extra string) string { return `{"channel_id":"` + ch.ID + `","message":"m"` + extra + `}` }
	tests := []struct {
		name, body string
		status     int
		id         string
	}{
		{"props at the limit", create(`,"props":` + at), 201, ""},
		{"props over", create(`,"props":` + over), 400, "model.post.is_valid.props.app_error"},
		{"props over once escaped", create(`,"props":` + escaped), 400, "model.post.is_valid.props.app_error"},
		{"five files", create(`,"file_ids":["a","b","c","d","e"]`), 201, ""},
		{"six files", create(`,"file_ids":["a","b","c","d","e","f"]`), 400, "model.post.is_valid.file_ids.app_error"},
	}
	for _, tt := range tests {
		status, body := do(http.MethodPost, "/api/v4/posts", tt.body)
		if status != tt.status || !strings.Contains(body, tt.id) {
			t.Errorf("%s: %d %.200s", tt.name, status, body)
		}
	}
	status, body := do(http.MethodPost, "/api/v4/posts", create(""))
	id := body[strings.Index(body, `"id":"`)+6:][:26]
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, body := do(http.MethodPut, "/api/v4/posts/"+id+"/patch", `{"props":`+over+`}`); status != 400 || !strings.Contains(body, "props") {
		t.Errorf("patch props over: %d %.200s", status, body)
	}
	if status, body := do(http.MethodPut, "/api/v4/posts/"+id+"/patch", `{"file_ids":["a","b","c","d","e","f"]}`); status != 400 || !strings.Contains(body, "file_ids") {
		t.Errorf("patch six files: %d %.200s", status, body)
	}
}

// TestResponsesHeldToTheMessageLimit: a slash command's text, each of its
// extra responses and an action's update.message are held to
// MaxMessageRunes. The handlers refuse such a response (the user sees the
// apology, the log says why) rather than send one Mattermost would refuse.
func TestResponsesHeldToTheMessageLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	long := strings.Repeat("x", mattermost.MaxMessageRunes+1)
	okLen := strings.Repeat("é", mattermost.MaxMessageRunes)
	set := mattermost.NewCommandSet("/ghl")
	_ = set.Add(mattermost.Command{Name: "long", Run: func(context.Context, *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		return mattermost.InChannel(long), nil
	}})
	_ = set.Add(mattermost.Command{Name: "extra", Run: func(context.Context, *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		r := mattermost.InChannel("head")
		r.ExtraResponses = []*mattermost.CommandResponse{mattermost.InChannel(long)}
		return r, nil
	}})
	_ = set.Add(mattermost.Command{Name: "later", Run: func(context.Context, *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		return mattermost.Defer(nil, func(context.Context) (*mattermost.CommandResponse, error) { return mattermost.InChannel(long), nil }), nil
	}})
	_ = set.Add(mattermost.Command{Name: "fits", Run: func(context.Context, *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		r := mattermost.InChannel(okLen)
		r.ExtraResponses = []*mattermost.CommandResponse{mattermost.InChannel(okLen)}
		return r, nil
	}})
	h, _ := e.slashWith(t, set, []mattermost.HandlerOption{mattermost.WithHandlerLogger(logger)})
	alice := e.srv.As(e.alice.ID)
	ctx := context.Background()
	for _, cmd := range []string{"long", "extra"} {
		res, err := alice.SlashCommand(ctx, e.channel.ID, "/ghl "+cmd)
		if err != nil || res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.HasPrefix(res.Response.Text, "Sorry, that did not work (ref ") || len(res.Response.ExtraResponses) != 0 {
			t.Errorf("%s: %+v %v", cmd, res.Response, err)
		}
	}
	if _, err := alice.SlashCommand(ctx, e.channel.ID, "/ghl later"); err != nil {
		t.Fatal(err)
	}
	h.Wait()
	if posts := e.srv.Posts(e.channel.ID); len(posts) != 0 {
		t.Errorf("%d posts from over-long responses", len(posts))
	}
	var apologies int
	for _, ep := range e.srv.Ephemeral(e.alice.ID) {
		if strings.HasPrefix(ep.Post.Message, "Sorry, that did not work (ref ") {
			apologies++
		}
	}
	if apologies != 3 {
		t.Errorf("%d apologies, want 3 (long, extra, deferred)", apologies)
	}
	logMu.Lock()
	for _, want := range []string{"response.Text", "response.ExtraResponses[0].Text", "deferred response.Text"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	logMu.Unlock()
	// Exactly at the limit both posts are made.
	if _, err := alice.SlashCommand(ctx, e.channel.ID, "/ghl fits"); err != nil {
		t.Fatal(err)
	}
	if posts := e.srv.Posts(e.channel.ID); len(posts) != 2 || posts[0].Message != okLen || posts[1].Message != okLen {
		t.Errorf("%d posts at the limit", len(posts))
	}

	// An action whose update is too long: the post stays, the user gets
	// the apology in its thread.
	ah, err := mattermost.NewActionHandler(e.signer, mattermost.WithHandlerLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	ah.Handle("complete", func(context.Context, *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		return &mattermost.ActionResponse{Update: &mattermost.PostUpdate{Message: long}}, nil
	})
	e.mux.Handle("/action", ah)
	p := e.buttonPost(t, map[string]string{"task": "t1"})
	res, err := alice.ClickButton(ctx, p.ID, "Complete")
	if err != nil || res.Response.Update != nil || !strings.HasPrefix(res.Response.EphemeralText, "Sorry, that did not work (ref ") {
		t.Fatalf("click: %+v %v", res, err)
	}
	if stored, _ := e.srv.Post(p.ID); stored.Message != "Task: Call John" {
		t.Errorf("post changed to %.40q", stored.Message)
	}
	logMu.Lock()
	if !strings.Contains(logs.String(), "response.Update.Message") {
		t.Errorf("log lacks the update's limit:\n%s", logs.String())
	}
	logMu.Unlock()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCreatePostPendingIsRetried: Mattermost answers 500
// api.post.deduplicate_create_post.pending to a create that overlaps an
// earlier one with the same pending_post_id. The client repeats the same
// create (same pending_post_id) until the first is saved and comes back.
func TestCreatePostPendingIsRetried(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	pending := jsonResp(500, `{"id":"api.post.deduplicate_create_post.pending","message":"Rejected post since another client is making the same request.","status_code":500}`)
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", w.script(pending, pending, jsonResp(201, postJSON)))
	p, err := c.CreatePost(context.Background(), &mattermost.Post{ChannelID: "ch1", Message: "m"})
	if err != nil || p.ID != "p1" {
		t.Fatalf("CreatePost = %+v, %v", p, err)
	}
	reqs := w.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d attempts, want 3", len(reqs))
	}
	first := pendingIDOf(t, reqs[0].Body)
	for _, r := range reqs {
		if got := pendingIDOf(t, r.Body); got != first {
			t.Errorf("pending_post_id changed: %q then %q", first, got)
		}
	}

	// Still pending when the retries run out: ErrPostPending, naming the
	// pending_post_id to repeat; not ErrOutcomeUnknown's "failed".
	c2, mock2 := newMockClient(t)
	var w2 wire
	mock2.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", w2.script(pending))
	_, err = c2.CreatePost(context.Background(), &mattermost.Post{ChannelID: "ch1", Message: "m", PendingPostID: "mine:7"})
	var apiErr *mattermost.APIError
	if !errors.Is(err, mattermost.ErrPostPending) || !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || !strings.Contains(err.Error(), "mine:7") {
		t.Errorf("err = %v", err)
	}
	if n := len(w2.requests()); n != 3 {
		t.Errorf("%d attempts, want 3 (two retries)", n)
	}
	// Any other 500 is not ErrPostPending.
	c3, mock3 := newMockClient(t, mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: -1}))
	mock3.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", httpmock.NewStringResponder(500, `{"id":"app.post.save.app_error","status_code":500}`))
	if _, err := c3.CreatePost(context.Background(), &mattermost.Post{ChannelID: "ch1", Message: "m"}); err == nil || errors.Is(err, mattermost.ErrPostPending) {
		t.Errorf("other 500: %v", err)
	}
}

func pendingIDOf(t *testing.T, body []byte) string {
	t.Helper()
	i := bytes.Index(body, []byte(`"pending_post_id":"`))
	if i < 0 {
		t.Fatalf("no pending_post_id in %s", body)
	}
	rest := body[i+len(`"pending_post_id":"`):]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

// TestCreatePostOverlappingRetryThroughFake: the first create is slow to
// save; a retry with the same pending_post_id arrives meanwhile and gets
// 500 pending, and keeps retrying until the first is saved: one post, and
// both calls return it.
func TestCreatePostOverlappingRetryThroughFake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hold := make(chan struct{})
	e.srv.Fail(mattermosttest.Fault{Method: http.MethodPost, Path: "/api/v4/posts", Hold: hold})
	ctx := context.Background()
	post := &mattermost.Post{ChannelID: e.channel.ID, Message: "once", PendingPostID: mattermost.NewPendingPostID()}
	first := make(chan *mattermost.Post, 1)
	go func() {
		p, err := e.client.CreatePost(ctx, post)
		if err != nil {
			t.Error(err)
		}
		first <- p
	}()
	waitFor(t, func() bool { return len(e.srv.Requests()) == 1 })

	// Another client of the same bot, without retries: the overlapping
	// create sees the server's answer.
	tok := mattermosttest.NewID()
	e.srv.AddToken(e.bot.ID, tok)
	once, err := mattermost.NewClient(e.srv.URL, tok, mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: -1}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = once.CreatePost(ctx, post)
	var apiErr *mattermost.APIError
	if !errors.Is(err, mattermost.ErrPostPending) || !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.ID != "api.post.deduplicate_create_post.pending" {
		t.Fatalf("overlapping create: %v", err)
	}

	// With retries it waits the first one out.
	patient, err := mattermost.NewClient(e.srv.URL, tok, mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: 1000, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan *mattermost.Post, 1)
	go func() {
		p, err := patient.CreatePost(ctx, post)
		if err != nil {
			t.Error(err)
		}
		second <- p
	}()
	waitFor(t, func() bool { return len(e.srv.Requests()) >= 4 }) // it has been told "pending" at least once
	close(hold)
	a, b := <-first, <-second
	if a == nil || b == nil || a.ID != b.ID {
		t.Fatalf("first %+v, retry %+v", a, b)
	}
	if posts := e.srv.Posts(e.channel.ID); len(posts) != 1 {
		t.Errorf("%d posts, want 1", len(posts))
	}
}

// waitFor polls cond for up to 5 seconds, in millisecond steps.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met")
}

// testClient has a transport of its own: every httptest.Server.Close in the
// test binary closes http.DefaultTransport's idle connections, which can
// break a parallel test's request that is just reusing one.
var testClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
