package mattermost_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// postListJSON renders a PostList of posts given as id:create_at:delete_at.
func postListJSON(posts ...string) string {
	var order, body []string
	for _, p := range posts {
		f := strings.Split(p, ":")
		order = append(order, `"`+f[0]+`"`)
		body = append(body, fmt.Sprintf(`"%s":{"id":"%s","channel_id":"c1","create_at":%s,"update_at":%s,"delete_at":%s,"message":"m"}`, f[0], f[0], f[1], f[1], f[2]))
	}
	return `{"order":[` + strings.Join(order, ",") + `],"posts":{` + strings.Join(body, ",") + `},"next_post_id":"","prev_post_id":""}`
}

func TestGetPostsPageWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/channels/c%2F1/posts",
		w.script(jsonResp(200, `{"order":["p2"],"posts":{"p2":{"id":"p2","channel_id":"c/1","message":"m"}},"next_post_id":"p3","prev_post_id":"p1"}`)))
	list, err := c.GetPostsPage(context.Background(), "c/1", 2, mattermost.MaxPerPage)
	if err != nil || len(list.Order) != 1 || list.NextPostID != "p3" || list.PrevPostID != "p1" {
		t.Fatalf("GetPostsPage = %+v, %v", list, err)
	}
	r := w.requests()[0]
	checkHeaders(t, r, false)
	if r.Method != http.MethodGet || r.URL != testBase+"/api/v4/channels/c%2F1/posts?page=2&per_page=200" || len(r.Body) != 0 {
		t.Errorf("%s %s %q", r.Method, r.URL, r.Body)
	}
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"negative page": func() error { _, err := c.GetPostsPage(ctx, "c", -1, 10); return err },
		"zero per page": func() error { _, err := c.GetPostsPage(ctx, "c", 0, 0); return err },
		"over 200":      func() error { _, err := c.GetPostsPage(ctx, "c", 0, mattermost.MaxPerPage+1); return err },
		"no channel":    func() error { _, err := c.GetPostsPage(ctx, "", 0, 10); return err },
		"since epoch":   func() error { _, err := c.GetPostsSince(ctx, "c", time.UnixMilli(0)); return err },
	} {
		if err := f(); !errors.Is(err, mattermost.ErrInvalidParam) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(w.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func collect(t *testing.T, seq func(func(mattermost.Post, error) bool)) ([]string, error) {
	t.Helper()
	var ids []string
	for p, err := range seq {
		if err != nil {
			return ids, err
		}
		ids = append(ids, p.ID)
	}
	return ids, nil
}

// TestPostsCreatedSinceComplete: fewer than 1,000 changed posts is the
// whole answer: one request; posts created before since (edited since) are
// left out, deleted ones kept.
func TestPostsCreatedSinceComplete(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/channels/c1/posts",
		w.script(jsonResp(200, postListJSON("new:2000:0", "gone:1500:1900", "edited:900:0"))))
	ids, err := collect(t, c.PostsCreatedSince(context.Background(), "c1", time.UnixMilli(1000)))
	if err != nil || strings.Join(ids, ",") != "new,gone" {
		t.Fatalf("ids %v, %v", ids, err)
	}
	reqs := w.requests()
	if len(reqs) != 1 || reqs[0].URL != testBase+"/api/v4/channels/c1/posts?since=1000" {
		t.Errorf("requests %+v", reqs)
	}
}

// TestPostsCreatedSincePagesPastTheCap: a full "since" answer (1,000
// posts) may leave any post out, so the channel is paged, newest first,
// until a post older than since shows up. Repeats (from the since answer,
// or pushed onto the next page by new posts) are yielded once.
func TestPostsCreatedSincePagesPastTheCap(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	const since = 1_000_000
	// The since answer: 1,000 posts s0..s999, all created after since.
	var capped []string
	for i := range mattermost.MaxPostsSince {
		capped = append(capped, "s"+strconv.Itoa(i)+":"+strconv.Itoa(since+10_000+i)+":0")
	}
	// Page 0: 200 posts, the newest of which (s999) the since answer held.
	var page0 []string
	page0 = append(page0, "s999:"+strconv.Itoa(since+20_000)+":0")
	for i := range mattermost.MaxPerPage - 1 {
		page0 = append(page0, "a"+strconv.Itoa(i)+":"+strconv.Itoa(since+9_000-i)+":0")
	}
	// Page 1 repeats page 0's last post (a post came in meanwhile), holds
	// the one the since answer missed, then reaches posts older than since.
	page1 := []string{page0[len(page0)-1], "missed:" + strconv.Itoa(since+1) + ":0", "old:" + strconv.Itoa(since) + ":0", "older:5:0"}
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/channels/c1/posts", func(r *http.Request) (*http.Response, error) {
		body := ""
		switch r.URL.RawQuery {
		case "since=" + strconv.Itoa(since):
			body = postListJSON(capped...)
		case "page=0&per_page=200":
			body = postListJSON(page0...)
		case "page=1&per_page=200":
			body = postListJSON(page1...)
		default:
			return httpmock.NewStringResponse(400, "unexpected query "+r.URL.RawQuery), nil
		}
		return w.script(jsonResp(200, body))(r)
	})
	ids, err := collect(t, c.PostsCreatedSince(context.Background(), "c1", time.UnixMilli(since)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	if len(ids) != mattermost.MaxPostsSince+mattermost.MaxPerPage-1+1 || seen["missed"] != 1 || seen["old"] != 0 || seen["older"] != 0 || seen["s999"] != 1 || seen[page0[len(page0)-1][:4]] != 1 {
		t.Errorf("%d posts yielded; missed %d, old %d, s999 %d", len(ids), seen["missed"], seen["old"], seen["s999"])
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s yielded %d times", id, n)
		}
	}
	var urls []string
	for _, r := range w.requests() {
		urls = append(urls, strings.TrimPrefix(r.URL, testBase+"/api/v4/channels/c1/posts?"))
	}
	if strings.Join(urls, " ") != "since=1000000 page=0&per_page=200 page=1&per_page=200" {
		t.Errorf("requests: %v", urls)
	}

	// A caller that stops early stops the paging too.
	before := len(w.requests())
	for p, err := range c.PostsCreatedSince(context.Background(), "c1", time.UnixMilli(since)) {
		if err != nil || p.ID == "" {
			t.Fatal(p, err)
		}
		break
	}
	if n := len(w.requests()) - before; n != 1 {
		t.Errorf("%d requests after an early break, want 1", n)
	}
}

func TestPostsCreatedSinceError(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var capped []string
	for i := range mattermost.MaxPostsSince {
		capped = append(capped, "s"+strconv.Itoa(i)+":"+strconv.Itoa(5000+i)+":0")
	}
	var w wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/channels/c1/posts",
		w.script(jsonResp(200, postListJSON(capped...)), jsonResp(403, `{"id":"api.context.permissions.app_error","status_code":403}`)))
	n, errs := 0, 0
	for _, err := range c.PostsCreatedSince(context.Background(), "c1", time.UnixMilli(1000)) {
		if err != nil {
			errs++
			if !mattermost.IsForbidden(err) {
				t.Errorf("err = %v", err)
			}
			continue
		}
		n++
	}
	if n != mattermost.MaxPostsSince || errs != 1 || len(w.requests()) != 2 {
		t.Errorf("%d posts, %d errors, %d requests", n, errs, len(w.requests()))
	}
}

// TestPostsCreatedSinceThroughFake: more than 1,000 posts since the time,
// and every one is seen exactly once.
func TestPostsCreatedSinceThroughFake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	before := e.srv.AddPost(e.alice.ID, mattermost.Post{ChannelID: e.channel.ID, Message: "before"})
	since := time.UnixMilli(before.CreateAt)
	want := map[string]bool{}
	for i := range mattermost.MaxPostsSince + mattermost.MaxPerPage + 7 {
		p := e.srv.AddPost(e.alice.ID, mattermost.Post{ChannelID: e.channel.ID, Message: "m" + strconv.Itoa(i)})
		want[p.ID] = true
	}
	// Deleting a post changes it last; past the cap the "since" answer does
	// not hold it and pages leave it out: that one is not found (as
	// documented).
	var first string
	for _, p := range e.srv.Posts(e.channel.ID) {
		if p.ID != before.ID {
			first = p.ID
			break
		}
	}
	e.srv.DeletePost(first)
	delete(want, first)
	got := map[string]int{}
	for p, err := range e.client.PostsCreatedSince(ctx, e.channel.ID, since) {
		if err != nil {
			t.Fatal(err)
		}
		got[p.ID]++
	}
	if len(got) != len(want) {
		t.Errorf("%d posts seen, want %d", len(got), len(want))
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("post %s seen %d times", id, got[id])
		}
	}
	if got[before.ID] != 0 {
		t.Error("the post made at since was yielded")
	}
	// Without paging, the capped answer misses posts.
	list, err := e.client.GetPostsSince(ctx, e.channel.ID, since)
	if err != nil || len(list.Order) != mattermosttest.MaxPostsSince {
		t.Fatalf("since: %d, %v", len(list.Order), err)
	}
}
