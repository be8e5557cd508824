package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/ghlkit/ghl/mattermost"
)

const (
	testBase  = "https://mm.example.com"
	testToken = "tok-SECRET-6f1e2d3c4b5a"
)

var fastRetry = mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond})

// wire records the requests that reached the mock transport (under the
// retry layer) and answers them from a script.
type wire struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

// script answers the n-th call with steps[n] (the last step repeats). A step
// is a response, or an error for a connection failure.
func (w *wire) script(steps ...func() (*http.Response, error)) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		w.mu.Lock()
		w.reqs = append(w.reqs, recorded{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), Body: body})
		n := len(w.reqs) - 1
		w.mu.Unlock()
		return steps[min(n, len(steps)-1)]()
	}
}

func (w *wire) requests() []recorded {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]recorded(nil), w.reqs...)
}

func jsonResp(status int, body string) func() (*http.Response, error) {
	return func() (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", "application/json")
		return r, nil
	}
}

func connFail() (*http.Response, error) { return nil, errors.New("connection reset by peer") }

func newMockClient(t *testing.T, opts ...mattermost.Option) (*mattermost.Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	c, err := mattermost.NewClient(testBase, testToken, append([]mattermost.Option{mattermost.WithTransport(mock), fastRetry}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mock
}

// checkHeaders asserts the headers every API call carries.
func checkHeaders(t *testing.T, r recorded, withBody bool) {
	t.Helper()
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != mattermost.DefaultUserAgent {
		t.Errorf("User-Agent = %q", got)
	}
	if ct := r.Header.Get("Content-Type"); withBody && ct != "application/json" || !withBody && ct != "" {
		t.Errorf("Content-Type = %q (body %v)", ct, withBody)
	}
}

// jsonEqual compares JSON documents ignoring formatting.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("body\n got %s\nwant %s", gb, wb)
	}
}

var pendingRE = regexp.MustCompile(`^ghlkit:\d{13}:[0-9a-f]{16}$`)

const postJSON = `{"id":"p1","create_at":1720000000000,"update_at":1720000000000,"user_id":"bot1","channel_id":"ch1","root_id":"","message":"hello <b> & @here","props":{"attachments":[{"title":"T","fields":[{"title":"n","value":42,"short":"true"}],"actions":[{"id":"done","name":"Done","cookie":"ck"}]}],"from_bot":"true"},"pending_post_id":"x","metadata":{"embeds":[]},"unknown_new_field":1}`

func TestCreatePostWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", w.script(jsonResp(201, postJSON)))

	in := &mattermost.Post{ChannelID: "ch1", RootID: "root1", Message: "hello <b> & @here"}
	in.Props.Attachments = []mattermost.Attachment{{
		Title:   "T",
		Actions: []mattermost.Action{{ID: "complete1", Name: "Complete", Integration: &mattermost.Integration{URL: "https://b.example/a", Context: map[string]any{"k": "v"}}}},
	}}
	got, err := c.CreatePost(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	reqs := w.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	checkHeaders(t, r, true)
	var sent map[string]any
	_ = json.Unmarshal(r.Body, &sent)
	pending, _ := sent["pending_post_id"].(string)
	if !pendingRE.MatchString(pending) {
		t.Errorf("pending_post_id = %q", pending)
	}
	jsonEqual(t, r.Body, `{"channel_id":"ch1","root_id":"root1","message":"hello <b> & @here",
		"props":{"attachments":[{"title":"T","actions":[{"id":"complete1","name":"Complete","integration":{"url":"https://b.example/a","context":{"k":"v"}}}]}]},
		"pending_post_id":"`+pending+`"}`)
	if !bytes.Contains(r.Body, []byte("<b> & @here")) {
		t.Errorf("body HTML-escaped: %s", r.Body)
	}
	if in.PendingPostID != "" || in.ID != "" {
		t.Errorf("CreatePost modified its argument: %+v", in)
	}
	// The response is decoded, unknown fields ignored, loose field types read.
	if got.ID != "p1" || got.CreateAt != 1720000000000 || got.UserID != "bot1" || got.Message != "hello <b> & @here" {
		t.Errorf("post = %+v", got)
	}
	att := got.Props.Attachments
	if len(att) != 1 || att[0].Fields[0].Value != "42" || !att[0].Fields[0].Short || att[0].Actions[0].Cookie != "ck" {
		t.Errorf("attachments = %+v", att)
	}
	if string(got.Props.Other["from_bot"]) != `"true"` || string(got.Metadata) != `{"embeds":[]}` {
		t.Errorf("other props %v, metadata %s", got.Props.Other, got.Metadata)
	}
}

func TestCreatePostRetriesWithSamePendingID(t *testing.T) {
	t.Parallel()
	for name, first := range map[string]func() (*http.Response, error){
		"503":             jsonResp(503, `{"id":"x","message":"down","status_code":503}`),
		"connection lost": connFail,
		"429":             jsonResp(429, `{}`),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mock := newMockClient(t)
			var w wire
			mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", w.script(first, jsonResp(201, postJSON)))
			if _, err := c.CreatePost(context.Background(), &mattermost.Post{ChannelID: "ch1", Message: "m"}); err != nil {
				t.Fatal(err)
			}
			reqs := w.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d attempts, want 2", len(reqs))
			}
			var a, b struct {
				Pending string `json:"pending_post_id"`
			}
			_ = json.Unmarshal(reqs[0].Body, &a)
			_ = json.Unmarshal(reqs[1].Body, &b)
			if a.Pending == "" || a.Pending != b.Pending {
				t.Errorf("pending_post_id changed across retries: %q then %q", a.Pending, b.Pending)
			}
		})
	}
}

func TestCreatePostKeepsCallersPendingID(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", w.script(jsonResp(201, postJSON)))
	if _, err := c.CreatePost(context.Background(), &mattermost.Post{ChannelID: "ch1", Message: "m", PendingPostID: "mine:1"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(w.requests()[0].Body, []byte(`"pending_post_id":"mine:1"`)) {
		t.Errorf("body %s", w.requests()[0].Body)
	}
	// Two calls get two different generated IDs.
	a, b := mattermost.NewPendingPostID(), mattermost.NewPendingPostID()
	if a == b || !pendingRE.MatchString(a) {
		t.Errorf("NewPendingPostID: %q, %q", a, b)
	}
}

func TestValidationBeforeRequest(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	ctx := context.Background()
	long := strings.Repeat("é", mattermost.MaxMessageRunes+1)
	okLen := strings.Repeat("é", mattermost.MaxMessageRunes)
	badAction := &mattermost.Post{ChannelID: "c", Message: "m"}
	badAction.Props.Attachments = []mattermost.Attachment{{Actions: []mattermost.Action{{ID: "has_underscore", Name: "x"}}}}
	noName := &mattermost.Post{ChannelID: "c", Message: "m"}
	noName.Props.Attachments = []mattermost.Attachment{{Actions: []mattermost.Action{{ID: "ok"}}}}
	cases := map[string]func() error{
		"nil post":       func() error { _, err := c.CreatePost(ctx, nil); return err },
		"no channel":     func() error { _, err := c.CreatePost(ctx, &mattermost.Post{Message: "m"}); return err },
		"empty":          func() error { _, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: "c"}); return err },
		"too long":       func() error { _, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: "c", Message: long}); return err },
		"bad action id":  func() error { _, err := c.CreatePost(ctx, badAction); return err },
		"action no name": func() error { _, err := c.CreatePost(ctx, noName); return err },
		"patch empty id": func() error { _, err := c.PatchPost(ctx, "", &mattermost.PostPatch{}); return err },
		"patch dotdot":   func() error { _, err := c.PatchPost(ctx, "..", &mattermost.PostPatch{}); return err },
		"patch nil":      func() error { _, err := c.PatchPost(ctx, "p", nil); return err },
		"patch too long": func() error { _, err := c.PatchPost(ctx, "p", &mattermost.PostPatch{Message: &long}); return err },
		"get dot":        func() error { _, err := c.GetPost(ctx, "."); return err },
		"thread empty":   func() error { _, err := c.GetThread(ctx, ""); return err },
		"since no chan":  func() error { _, err := c.GetPostsSince(ctx, "", time.Now()); return err },
		"since zero":     func() error { _, err := c.GetPostsSince(ctx, "c", time.Time{}); return err },
		"ephemeral user": func() error {
			_, err := c.CreateEphemeralPost(ctx, "", &mattermost.Post{ChannelID: "c", Message: "m"})
			return err
		},
		"ephemeral empty": func() error { _, err := c.CreateEphemeralPost(ctx, "u", &mattermost.Post{ChannelID: "c"}); return err },
		"dialog nil":      func() error { return c.OpenDialog(ctx, nil) },
		"dialog trigger": func() error {
			return c.OpenDialog(ctx, &mattermost.OpenDialogRequest{URL: "https://x.example", Dialog: mattermost.Dialog{Title: "t"}})
		},
		"dialog url": func() error {
			return c.OpenDialog(ctx, &mattermost.OpenDialogRequest{TriggerID: "t", URL: "/rel", Dialog: mattermost.Dialog{Title: "t"}})
		},
		"dialog title": func() error {
			return c.OpenDialog(ctx, &mattermost.OpenDialogRequest{TriggerID: "t", URL: "https://x.example"})
		},
		"dialog dup": func() error {
			return c.OpenDialog(ctx, &mattermost.OpenDialogRequest{TriggerID: "t", URL: "https://x.example", Dialog: mattermost.Dialog{Title: "t",
				Elements: []mattermost.DialogElement{{Name: "a", DisplayName: "A", Type: "text"}, {Name: "a", DisplayName: "B", Type: "text"}}}})
		},
		"dialog type": func() error {
			return c.OpenDialog(ctx, &mattermost.OpenDialogRequest{TriggerID: "t", URL: "https://x.example", Dialog: mattermost.Dialog{Title: "t",
				Elements: []mattermost.DialogElement{{Name: "a", DisplayName: "A", Type: "datetime-local"}}}})
		},
		"nil ctx": func() error {
			//lint:ignore SA1012 testing the nil check
			_, err := c.Me(nil) //nolint:staticcheck
			return err
		},
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, mattermost.ErrInvalidParam) {
			t.Errorf("%s: err = %v, want ErrInvalidParam", name, err)
		}
	}
	if n := mock.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
	// Exactly at the limit is fine (counted in characters, not bytes).
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts", w.script(jsonResp(201, postJSON)))
	if _, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: "c", Message: okLen}); err != nil {
		t.Errorf("message of exactly MaxMessageRunes: %v", err)
	}
}

func TestPatchPostWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodPut, testBase+"/api/v4/posts/p%2F1/patch", w.script(jsonResp(200, postJSON)))
	msg := "✅ done"
	props := &mattermost.Props{}
	if err := props.Set("k", map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PatchPost(context.Background(), "p/1", &mattermost.PostPatch{Message: &msg, Props: props}); err != nil {
		t.Fatal(err)
	}
	r := w.requests()[0]
	checkHeaders(t, r, true)
	if r.Method != http.MethodPut || r.URL != testBase+"/api/v4/posts/p%2F1/patch" {
		t.Errorf("%s %s", r.Method, r.URL)
	}
	jsonEqual(t, r.Body, `{"message":"✅ done","props":{"k":{"n":1}}}`)
}

func TestGetPostsSinceWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/channels/c%2F1/posts",
		w.script(jsonResp(200, `{"order":["p2"],"posts":{"p2":{"id":"p2","channel_id":"c/1","message":"m"}}}`)))
	list, err := c.GetPostsSince(context.Background(), "c/1", time.UnixMilli(1700000000123))
	if err != nil || len(list.Order) != 1 || list.Posts["p2"].Message != "m" {
		t.Fatalf("GetPostsSince = %+v, %v", list, err)
	}
	r := w.requests()[0]
	checkHeaders(t, r, false)
	if r.Method != http.MethodGet || r.URL != testBase+"/api/v4/channels/c%2F1/posts?since=1700000000123" || len(r.Body) != 0 {
		t.Errorf("%s %s %q", r.Method, r.URL, r.Body)
	}
}

func TestGetPostAndThreadWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/posts/p1", w.script(jsonResp(200, postJSON)))
	thread := `{"order":["r2","r1","root"],"posts":{
		"root":{"id":"root","create_at":100,"channel_id":"c","message":"root"},
		"r1":{"id":"r1","create_at":200,"channel_id":"c","root_id":"root","message":"one"},
		"r2":{"id":"r2","create_at":300,"channel_id":"c","root_id":"root","message":"two"}},
		"next_post_id":"","prev_post_id":"","has_next":false}`
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/posts/r1/thread", w.script(jsonResp(200, postJSON), jsonResp(200, thread)))
	p, err := c.GetPost(context.Background(), "p1")
	if err != nil || p.ID != "p1" {
		t.Fatalf("GetPost = %+v, %v", p, err)
	}
	list, err := c.GetThread(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range list.Chronological() {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "root,r1,r2" || strings.Join(list.Order, ",") != "r2,r1,root" {
		t.Errorf("chronological %v, order %v", ids, list.Order)
	}
	for i, r := range w.requests() {
		checkHeaders(t, r, false)
		if r.Method != http.MethodGet || len(r.Body) != 0 {
			t.Errorf("request %d: %s with body %q", i, r.Method, r.Body)
		}
	}
	if got := w.requests()[1].URL; got != testBase+"/api/v4/posts/r1/thread" {
		t.Errorf("thread URL %s", got)
	}
}

func TestCreateEphemeralPostWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts/ephemeral", w.script(jsonResp(201, postJSON)))
	if _, err := c.CreateEphemeralPost(context.Background(), "u1", &mattermost.Post{ChannelID: "ch1", Message: "only you"}); err != nil {
		t.Fatal(err)
	}
	r := w.requests()[0]
	checkHeaders(t, r, true)
	jsonEqual(t, r.Body, `{"user_id":"u1","post":{"channel_id":"ch1","message":"only you"}}`)

	// Not deduplicated by Mattermost: a lost connection is not retried.
	c2, mock2 := newMockClient(t)
	var w2 wire
	mock2.RegisterResponder(http.MethodPost, testBase+"/api/v4/posts/ephemeral", w2.script(connFail, jsonResp(201, postJSON)))
	_, err := c2.CreateEphemeralPost(context.Background(), "u1", &mattermost.Post{ChannelID: "ch1", Message: "x"})
	if !errors.Is(err, mattermost.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrOutcomeUnknown", err)
	}
	if n := len(w2.requests()); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestOpenDialogWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodPost, testBase+"/api/v4/actions/dialogs/open", w.script(jsonResp(200, `{"status":"OK"}`)))
	err := c.OpenDialog(context.Background(), &mattermost.OpenDialogRequest{
		TriggerID: "trig", URL: "https://bridge.example/dialog",
		Dialog: mattermost.Dialog{
			CallbackID: "create_task", Title: "New task", SubmitLabel: "Create", NotifyOnCancel: true, State: "st",
			Elements: []mattermost.DialogElement{
				{DisplayName: "Title", Name: "title", Type: mattermost.ElementText, MaxLength: 100},
				{DisplayName: "Due", Name: "due", Type: mattermost.ElementText, Optional: true, Placeholder: "YYYY-MM-DD"},
				{DisplayName: "Urgent", Name: "urgent", Type: mattermost.ElementBool},
				{DisplayName: "Kind", Name: "kind", Type: mattermost.ElementSelect, Options: []mattermost.DialogOption{{Text: "Call", Value: "call"}}},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := w.requests()[0]
	checkHeaders(t, r, true)
	jsonEqual(t, r.Body, `{"trigger_id":"trig","url":"https://bridge.example/dialog","dialog":{
		"callback_id":"create_task","title":"New task","submit_label":"Create","notify_on_cancel":true,"state":"st",
		"elements":[
			{"display_name":"Title","name":"title","type":"text","max_length":100},
			{"display_name":"Due","name":"due","type":"text","optional":true,"placeholder":"YYYY-MM-DD"},
			{"display_name":"Urgent","name":"urgent","type":"bool"},
			{"display_name":"Kind","name":"kind","type":"select","options":[{"text":"Call","value":"call"}]}]}}`)
}

func TestMeWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/users/me", w.script(jsonResp(200, `{"id":"u1","username":"ghlbot","is_bot":true,"roles":"system_user","new":"x"}`)))
	u, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "u1" || u.Username != "ghlbot" || !u.IsBot {
		t.Errorf("user = %+v", u)
	}
	checkHeaders(t, w.requests()[0], false)
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/posts/missing",
		httpmock.NewStringResponder(404, `{"id":"app.post.get.app_error","message":"Unable to get the post.","detailed_error":"","request_id":"req9","status_code":404}`))
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/users/me",
		httpmock.NewStringResponder(401, `{"id":"api.context.session_expired.app_error","message":"Invalid or expired session, please login again.","status_code":401}`))
	mock.RegisterResponder(http.MethodPut, testBase+"/api/v4/posts/p1/patch",
		httpmock.NewStringResponder(403, `<html>Forbidden by proxy</html>`))

	_, err := c.GetPost(context.Background(), "missing")
	var apiErr *mattermost.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err %T %v", err, err)
	}
	if apiErr.StatusCode != 404 || apiErr.ID != "app.post.get.app_error" || apiErr.Message != "Unable to get the post." ||
		apiErr.RequestID != "req9" || apiErr.Method != "GET" || apiErr.Path != "/api/v4/posts/missing" || len(apiErr.Body) == 0 {
		t.Errorf("APIError = %+v", apiErr)
	}
	if !mattermost.IsNotFound(err) || mattermost.IsUnauthorized(err) {
		t.Errorf("IsNotFound/IsUnauthorized wrong for %v", err)
	}
	want := "mattermost: GET /api/v4/posts/missing: 404 Unable to get the post. (app.post.get.app_error, request_id req9)"
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
	}
	if _, err := c.Me(context.Background()); !mattermost.IsUnauthorized(err) {
		t.Errorf("Me: %v", err)
	}
	_, err = c.PatchPost(context.Background(), "p1", &mattermost.PostPatch{})
	if !mattermost.IsForbidden(err) || !errors.As(err, &apiErr) || string(apiErr.Body) != "<html>Forbidden by proxy</html>" || apiErr.Message != "" {
		t.Errorf("non-JSON error body: %v (%+v)", err, apiErr)
	}
}

func TestRetriesExhaustedKeepLastError(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/users/me", w.script(jsonResp(503, `{"id":"x","message":"maintenance","status_code":503}`)))
	_, err := c.Me(context.Background())
	var apiErr *mattermost.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Message != "maintenance" {
		t.Fatalf("err = %v", err)
	}
	if n := len(w.requests()); n != 3 {
		t.Errorf("%d attempts, want 1 + 2 retries", n)
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/users/me", func(r *http.Request) (*http.Response, error) {
		cancel()
		return nil, r.Context().Err()
	})
	_, err := c.Me(ctx)
	if err != context.Canceled {
		t.Errorf("err = %v (%T), want context.Canceled itself", err, err)
	}
}

// TestSecretsNeverLeak sends failing requests whose errors and logs would
// carry the token or webhook key if anything echoed them.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mock := newMockClient(t, mattermost.WithLogger(logger))
	// A hostile or buggy server echoing the token in its error.
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/users/me",
		httpmock.NewStringResponder(401, `{"id":"x","message":"bad token `+testToken+`","detailed_error":"Bearer `+testToken+`","status_code":401}`))
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/posts/p1", httpmock.NewErrorResponder(errors.New("dial failed")))

	const key = "hookKEY9f8e7d6c5b4a"
	hookURL := testBase + "/hooks/" + key
	wp, err := mattermost.NewWebhookPoster(hookURL, mattermost.WithTransport(mock), fastRetry, mattermost.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	mock.RegisterResponder(http.MethodPost, hookURL, httpmock.NewErrorResponder(errors.New("connection reset for "+hookURL)))

	var errs []error
	_, err = c.Me(context.Background())
	errs = append(errs, err)
	_, err = c.GetPost(context.Background(), "p1")
	errs = append(errs, err)
	errs = append(errs, wp.Post(context.Background(), &mattermost.WebhookMessage{Text: "hi"}))
	_, err = mattermost.NewWebhookPoster(testBase + "/nothooks/" + key)
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Fatalf("request %d did not fail", i)
		}
		var apiErr *mattermost.APIError
		if errors.As(err, &apiErr) && (bytes.Contains(apiErr.Body, []byte(testToken)) || strings.Contains(apiErr.DetailedError, testToken)) {
			t.Errorf("error %d carries the token in its body/detail", i)
		}
		for _, secret := range []string{testToken, key} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %d reveals a secret: %v", i, err)
			}
		}
	}
	if !errors.Is(errs[2], mattermost.ErrOutcomeUnknown) {
		t.Errorf("webhook connection failure: %v, want ErrOutcomeUnknown", errs[2])
	}
	if logs.Len() == 0 {
		t.Fatal("nothing logged; the test would prove nothing")
	}
	for _, secret := range []string{testToken, key} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs reveal a secret:\n%s", logs.String())
		}
	}
	if s := wp.String(); s != testBase+"/hooks/[REDACTED]" {
		t.Errorf("String() = %q", s)
	}
}

func TestWebhookPosterWire(t *testing.T) {
	t.Parallel()
	mock := httpmock.NewMockTransport()
	hookURL := testBase + "/hooks/abc123"
	wp, err := mattermost.NewWebhookPoster(hookURL, mattermost.WithTransport(mock), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	var w wire
	mock.RegisterResponder(http.MethodPost, hookURL, w.script(func() (*http.Response, error) {
		return httpmock.NewStringResponse(200, "ok"), nil
	}))
	msg := &mattermost.WebhookMessage{Text: "Task done", Username: "HighLevel", Channel: "sales",
		Attachments: []mattermost.Attachment{{Title: "T", Color: "#fff"}}}
	if err := wp.Post(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	r := w.requests()[0]
	if r.Header.Get("Authorization") != "" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	jsonEqual(t, r.Body, `{"text":"Task done","channel":"sales","username":"HighLevel","attachments":[{"title":"T","color":"#fff"}]}`)

	// 5xx: Mattermost may have posted it; it is not retried.
	mock2 := httpmock.NewMockTransport()
	wp2, _ := mattermost.NewWebhookPoster(hookURL, mattermost.WithTransport(mock2), fastRetry)
	var w2 wire
	mock2.RegisterResponder(http.MethodPost, hookURL, w2.script(jsonResp(500, `{"id":"x","message":"boom","status_code":500}`)))
	err = wp2.Post(context.Background(), &mattermost.WebhookMessage{Text: "x"})
	var apiErr *mattermost.APIError
	if !errors.Is(err, mattermost.ErrOutcomeUnknown) || !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Path != testBase+"/hooks/[REDACTED]" {
		t.Errorf("err = %v", err)
	}
	if n := len(w2.requests()); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	// 400 (bad key) is a plain APIError.
	mock2.RegisterResponder(http.MethodPost, hookURL, httpmock.NewStringResponder(400, `{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook.","status_code":400}`))
	err = wp2.Post(context.Background(), &mattermost.WebhookMessage{Text: "x"})
	if errors.Is(err, mattermost.ErrOutcomeUnknown) || !errors.As(err, &apiErr) || apiErr.ID != "web.incoming_webhook.invalid.app_error" {
		t.Errorf("400: err = %v", err)
	}
	if err := wp2.Post(context.Background(), &mattermost.WebhookMessage{}); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("empty message: %v", err)
	}
}

func TestConstructorsRejectBadInput(t *testing.T) {
	t.Parallel()
	cases := map[string]func() error{
		"relative URL": func() error { _, err := mattermost.NewClient("mm.example.com", "t"); return err },
		"ftp URL":      func() error { _, err := mattermost.NewClient("ftp://mm.example.com", "t"); return err },
		"query":        func() error { _, err := mattermost.NewClient("https://mm.example.com?x=1", "t"); return err },
		"userinfo":     func() error { _, err := mattermost.NewClient("https://u:p@mm.example.com", "t"); return err },
		"empty token":  func() error { _, err := mattermost.NewClient(testBase, ""); return err },
		"token space":  func() error { _, err := mattermost.NewClient(testBase, "a b"); return err },
		"token nl":     func() error { _, err := mattermost.NewClient(testBase, "a\nb"); return err },
		"nil client": func() error {
			_, err := mattermost.NewClient(testBase, "t", mattermost.WithHTTPClient(nil))
			return err
		},
		"nil transport": func() error {
			_, err := mattermost.NewClient(testBase, "t", mattermost.WithTransport(nil))
			return err
		},
		"bad retry": func() error {
			_, err := mattermost.NewClient(testBase, "t", mattermost.WithRetry(mattermost.RetryPolicy{MinWait: time.Second, MaxWait: time.Millisecond}))
			return err
		},
		"bad UA": func() error {
			_, err := mattermost.NewClient(testBase, "t", mattermost.WithUserAgent("a\r\nX: y"))
			return err
		},
		"hook no key":    func() error { _, err := mattermost.NewWebhookPoster(testBase + "/hooks/"); return err },
		"hook not hooks": func() error { _, err := mattermost.NewWebhookPoster(testBase + "/api/v4/x"); return err },
		"hook relative":  func() error { _, err := mattermost.NewWebhookPoster("/hooks/abc"); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, mattermost.ErrInvalidParam) {
			t.Errorf("%s: err = %v, want ErrInvalidParam", name, err)
		}
	}
	c, err := mattermost.NewClient("https://mm.example.com/chat/", "t")
	if err != nil || c.URL() != "https://mm.example.com/chat" {
		t.Errorf("path prefix: %v %v", c, err)
	}
}

func TestWithHTTPClientCopies(t *testing.T) {
	t.Parallel()
	mock := httpmock.NewMockTransport()
	hc := &http.Client{Transport: mock, Timeout: 5 * time.Second}
	c, err := mattermost.NewClient(testBase, testToken, mattermost.WithHTTPClient(hc), mattermost.WithUserAgent("bridge/1.0"))
	if err != nil {
		t.Fatal(err)
	}
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/users/me", w.script(jsonResp(200, `{"id":"u"}`)))
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hc.Transport != mock || hc.Timeout != 5*time.Second || hc.CheckRedirect != nil {
		t.Errorf("caller's client was modified: %+v", hc)
	}
	if ua := w.requests()[0].Header.Get("User-Agent"); ua != "bridge/1.0" {
		t.Errorf("User-Agent %q", ua)
	}
}

func TestPropsRoundTrip(t *testing.T) {
	t.Parallel()
	in := `{"attachments":[{"title":"x","unknown_attachment_field":1}],"from_webhook":"true","card":{"a":[1,2]}}`
	var p mattermost.Props
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, out, `{"attachments":[{"title":"x"}],"from_webhook":"true","card":{"a":[1,2]}}`)
	// Attachments that do not decode are kept as they are.
	var bad mattermost.Props
	if err := json.Unmarshal([]byte(`{"attachments":"not a list"}`), &bad); err != nil {
		t.Fatal(err)
	}
	out, _ = json.Marshal(bad)
	jsonEqual(t, out, `{"attachments":"not a list"}`)
	// Empty props are left out of a post.
	b, _ := json.Marshal(mattermost.Post{ChannelID: "c", Message: "m"})
	if bytes.Contains(b, []byte("props")) {
		t.Errorf("empty props encoded: %s", b)
	}
}

func TestResponseClient(t *testing.T) {
	t.Parallel()
	mock := httpmock.NewMockTransport()
	rc, err := mattermost.NewResponseClient(mattermost.WithTransport(mock), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	respURL := testBase + "/hooks/commands/cmdSECRET123"
	var w wire
	mock.RegisterResponder(http.MethodPost, respURL, w.script(func() (*http.Response, error) { return httpmock.NewStringResponse(200, "ok"), nil }))
	if err := rc.Post(context.Background(), respURL, mattermost.InChannel("done")); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, w.requests()[0].Body, `{"response_type":"in_channel","text":"done"}`)
	mock.RegisterResponder(http.MethodPost, respURL, httpmock.NewErrorResponder(errors.New("reset: "+respURL)))
	err = rc.Post(context.Background(), respURL, mattermost.Ephemeral("x"))
	if err == nil || strings.Contains(err.Error(), "cmdSECRET123") || !errors.Is(err, mattermost.ErrOutcomeUnknown) {
		t.Errorf("err = %v", err)
	}
	if err := rc.Post(context.Background(), "relative", mattermost.Ephemeral("x")); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("bad URL: %v", err)
	}
}
