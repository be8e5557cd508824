package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

func withGHL(opts ...ghltest.Option) envOption {
	return func(c *envConfig) { c.hlOpts = append(c.hlOpts, opts...) }
}

// writesSince returns the requests that change something in HighLevel
// received after the first n requests of the log.
func writesSince(e *env, n int) []ghltest.Request {
	var out []ghltest.Request
	for _, r := range e.hl.Requests()[n:] {
		if r.Method != http.MethodGet && !(r.Method == http.MethodPost && r.Path == "/contacts/search") {
			out = append(out, r)
		}
	}
	return out
}

// mark is the length of the request log, to find the requests after it.
func mark(e *env) int { return len(e.hl.Requests()) }

// wantWrite checks that reqs is exactly one request, method path with the
// JSON body want (compared as JSON: every member, nothing more).
func wantWrite(t *testing.T, reqs []ghltest.Request, method, path, want string) {
	t.Helper()
	if len(reqs) != 1 {
		var got []string
		for _, r := range reqs {
			got = append(got, r.Method+" "+r.Path+" "+string(r.Body))
		}
		t.Fatalf("%d writes, want 1 (%s %s): %q", len(reqs), method, path, got)
	}
	r := reqs[0]
	if r.Method != method || r.Path != path {
		t.Errorf("write = %s %s, want %s %s", r.Method, r.Path, method, path)
	}
	if want == "" {
		if len(bytes.TrimSpace(r.Body)) != 0 {
			t.Errorf("body = %s, want none", r.Body)
		}
		return
	}
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("body = %s, want %s", r.Body, want)
	}
}

// noWrites checks that nothing was written to HighLevel since n.
func noWrites(t *testing.T, e *env, n int, what string) {
	t.Helper()
	for _, r := range writesSince(e, n) {
		t.Errorf("%s wrote to HighLevel: %s %s %s", what, r.Method, r.Path, r.Body)
	}
}

// lastPost is the newest post of the channel that is not an event's.
//
// Posts of HighLevel events (marked with eventProp) are passed over: the
// records a test adds to ghltest send webhooks whose posts may land at any
// time, and the post a test looks for is the one its command made.
func lastPost(t *testing.T, e *env, channelID string) mattermost.Post {
	t.Helper()
	ps := e.posts(channelID)
	for i := len(ps) - 1; i >= 0; i-- {
		if _, event := ps[i].Props.Other[eventProp]; !event {
			return ps[i]
		}
	}
	t.Fatal("no posts but those of HighLevel events")
	return mattermost.Post{}
}

// click clicks action on post as user; the status must be 200.
func click(t *testing.T, e *env, user mattermosttest.User, postID, action string) *mattermosttest.ActionResult {
	t.Helper()
	res, err := e.mm.As(user.ID).ClickButton(context.Background(), postID, action)
	if err != nil {
		t.Fatalf("click %s: %v", action, err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("click %s: status %d", action, res.Status)
	}
	return res
}

// ephemeralText is the ephemeral text of a click's answer.
func ephemeralText(res *mattermosttest.ActionResult) string {
	if res.Response == nil {
		return ""
	}
	return res.Response.EphemeralText
}

// goldenPost compares a post's message and attachments with
// testdata/<name>.golden, signed tokens replaced by a placeholder (they
// hold a random nonce).
func goldenPost(t *testing.T, name string, p mattermost.Post, replace ...string) {
	t.Helper()
	atts := make([]mattermost.Attachment, len(p.Props.Attachments))
	copy(atts, p.Props.Attachments)
	for i := range atts {
		acts := make([]mattermost.Action, len(atts[i].Actions))
		copy(acts, atts[i].Actions)
		for j := range acts {
			if acts[j].Integration != nil {
				in := *acts[j].Integration
				ctx := map[string]any{}
				for k, v := range in.Context {
					ctx[k] = v
				}
				if _, ok := ctx[mattermost.ContextKey]; ok {
					ctx[mattermost.ContextKey] = "<signed>"
				}
				in.Context = ctx
				in.URL = "<bridge>" + strings.TrimPrefix(in.URL, urlPrefix(in.URL))
				acts[j].Integration = &in
			}
		}
		atts[i].Actions = acts
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"message": p.Message, "attachments": atts}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for i := 0; i+1 < len(replace); i += 2 {
		out = strings.ReplaceAll(out, replace[i], replace[i+1])
	}
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s", name, out, want)
	}
}

// urlPrefix is the scheme and host of a URL.
func urlPrefix(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j]
		}
	}
	return u
}
