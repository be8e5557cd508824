package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
)

// Posts that show a task (the list, the "task created" post) are redrawn
// in place when the task is edited, completed or reopened from chat, and
// the answer is ephemeral: nothing is posted again.
func TestTaskPostsRedrawnInPlace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settle()
	ch := e.channel.ID
	e.slash(e.alice, ch, `/ghl task add `+e.contact.ID+` "Call back" --due 2030-01-02`)
	e.settle()
	created := lastPost(t, e, ch)
	task := e.hl.Tasks(e.contact.ID)[0]
	if !strings.Contains(postText(created), "Call back") {
		t.Fatalf("created post: %s", postText(created))
	}
	e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Send quote"})
	e.settle()
	e.slash(e.alice, ch, "/ghl tasks "+e.contact.ID)
	e.settle()
	list := lastPost(t, e, ch)
	if !strings.Contains(postText(list), "Call back") || !strings.Contains(postText(list), "Send quote") {
		t.Fatalf("list post: %s", postText(list))
	}
	before := len(e.posts(ch))
	current := func(p mattermost.Post) string { t.Helper(); return postNow(t, e, p) }
	step := func(what, line string, inList, inCreated []string, notInList ...string) {
		t.Helper()
		res := e.slash(e.alice, ch, line)
		e.settle()
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "Updated in place: 2 posts showing it.") {
			t.Errorf("%s: answer %+v, want ephemeral", what, res.Response)
		}
		if n := len(e.posts(ch)); n != before {
			t.Errorf("%s: %d new posts, want none", what, n-before)
		}
		l, c := current(list), current(created)
		for _, w := range inList {
			if !strings.Contains(l, w) {
				t.Errorf("%s: list post lacks %q:\n%s", what, w, l)
			}
		}
		for _, w := range notInList {
			if strings.Contains(l, w) {
				t.Errorf("%s: list post still has %q:\n%s", what, w, l)
			}
		}
		for _, w := range inCreated {
			if !strings.Contains(c, w) {
				t.Errorf("%s: created post lacks %q:\n%s", what, w, c)
			}
		}
	}

	step("edit", `/ghl task edit `+e.contact.ID+` `+task.ID+` --title "Call back Friday"`,
		[]string{"Call back Friday", "Send quote"}, []string{"Task updated by @alice", "Call back Friday", "[Complete]", "[Edit]"})
	step("done", "/ghl task done "+e.contact.ID+" "+task.ID,
		[]string{"Call back Friday", "Send quote"}, []string{"Task completed by @alice", "Call back Friday", "[Edit]"}, "[✔ Call back Friday]")
	if c := current(created); strings.Contains(c, "[Complete]") {
		t.Errorf("completed task still has its Complete button:\n%s", c)
	}
	step("reopen", "/ghl task reopen "+e.contact.ID+" "+task.ID,
		[]string{"[✔ Call back Friday]", "Send quote"}, []string{"Task reopened by @alice", "[Complete]", "[Edit]"})

	// The Complete button of the created post: that post is redrawn by
	// the click's answer, the list here.
	res := click(t, e, e.alice, created.ID, completeActionID(task.ID))
	e.settle()
	if res.Response == nil || res.Response.Update == nil {
		t.Fatalf("click answer: %+v", res.Response)
	}
	if n := len(e.posts(ch)); n != before {
		t.Errorf("complete button: %d new posts, want none", n-before)
	}
	if l := current(list); strings.Contains(l, "[✔ Call back Friday]") || !strings.Contains(l, "Send quote") {
		t.Errorf("list after the button:\n%s", l)
	}

	// A delete, once confirmed, redraws the list without the task and
	// strikes the task's own post through.
	e.slash(e.alice, ch, "/ghl task delete "+e.contact.ID+" "+task.ID)
	preview := lastPost(t, e, ch)
	click(t, e, e.alice, preview.ID, "confirm")
	e.settle()
	if l := current(list); strings.Contains(l, "Call back Friday") || !strings.Contains(l, "Send quote") {
		t.Errorf("list after the delete:\n%s", l)
	}
	if c := current(created); !strings.Contains(c, "Task deleted by @alice") || !strings.Contains(c, "~~Call back Friday~~") || strings.Contains(c, "[Edit]") {
		t.Errorf("created post after the delete:\n%s", c)
	}
}

// postNow is the text of post p as it is now in the Mattermost fake.
func postNow(t *testing.T, e *env, p mattermost.Post) string {
	t.Helper()
	got, ok := e.mm.Post(p.ID)
	if !ok {
		t.Fatalf("post %s is gone", p.ID)
	}
	return postText(got)
}

func suiteTaskPosts(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	at := time.Unix(1_700_000_000, 0).UTC()
	s := newStore(t, nil)
	if ps, err := s.TaskPosts(ctx, "t1"); len(ps) != 0 || err != nil {
		t.Errorf("TaskPosts of nothing = %v, %v", ps, err)
	}
	list := TaskPost{PostID: "p1", ChannelID: "ch1", ContactID: "c1", View: viewList, At: at}
	one := TaskPost{PostID: "p2", ChannelID: "ch2", ContactID: "c1", View: viewTask, At: at.Add(time.Minute)}
	if err := s.TrackTaskPost(ctx, list, []string{"t1", "t2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.TrackTaskPost(ctx, one, []string{"t1"}); err != nil {
		t.Fatal(err)
	}
	eq := func(what string, got []TaskPost, want ...TaskPost) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s = %+v, want %+v", what, got, want)
		}
		for i := range got {
			if got[i].PostID != want[i].PostID || got[i].ChannelID != want[i].ChannelID || got[i].ContactID != want[i].ContactID ||
				got[i].View != want[i].View || !got[i].At.Equal(want[i].At) || got[i].Part != want[i].Part || got[i].Parts != want[i].Parts {
				t.Errorf("%s[%d] = %+v, want %+v", what, i, got[i], want[i])
			}
		}
	}
	ps, err := s.TaskPosts(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	eq("TaskPosts(t1)", ps, one, list) // newest first
	ps, _ = s.TaskPosts(ctx, "t2")
	eq("TaskPosts(t2)", ps, list)
	// Tracking a post again replaces what was recorded (a redraw).
	list.At = at.Add(2 * time.Minute)
	if err := s.TrackTaskPost(ctx, list, []string{"t1"}); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.TaskPosts(ctx, "t1")
	eq("TaskPosts(t1) after a redraw", ps, list, one)
	// A post of a list over several keeps its place.
	part := TaskPost{PostID: "p3", ChannelID: "ch1", ContactID: "c1", View: viewList, At: at.Add(90 * time.Second), Part: 2, Parts: 3}
	if err := s.TrackTaskPost(ctx, part, []string{"t3"}); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.TaskPosts(ctx, "t3")
	eq("TaskPosts(t3)", ps, part)
	// Bad records are refused.
	for _, bad := range []TaskPost{{ChannelID: "ch", ContactID: "c", View: viewTask}, {PostID: "p", ContactID: "c", View: viewTask}, {PostID: "p", ChannelID: "ch", ContactID: "c", View: "other"},
		{PostID: "p", ChannelID: "ch", ContactID: "c", View: viewList, Part: 3, Parts: 3}, {PostID: "p", ChannelID: "ch", ContactID: "c", View: viewList, Part: 1},
		{PostID: "p", ChannelID: "ch", ContactID: "c", View: viewList, Part: -1, Parts: 2}, {PostID: "p", ChannelID: "ch", ContactID: "c", View: viewTask, Parts: 2}} {
		if err := s.TrackTaskPost(ctx, bad, []string{"t1"}); err == nil {
			t.Errorf("TrackTaskPost(%+v) accepted", bad)
		}
	}
	if err := s.TrackTaskPost(ctx, one, []string{""}); err == nil {
		t.Error("TrackTaskPost with an empty task ID accepted")
	}
	// At most maxTaskPosts, newest first.
	for i := range maxTaskPosts + 3 {
		p := TaskPost{PostID: fmt.Sprintf("m%02d", i), ChannelID: "ch", ContactID: "c2", View: viewTask, At: at.Add(time.Duration(i) * time.Second)}
		if err := s.TrackTaskPost(ctx, p, []string{"many"}); err != nil {
			t.Fatal(err)
		}
	}
	ps, _ = s.TaskPosts(ctx, "many")
	if len(ps) != maxTaskPosts || ps[0].PostID != fmt.Sprintf("m%02d", maxTaskPosts+2) || ps[maxTaskPosts-1].PostID != "m03" {
		t.Errorf("TaskPosts(many) = %d posts, first %+v", len(ps), ps)
	}
	// Sweep forgets the posts older than TaskPostsKept, keeps the others.
	if err := s.Sweep(ctx, at.Add(TaskPostsKept+90*time.Second)); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.TaskPosts(ctx, "t1")
	eq("TaskPosts(t1) after Sweep", ps, list) // p2 (at+1m) is older than the cutoff
	if ps, _ = s.TaskPosts(ctx, "t2"); len(ps) != 0 {
		t.Errorf("TaskPosts(t2) after Sweep = %+v", ps)
	}
}

// TestSplitTaskListRedrawnInPlace: a task list too long for one post is
// recorded post by post, and a change to one of its tasks redraws each of
// its posts with its own part: the task completed leaves the first part
// and shows done in the last, and nothing is posted again. Fails if the
// posts of a split list are not recorded (the list then stays as it was,
// and the answer is posted).
func TestSplitTaskListRedrawnInPlace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settle()
	ch := e.channel.ID
	pad := strings.Repeat("x", 90)
	for i := range 200 {
		e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: fmt.Sprintf("Task %03d %s", i, pad)})
	}
	e.settle()
	before := len(e.posts(ch))
	e.slash(e.alice, ch, "/ghl tasks "+e.contact.ID)
	e.settle()
	parts := e.posts(ch)[before:]
	if len(parts) < 2 {
		t.Fatalf("the list took %d posts; want it split", len(parts))
	}
	first, last := parts[0], parts[len(parts)-1]
	var task ghltest.Task
	for _, tk := range e.hl.Tasks(e.contact.ID) {
		if strings.Contains(postText(first), tk.Title) {
			task = tk
			break
		}
	}
	if task.ID == "" {
		t.Fatal("no task in the first part")
	}
	current := func(p mattermost.Post) string { t.Helper(); return postNow(t, e, p) }
	posted := len(e.posts(ch))
	res := e.slash(e.alice, ch, "/ghl task done "+e.contact.ID+" "+task.ID)
	e.settle()
	if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, "Updated in place") {
		t.Errorf("answer %+v; want ephemeral, the list redrawn in place", res.Response)
	}
	if n := len(e.posts(ch)) - posted; n != 0 {
		t.Errorf("%d new posts; want none", n)
	}
	if f := current(first); strings.Contains(f, task.Title) || !strings.Contains(f, "199 open, 1 done") {
		t.Errorf("first part after the completion still shows the task, or not the counts:\n%.300s", f)
	}
	if l := current(last); !strings.Contains(l, "✅ ~~"+task.Title+"~~") {
		t.Errorf("last part does not show the task done:\n%.300s…", l)
	}
	all := ""
	for _, p := range parts {
		all += current(p)
	}
	if n := strings.Count(all, task.Title); n != 1 {
		t.Errorf("the task shows %d times over the list's posts; want once", n)
	}
}
