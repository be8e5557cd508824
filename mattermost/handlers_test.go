package mattermost_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// env is a fake Mattermost with a bot, a user and a channel, and an
// integration server whose mux the test fills.
type env struct {
	srv      *mattermosttest.Server
	bot      mattermosttest.User
	client   *mattermost.Client
	alice    mattermosttest.User
	channel  mattermosttest.Channel
	mux      *http.ServeMux
	app      *httptest.Server
	signer   *mattermost.Signer
	clockMu  sync.Mutex
	clockNow time.Time
}

func (e *env) now() time.Time {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	return e.clockNow
}

func (e *env) advance(d time.Duration) {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	e.clockNow = e.clockNow.Add(d)
}

func newEnv(t *testing.T, opts ...mattermosttest.Option) *env {
	t.Helper()
	e := &env{srv: mattermosttest.NewServer(opts...), mux: http.NewServeMux(), clockNow: time.Now()}
	t.Cleanup(e.srv.Close)
	var token string
	e.bot, token = e.srv.AddBot("ghlbot")
	e.alice = e.srv.AddUser("alice")
	e.channel = e.srv.AddChannel("sales")
	c, err := mattermost.NewClient(e.srv.URL, token, fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	e.app = httptest.NewServer(e.mux)
	t.Cleanup(e.app.Close)
	e.signer, err = mattermost.NewSigner(testSecret, mattermost.WithSignerClock(e.now))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// slash registers /ghl in the fake and serves set at /command.
func (e *env) slash(t *testing.T, set *mattermost.CommandSet, extraTokens ...string) (*mattermost.SlashHandler, string) {
	t.Helper()
	return e.slashWith(t, set, nil, extraTokens...)
}

// slashWith is slash with handler options.
func (e *env) slashWith(t *testing.T, set *mattermost.CommandSet, opts []mattermost.HandlerOption, extraTokens ...string) (*mattermost.SlashHandler, string) {
	t.Helper()
	tok := e.srv.AddCommand("ghl", e.app.URL+"/command")
	rc, err := mattermost.NewResponseClient(fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mattermost.NewSlashHandler(append(extraTokens, tok), set.Dispatch, append([]mattermost.HandlerOption{mattermost.WithResponseClient(rc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.mux.Handle("/command", h)
	return h, tok
}

func TestSlashCommandThroughFake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	set := mattermost.NewCommandSet("/ghl")
	var got *mattermost.SlashCommand
	var mu sync.Mutex
	err := set.Add(mattermost.Command{Name: "task show", Args: []mattermost.ArgSpec{{Name: "id"}}, Run: func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		mu.Lock()
		got = inv.Request
		mu.Unlock()
		resp := mattermost.InChannel("Task " + mattermost.EscapeInline(inv.Arg("id")))
		resp.Attachments = []mattermost.Attachment{{Title: "details"}}
		resp.ExtraResponses = []*mattermost.CommandResponse{mattermost.Ephemeral("only for you")}
		return resp, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, tok := e.slash(t, set)

	res, err := e.srv.As(e.alice.ID).SlashCommand(context.Background(), e.channel.ID, "/ghl task show t_1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || res.Response.ResponseType != "in_channel" || res.Response.Text != `Task t\_1` {
		t.Fatalf("result %+v / %+v", res, res.Response)
	}
	mu.Lock()
	defer mu.Unlock()
	want := mattermost.SlashCommand{
		ChannelID: e.channel.ID, ChannelName: "sales", Command: "/ghl", ResponseURL: res.Request.ResponseURL,
		TeamDomain: e.srv.Team().Name, TeamID: e.srv.Team().ID, Text: "task show t_1", Token: tok,
		TriggerID: res.Request.TriggerID, UserID: e.alice.ID, UserName: "alice",
	}
	if got == nil || *got != want {
		t.Errorf("handler got %+v\nwant %+v", got, want)
	}
	if !strings.HasPrefix(want.ResponseURL, e.srv.URL+"/hooks/commands/") || want.TriggerID == "" {
		t.Errorf("response_url %q trigger %q", want.ResponseURL, want.TriggerID)
	}
	posts := e.srv.Posts(e.channel.ID)
	if len(posts) != 1 || posts[0].Message != `Task t\_1` || posts[0].UserID != e.alice.ID || len(posts[0].Props.Attachments) != 1 {
		t.Errorf("posts %+v", posts)
	}
	eph := e.srv.Ephemeral(e.alice.ID)
	if len(eph) != 1 || eph[0].Post.Message != "only for you" {
		t.Errorf("ephemeral %+v", eph)
	}
}

func TestSlashCommandRefusesBadTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int32
	set := mattermost.NewCommandSet("/ghl")
	_ = set.Add(mattermost.Command{Name: "secret", Run: func(context.Context, *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		calls.Add(1)
		return mattermost.Ephemeral("the secret"), nil
	}})
	_, tok := e.slash(t, set, "second-command-token")

	cmd := func(formToken string) *mattermost.SlashCommand {
		return &mattermost.SlashCommand{ChannelID: e.channel.ID, Command: "/ghl", Text: "secret", Token: formToken, UserID: e.alice.ID}
	}
	tests := []struct {
		name   string
		form   string
		header string // "" leaves the header NewSlashRequest sets; "-" removes it
		method string
		want   int
	}{
		{"valid", tok, "", "", 200},
		{"other configured token", "second-command-token", "", "", 200},
		{"header only", "", "Token " + tok, "", 200},
		{"wrong token", "guess", "", "", 401},
		{"prefix of token", tok[:len(tok)-1], "", "", 401},
		{"token plus suffix", tok + "x", "", "", 401},
		{"no token", "", "-", "", 401},
		{"valid form, wrong header", tok, "Token guess", "", 401},
		{"wrong form, valid header", "guess", "Token " + tok, "", 401},
		{"bearer scheme", "", "Bearer " + tok, "", 401},
		{"PUT", tok, "", http.MethodPut, 405},
	}
	for _, tt := range tests {
		req, err := mattermosttest.NewSlashRequest(context.Background(), e.app.URL+"/command", cmd(tt.form))
		if err != nil {
			t.Fatal(err)
		}
		switch tt.header {
		case "-":
			req.Header.Del("Authorization")
		case "":
		default:
			req.Header.Set("Authorization", tt.header)
		}
		if tt.method != "" {
			req.Method = tt.method
		}
		before := calls.Load()
		resp, err := e.app.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
		ran := calls.Load() > before
		if ran != (tt.want == 200) {
			t.Errorf("%s: command ran = %v", tt.name, ran)
		}
		if tt.want != 200 && strings.Contains(string(body), "the secret") {
			t.Errorf("%s: refused request got the answer", tt.name)
		}
		if tt.want == 200 && resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: content type %q", tt.name, resp.Header.Get("Content-Type"))
		}
	}
	// A GET with the form in the query (a command configured for GET)
	// works with the token in the Authorization header, as Mattermost
	// sends it; a token in the query string alone is not read.
	q := cmd(tok).Values().Encode()
	resp, err := e.app.Client().Get(e.app.URL + "/command?" + q)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET with the token in the query only: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, e.app.URL+"/command?"+q, nil)
	req.Header.Set("Authorization", "Token "+tok)
	resp, err = e.app.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET with the Authorization header: %d", resp.StatusCode)
	}
	// POST with the token in the query string only: refused too.
	noTok := cmd("")
	req, _ = http.NewRequest(http.MethodPost, e.app.URL+"/command?token="+url.QueryEscape(tok), strings.NewReader(noTok.Values().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = e.app.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST with the token in the query: %d, want 401", resp.StatusCode)
	}
}

func TestNewSlashHandlerRejects(t *testing.T) {
	t.Parallel()
	fn := func(context.Context, *mattermost.SlashCommand) (*mattermost.CommandResponse, error) { return nil, nil }
	if _, err := mattermost.NewSlashHandler(nil, fn); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("no tokens: %v", err)
	}
	if _, err := mattermost.NewSlashHandler([]string{""}, fn); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("empty token: %v", err)
	}
	if _, err := mattermost.NewSlashHandler([]string{"t"}, nil); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("nil fn: %v", err)
	}
	h, err := mattermost.NewSlashHandler([]string{"alpha", "beta"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]bool{"alpha": true, "beta": true, "": false, "alph": false, "alphaa": false, "ALPHA": false} {
		if h.ValidToken(tok) != want {
			t.Errorf("ValidToken(%q) = %v", tok, !want)
		}
	}
}

func TestSlashCommandErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	set := mattermost.NewCommandSet("/ghl")
	_ = set.Add(mattermost.Command{Name: "user", Run: func(context.Context, *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		return nil, mattermost.UserErrorf("No contact with ID %s.", "`x`")
	}})
	_ = set.Add(mattermost.Command{Name: "internal", Run: func(context.Context, *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		return nil, errors.New("database password=hunter2 refused")
	}})
	e.slash(t, set)
	alice := e.srv.As(e.alice.ID)
	res, err := alice.SlashCommand(context.Background(), e.channel.ID, "/ghl user")
	if err != nil || res.Response.Text != "No contact with ID `x`." || res.Response.ResponseType != "ephemeral" {
		t.Errorf("user error: %+v %v", res.Response, err)
	}
	res, err = alice.SlashCommand(context.Background(), e.channel.ID, "/ghl internal")
	if err != nil || !strings.HasPrefix(res.Response.Text, "Sorry, that did not work (ref ") || strings.Contains(res.Response.Text, "hunter2") {
		t.Errorf("internal error shown as %q (%v)", res.Response.Text, err)
	}
	if posts := e.srv.Posts(e.channel.ID); len(posts) != 0 {
		t.Errorf("errors were posted in the channel: %+v", posts)
	}
}

func TestDeferredCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	set := mattermost.NewCommandSet("/ghl")
	release := make(chan struct{})
	_ = set.Add(mattermost.Command{Name: "report", Run: func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		user := inv.Request.UserName
		return mattermost.Defer(nil, func(ctx context.Context) (*mattermost.CommandResponse, error) {
			<-release // the slow part
			return mattermost.InChannel("Report for " + user + " is ready"), nil
		}), nil
	}})
	_ = set.Add(mattermost.Command{Name: "fail", Run: func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		return mattermost.Defer(mattermost.Ephemeral("Fetching…"), func(ctx context.Context) (*mattermost.CommandResponse, error) {
			return nil, mattermost.UserErrorf("HighLevel is not answering.")
		}), nil
	}})
	h, _ := e.slash(t, set)
	alice := e.srv.As(e.alice.ID)
	res, err := alice.SlashCommand(context.Background(), e.channel.ID, "/ghl report")
	if err != nil {
		t.Fatal(err)
	}
	// The answer came at once, while the work is still blocked.
	if res.Response.Text != "Working on it…" || res.Response.ResponseType != "ephemeral" {
		t.Errorf("ack %+v", res.Response)
	}
	if n := len(e.srv.Posts(e.channel.ID)); n != 0 {
		t.Errorf("%d posts before the work finished", n)
	}
	close(release)
	h.Wait()
	posts := e.srv.Posts(e.channel.ID)
	if len(posts) != 1 || posts[0].Message != "Report for alice is ready" || posts[0].UserID != e.alice.ID {
		t.Errorf("posts after deferred work: %+v", posts)
	}

	if _, err := alice.SlashCommand(context.Background(), e.channel.ID, "/ghl fail"); err != nil {
		t.Fatal(err)
	}
	h.Wait()
	var texts []string
	for _, ep := range e.srv.Ephemeral(e.alice.ID) {
		texts = append(texts, ep.Post.Message)
	}
	// The deferred answer may arrive before Mattermost shows the ack.
	slices.Sort(texts)
	if strings.Join(texts, "|") != "Fetching…|HighLevel is not answering.|Working on it…" {
		t.Errorf("ephemeral posts %q", texts)
	}
}

func TestDeferTimeoutBoundsDeferredWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	set := mattermost.NewCommandSet("/ghl")
	ended := make(chan error, 1)
	_ = set.Add(mattermost.Command{Name: "slow", Run: func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		return mattermost.Defer(nil, func(ctx context.Context) (*mattermost.CommandResponse, error) {
			<-ctx.Done() // work that never finishes on its own
			ended <- ctx.Err()
			return nil, ctx.Err()
		}), nil
	}})
	h, _ := e.slashWith(t, set, []mattermost.HandlerOption{mattermost.WithDeferTimeout(5 * time.Millisecond)})
	if _, err := e.srv.As(e.alice.ID).SlashCommand(context.Background(), e.channel.ID, "/ghl slow"); err != nil {
		t.Fatal(err)
	}
	h.Wait()
	if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deferred work ended with %v, want the deadline", err)
	}
	if _, err := mattermost.NewSlashHandler([]string{"t"}, set.Dispatch, mattermost.WithDeferTimeout(0)); err == nil {
		t.Error("WithDeferTimeout(0) accepted")
	}
}

// buttonPost creates, as the bot, a post with a signed "Complete" button.
func (e *env) buttonPost(t *testing.T, values map[string]string) *mattermost.Post {
	t.Helper()
	in, err := e.signer.Integration(e.app.URL+"/action", "complete", values, mattermost.Binding{})
	if err != nil {
		t.Fatal(err)
	}
	p := &mattermost.Post{ChannelID: e.channel.ID, Message: "Task: Call John"}
	p.Props.Attachments = []mattermost.Attachment{{Title: "Call John", Actions: []mattermost.Action{
		{ID: "complete", Name: "Complete", Style: "primary", Integration: in},
	}}}
	created, err := e.client.CreatePost(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func TestActionButtonFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ah, err := mattermost.NewActionHandler(e.signer)
	if err != nil {
		t.Fatal(err)
	}
	var seen []*mattermost.ActionRequest
	var mu sync.Mutex
	ah.Handle("complete", func(ctx context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		mu.Lock()
		seen = append(seen, req)
		mu.Unlock()
		up := &mattermost.PostUpdate{Message: "✅ Completed by @" + req.UserName}
		up.Props.Attachments = []mattermost.Attachment{{Title: "Call John", Color: "#2E7D32"}}
		return &mattermost.ActionResponse{Update: up, EphemeralText: "Task " + req.Values["task"] + " completed."}, nil
	})
	e.mux.Handle("/action", ah)
	post := e.buttonPost(t, map[string]string{"task": "t1", "contact": "c1"})

	// Like Mattermost, the API does not hand integrations back to clients.
	if in := post.Props.Attachments[0].Actions[0].Integration; in != nil {
		t.Errorf("API response carries the integration: %+v", in)
	}
	res, err := e.srv.As(e.alice.ID).ClickButton(context.Background(), post.ID, "Complete")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
	mu.Lock()
	if len(seen) != 1 {
		t.Fatalf("handler calls: %d", len(seen))
	}
	req := seen[0]
	mu.Unlock()
	if req.Action != "complete" || req.Values["task"] != "t1" || req.Values["contact"] != "c1" ||
		req.UserID != e.alice.ID || req.UserName != "alice" || req.PostID != post.ID || req.ChannelID != e.channel.ID ||
		req.ChannelName != "sales" || req.TeamID != e.srv.Team().ID || req.TriggerID == "" {
		t.Errorf("request %+v", req)
	}
	stored, _ := e.srv.Post(post.ID)
	if stored.Message != "✅ Completed by @alice" || len(stored.Props.Attachments) != 1 || len(stored.Props.Attachments[0].Actions) != 0 {
		t.Errorf("post after click: %+v", stored)
	}
	eph := e.srv.Ephemeral(e.alice.ID)
	// Mattermost threads the ephemeral text under the clicked post.
	if len(eph) != 1 || eph[0].Post.Message != "Task t1 completed." || eph[0].Post.ChannelID != e.channel.ID || eph[0].Post.RootID != post.ID {
		t.Errorf("ephemeral %+v", eph)
	}
	// The updated post has no button left to click.
	if _, err := e.srv.As(e.alice.ID).ClickButton(context.Background(), post.ID, "Complete"); err == nil {
		t.Error("clicked a button that the update removed")
	}
}

func TestActionRefusesForgeries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ah, _ := mattermost.NewActionHandler(e.signer)
	var calls atomic.Int32
	ah.Handle("complete", func(context.Context, *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		calls.Add(1)
		return &mattermost.ActionResponse{EphemeralText: "done"}, nil
	})
	e.mux.Handle("/action", ah)

	good, _ := e.signer.Integration(e.app.URL+"/action", "complete", map[string]string{"task": "t1"}, mattermost.Binding{})
	goodTok := good.Context[mattermost.ContextKey].(string)
	other, _ := mattermost.NewSigner([]byte("another secret of 32 bytes......"))
	otherIn, _ := other.Integration(e.app.URL+"/action", "complete", map[string]string{"task": "t1"}, mattermost.Binding{})
	state, _ := e.signer.DialogState("complete", map[string]string{"task": "t1"}, mattermost.Binding{})
	// Swap the signed payload for one naming another task, keeping the MAC.
	parts := strings.Split(goodTok, ".")
	forged, _ := e.signer.Sign(mattermost.KindAction, "complete", map[string]string{"task": "t2"}, time.Hour)
	swapped := parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2]

	tests := []struct {
		name    string
		context map[string]any
		status  int
	}{
		{"valid", good.Context, 200},
		{"no context", nil, 403},
		{"context without signature", map[string]any{"task": "t1", "action": "complete"}, 403},
		{"payload swapped", map[string]any{mattermost.ContextKey: swapped}, 403},
		{"other secret", otherIn.Context, 403},
		{"dialog state as context", map[string]any{mattermost.ContextKey: state}, 403},
		{"not a string", map[string]any{mattermost.ContextKey: map[string]any{"x": 1}}, 403},
		{"mac altered", map[string]any{mattermost.ContextKey: mattermost.TamperMAC(t, goodTok)}, 403},
		{"re-spelled", map[string]any{mattermost.ContextKey: mattermost.Respellings(t, goodTok)[0]}, 403},
	}
	for _, tt := range tests {
		ar := &mattermost.ActionRequest{UserID: e.alice.ID, UserName: "alice", PostID: "p", Context: tt.context}
		req, _ := mattermosttest.NewActionRequest(context.Background(), e.app.URL+"/action", ar)
		before := calls.Load()
		resp, err := e.app.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if ran := calls.Load() > before; ran != (tt.status == 200) {
			t.Errorf("%s: handler ran = %v", tt.name, ran)
		}
	}

	// An expired button: refused politely, handler not called.
	post := e.buttonPost(t, map[string]string{"task": "t1"})
	e.advance(8 * 24 * time.Hour)
	before := calls.Load()
	res, err := e.srv.As(e.alice.ID).ClickButton(context.Background(), post.ID, "complete")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || res.Response.EphemeralText != mattermost.ExpiredActionText || res.Response.Update != nil || calls.Load() != before {
		t.Errorf("expired click: %+v %+v, calls %d->%d", res, res.Response, before, calls.Load())
	}
	if stored, _ := e.srv.Post(post.ID); stored.Message != "Task: Call John" {
		t.Errorf("expired click changed the post: %q", stored.Message)
	}

	// Not JSON, wrong method.
	resp, _ := e.app.Client().Post(e.app.URL+"/action", "application/json", strings.NewReader("{"))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad JSON: %d", resp.StatusCode)
	}
	resp, _ = e.app.Client().Get(e.app.URL + "/action")
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

func TestActionHandlerUnknownActionAndErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ah, _ := mattermost.NewActionHandler(e.signer)
	ah.Handle("complete", func(context.Context, *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		return nil, mattermost.UserErrorf("That task is already done.")
	})
	e.mux.Handle("/action", ah)
	post := e.buttonPost(t, nil)
	res, err := e.srv.As(e.alice.ID).ClickButton(context.Background(), post.ID, "Complete")
	if err != nil || res.Response.EphemeralText != "That task is already done." {
		t.Errorf("user error: %+v %v", res.Response, err)
	}
	in, _ := e.signer.Integration(e.app.URL+"/action", "retired", nil, mattermost.Binding{})
	p := &mattermost.Post{ChannelID: e.channel.ID, Message: "old"}
	p.Props.Attachments = []mattermost.Attachment{{Actions: []mattermost.Action{{Name: "Old", Integration: in}}}}
	old, err := e.client.CreatePost(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	res, err = e.srv.As(e.alice.ID).ClickButton(context.Background(), old.ID, "Old")
	if err != nil || res.Status != 200 || res.Response.EphemeralText != "This button is no longer supported." {
		t.Errorf("unknown action: %+v %v", res.Response, err)
	}
}

func TestSelectOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ah, _ := mattermost.NewActionHandler(e.signer)
	got := make(chan string, 1)
	ah.Handle("assign", func(_ context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		got <- req.Values["task"] + "->" + req.SelectedOption()
		return nil, nil
	})
	e.mux.Handle("/action", ah)
	in, _ := e.signer.Integration(e.app.URL+"/action", "assign", map[string]string{"task": "t9"}, mattermost.Binding{})
	p := &mattermost.Post{ChannelID: e.channel.ID, Message: "assign"}
	p.Props.Attachments = []mattermost.Attachment{{Actions: []mattermost.Action{{ID: "who", Name: "Assign", Type: mattermost.ActionTypeSelect,
		Options: []mattermost.ActionOption{{Text: "Bob", Value: "u_bob"}}, Integration: in}}}}
	post, err := e.client.CreatePost(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.As(e.alice.ID).SelectOption(context.Background(), post.ID, "who", "u_bob"); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "t9->u_bob" {
		t.Errorf("got %q", v)
	}
}

// dialogEnv serves a slash command "task new <contact>" that opens a dialog
// and a DialogHandler for it.
func dialogEnv(t *testing.T, fn mattermost.DialogFunc, opts ...mattermosttest.Option) (*env, *mattermost.DialogHandler) {
	t.Helper()
	e := newEnv(t, opts...)
	dh, err := mattermost.NewDialogHandler(e.signer)
	if err != nil {
		t.Fatal(err)
	}
	dh.Handle("create_task", fn)
	e.mux.Handle("/dialog", dh)
	set := mattermost.NewCommandSet("/ghl")
	_ = set.Add(mattermost.Command{Name: "task new", Args: []mattermost.ArgSpec{{Name: "contact"}}, Run: func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		d := mattermost.Dialog{
			CallbackID: "create_task", Title: "New task", SubmitLabel: "Create", NotifyOnCancel: true,
			Elements: []mattermost.DialogElement{
				{DisplayName: "Title", Name: "title", Type: mattermost.ElementText, MaxLength: 50},
				{DisplayName: "Due", Name: "due", Type: mattermost.ElementText, Optional: true},
				{DisplayName: "Urgent", Name: "urgent", Type: mattermost.ElementBool, Default: "false"},
			},
		}
		if err := dh.Open(ctx, e.client, inv.Request.TriggerID, e.app.URL+"/dialog", d, map[string]string{"contact": inv.Arg("contact")}, mattermost.Binding{ChannelID: inv.Request.ChannelID, UserID: inv.Request.UserID}); err != nil {
			return nil, err
		}
		return nil, nil
	}})
	e.slash(t, set)
	return e, dh
}

func TestDialogFlow(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var subs []*mattermost.DialogSubmission
	e, _ := dialogEnv(t, func(_ context.Context, sub *mattermost.DialogSubmission) (*mattermost.DialogResponse, error) {
		mu.Lock()
		subs = append(subs, sub)
		mu.Unlock()
		if sub.Cancelled {
			return nil, nil
		}
		if due := sub.String("due"); due != "" && len(due) != 10 {
			return mattermost.FieldErrors(map[string]string{"due": "Use YYYY-MM-DD."}), nil
		}
		return nil, nil
	})
	alice := e.srv.As(e.alice.ID)
	ctx := context.Background()
	if _, err := alice.SlashCommand(ctx, e.channel.ID, "/ghl task new c1"); err != nil {
		t.Fatal(err)
	}
	dialogs := e.srv.Dialogs()
	if len(dialogs) != 1 {
		t.Fatalf("%d dialogs opened", len(dialogs))
	}
	d := dialogs[0]
	if d.UserID != e.alice.ID || d.OpenedBy != e.bot.ID || d.ChannelID != e.channel.ID || d.URL != e.app.URL+"/dialog" ||
		d.Dialog.CallbackID != "create_task" || !strings.HasPrefix(d.Dialog.State, "v1.") {
		t.Errorf("dialog %+v", d)
	}

	// The webapp itself refuses a missing required field.
	var inErr *mattermosttest.InputError
	if _, err := alice.SubmitDialog(ctx, d, map[string]any{"due": "2024-07-01"}); !errors.As(err, &inErr) || inErr.Errors["title"] == "" {
		t.Errorf("missing title: %v", err)
	}
	// The integration's own check answers per field; the dialog stays open.
	res, err := alice.SubmitDialog(ctx, d, map[string]any{"title": "Call John", "due": "soon"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Closed || res.Response == nil || res.Response.Errors["due"] != "Use YYYY-MM-DD." || len(res.Response.Errors) != 1 {
		t.Errorf("field errors: %+v %+v", res, res.Response)
	}
	res, err = alice.SubmitDialog(ctx, d, map[string]any{"title": "Call John", "due": "2024-07-01", "urgent": true})
	if err != nil || !res.Closed || res.Response != nil || res.Status != 200 {
		t.Fatalf("valid submission: %+v %v", res, err)
	}
	res, err = alice.CancelDialog(ctx, d)
	if err != nil || !res.Sent || res.Status != 200 {
		t.Fatalf("cancel: %+v %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(subs) != 3 {
		t.Fatalf("%d submissions reached the handler", len(subs))
	}
	ok := subs[1]
	if ok.Type != mattermost.DialogSubmitted || ok.Values["contact"] != "c1" || ok.String("title") != "Call John" || !ok.Bool("urgent") ||
		ok.UserID != e.alice.ID || ok.ChannelID != e.channel.ID || ok.Cancelled {
		t.Errorf("submission %+v", ok)
	}
	if c := subs[2]; !c.Cancelled || c.Type != mattermost.DialogSubmitted || c.Values["contact"] != "c1" {
		t.Errorf("cancel %+v", c)
	}
}

func TestDialogRefusesForgeries(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	e, _ := dialogEnv(t, func(context.Context, *mattermost.DialogSubmission) (*mattermost.DialogResponse, error) {
		calls.Add(1)
		return nil, nil
	})
	good, _ := e.signer.DialogState("create_task", map[string]string{"contact": "c1"}, mattermost.Binding{})
	otherCallback, _ := e.signer.DialogState("delete_contact", map[string]string{"contact": "c1"}, mattermost.Binding{})
	action, _ := e.signer.Integration(e.app.URL+"/x", "create_task", nil, mattermost.Binding{})
	tests := []struct {
		name, callback, state string
		status                int
	}{
		{"valid", "create_task", good, 200},
		{"no state", "create_task", "", 403},
		{"state of another dialog", "create_task", otherCallback, 403},
		{"callback renamed", "delete_contact", good, 403},
		{"button token as state", "create_task", action.Context[mattermost.ContextKey].(string), 403},
		{"mac altered", "create_task", mattermost.TamperMAC(t, good), 403},
		{"re-spelled", "create_task", mattermost.Respellings(t, good)[0], 403},
	}
	for _, tt := range tests {
		sub := &mattermost.DialogSubmission{Type: mattermost.DialogSubmitted, CallbackID: tt.callback, State: tt.state,
			UserID: e.alice.ID, Submission: map[string]any{"title": "x"}}
		req, _ := mattermosttest.NewDialogRequest(context.Background(), e.app.URL+"/dialog", sub)
		before := calls.Load()
		resp, err := e.app.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if ran := calls.Load() > before; ran != (tt.status == 200) {
			t.Errorf("%s: handler ran = %v", tt.name, ran)
		}
	}
	// Expired state: the dialog stays open with a message; handler not called.
	e.advance(2 * time.Hour)
	sub := &mattermost.DialogSubmission{Type: mattermost.DialogSubmitted, CallbackID: "create_task", State: good, Submission: map[string]any{}}
	req, _ := mattermosttest.NewDialogRequest(context.Background(), e.app.URL+"/dialog", sub)
	before := calls.Load()
	resp, err := e.app.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var dr mattermost.DialogResponse
	_ = json.NewDecoder(resp.Body).Decode(&dr)
	resp.Body.Close()
	if resp.StatusCode != 200 || dr.Error != mattermost.ExpiredDialogText || calls.Load() != before {
		t.Errorf("expired: %d %+v", resp.StatusCode, dr)
	}
}

func TestOpenDialogTriggerExpires(t *testing.T) {
	t.Parallel()
	// A trigger ID is valid for the server's integration timeout (30 s by
	// default; 3 s on old servers), and expires once more has passed.
	tests := []struct {
		name string
		opts []mattermosttest.Option
		wait time.Duration
		ok   bool
	}{
		{"default, at 30s", nil, mattermosttest.DefaultTriggerTTL, true},
		{"default, past 30s", nil, mattermosttest.DefaultTriggerTTL + time.Millisecond, false},
		{"old server, at 3s", []mattermosttest.Option{mattermosttest.WithTriggerTTL(3 * time.Second)}, 3 * time.Second, true},
		{"old server, past 3s", []mattermosttest.Option{mattermosttest.WithTriggerTTL(3 * time.Second)}, 3*time.Second + time.Millisecond, false},
	}
	if mattermosttest.DefaultTriggerTTL != 30*time.Second {
		t.Fatalf("DefaultTriggerTTL = %v", mattermosttest.DefaultTriggerTTL)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var now atomic.Int64
			now.Store(time.Now().UnixNano())
			clock := func() time.Time { return time.Unix(0, now.Load()) }
			e := newEnv(t, append([]mattermosttest.Option{mattermosttest.WithClock(clock)}, tt.opts...)...)
			triggers := make(chan string, 1)
			set := mattermost.NewCommandSet("/ghl")
			_ = set.Add(mattermost.Command{Name: "x", Run: func(_ context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
				triggers <- inv.Request.TriggerID
				return nil, nil
			}})
			e.slash(t, set)
			if _, err := e.srv.As(e.alice.ID).SlashCommand(context.Background(), e.channel.ID, "/ghl x"); err != nil {
				t.Fatal(err)
			}
			trigger := <-triggers
			now.Add(int64(tt.wait))
			err := e.client.OpenDialog(context.Background(), &mattermost.OpenDialogRequest{TriggerID: trigger, URL: e.app.URL + "/dialog", Dialog: mattermost.Dialog{Title: "late"}})
			if tt.ok {
				if err != nil || len(e.srv.Dialogs()) != 1 {
					t.Errorf("err = %v, %d dialogs", err, len(e.srv.Dialogs()))
				}
				return
			}
			var apiErr *mattermost.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.ID != "interactive_message.decode_trigger_id.expired" {
				t.Errorf("err = %v", err)
			}
			if n := len(e.srv.Dialogs()); n != 0 {
				t.Errorf("%d dialogs opened", n)
			}
		})
	}
}

// TestCreatePostDedupeAfterDroppedConnection: Mattermost applies the create,
// the connection drops before the answer, the client retries with the same
// pending_post_id and gets the same post back: exactly one post exists.
func TestCreatePostDedupeAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Fail(mattermosttest.Fault{Method: http.MethodPost, Path: "/api/v4/posts", AfterWrite: true})
	p, err := e.client.CreatePost(context.Background(), &mattermost.Post{ChannelID: e.channel.ID, Message: "only once"})
	if err != nil {
		t.Fatal(err)
	}
	posts := e.srv.Posts(e.channel.ID)
	if len(posts) != 1 || posts[0].ID != p.ID || posts[0].Message != "only once" {
		t.Fatalf("posts %+v, returned %+v", posts, p)
	}
	var creates []string
	for _, r := range e.srv.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v4/posts" {
			var body struct {
				Pending string `json:"pending_post_id"`
			}
			_ = json.Unmarshal(r.Body, &body)
			creates = append(creates, body.Pending)
		}
	}
	if len(creates) != 2 || creates[0] == "" || creates[0] != creates[1] {
		t.Errorf("create attempts with pending ids %q, want two equal", creates)
	}
}

func TestOutageAndFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.srv.SetOutage(true)
	_, err := e.client.Me(ctx)
	var apiErr *mattermost.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("during outage: %v", err)
	}
	e.srv.SetOutage(false)
	if u, err := e.client.Me(ctx); err != nil || u.ID != e.bot.ID || !u.IsBot {
		t.Fatalf("after outage: %+v %v", u, err)
	}
	// One 503 is retried away.
	e.srv.Fail(mattermosttest.Fault{Path: "/api/v4/users/me", Status: 503, Count: 1})
	if _, err := e.client.Me(ctx); err != nil {
		t.Errorf("single 503: %v", err)
	}
	// Latency past the caller's deadline.
	e.srv.Fail(mattermosttest.Fault{Path: "/api/v4/users/me", Latency: time.Second})
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := e.client.Me(tctx); err != context.DeadlineExceeded {
		t.Errorf("latency: err = %v, want context.DeadlineExceeded", err)
	}
	// A revoked token.
	c, _ := mattermost.NewClient(e.srv.URL, "not-a-token", fastRetry)
	if _, err := c.Me(ctx); !mattermost.IsUnauthorized(err) {
		t.Errorf("bad token: %v", err)
	}
}

func TestWebhookThroughFake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wp, err := mattermost.NewWebhookPoster(e.srv.AddWebhook(e.channel.ID), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	msg := mattermost.Message{Text: "Contact updated", Attachments: []mattermost.Attachment{{Title: "Jane"}}}.WebhookMessage()
	msg.Username = "HighLevel"
	if err := wp.Post(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	posts := e.srv.Posts(e.channel.ID)
	if len(posts) != 1 || posts[0].Message != "Contact updated" || len(posts[0].Props.Attachments) != 1 ||
		string(posts[0].Props.Other["override_username"]) != `"HighLevel"` || string(posts[0].Props.Other["from_webhook"]) != `"true"` {
		t.Errorf("posts %+v", posts)
	}
	bad, _ := mattermost.NewWebhookPoster(e.srv.URL+"/hooks/unknownkey", fastRetry)
	err = bad.Post(context.Background(), &mattermost.WebhookMessage{Text: "x"})
	var apiErr *mattermost.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.ID != "web.incoming_webhook.invalid.app_error" || strings.Contains(err.Error(), "unknownkey") {
		t.Errorf("unknown hook: %v", err)
	}
}

func TestPostMessagesThreadsParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	msgs := []mattermost.Message{{Text: "part 1"}, {Text: "part 2"}, {Text: "part 3"}}
	posts, err := e.client.PostMessages(context.Background(), e.channel.ID, "", msgs)
	if err != nil {
		t.Fatal(err)
	}
	thread := e.srv.Thread(posts[0].ID)
	if len(thread) != 3 || thread[0].RootID != "" || thread[1].RootID != posts[0].ID || thread[2].RootID != posts[0].ID || thread[2].Message != "part 3" {
		t.Errorf("thread %+v", thread)
	}
	list, err := e.client.GetThread(context.Background(), posts[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range list.Chronological() {
		got = append(got, p.Message)
	}
	if strings.Join(got, ",") != "part 1,part 2,part 3" {
		t.Errorf("GetThread: %q", got)
	}
	// Replies into an existing thread.
	more, err := e.client.PostMessages(context.Background(), e.channel.ID, posts[0].ID, []mattermost.Message{{Text: "reply"}})
	if err != nil || more[0].RootID != posts[0].ID {
		t.Errorf("reply: %+v %v", more, err)
	}
}
