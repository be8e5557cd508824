package bridge

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

func TestTaskDialog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.slash(e.bob, e.channel.ID, "/ghl task add "+e.contact.ID+" --due 2030-03-04")
	if res.Response.Text != "" || len(e.posts(e.channel.ID)) != 0 {
		t.Errorf("opening the form answered %+v", res.Response)
	}
	dialogs := e.mm.Dialogs()
	if len(dialogs) != 1 {
		t.Fatalf("%d dialogs opened", len(dialogs))
	}
	d := dialogs[0]
	if d.URL != e.srv.URL+PathDialog || d.UserID != e.bob.ID || d.Dialog.CallbackID != dialogTaskAdd || d.Dialog.State == "" || d.OpenedBy != e.bot.ID {
		t.Errorf("dialog: %+v", d)
	}
	var names []string
	for _, el := range d.Dialog.Elements {
		names = append(names, el.Name+"="+el.Default)
	}
	if got := strings.Join(names, ","); got != "title=,due=2030-03-04,body=" {
		t.Errorf("elements: %s", got)
	}

	sess := e.mm.As(e.bob.ID)
	bad, err := sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Invoice", "due": "31/12"})
	if err != nil {
		t.Fatal(err)
	}
	if bad.Closed || bad.Response == nil || !strings.Contains(bad.Response.Errors["due"], "YYYY-MM-DD") {
		t.Errorf("bad date: %+v", bad)
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 0 {
		t.Fatalf("%d tasks after a bad date", n)
	}

	// Altered and re-spelled states are refused.
	for name, state := range map[string]string{"altered": tamperMAC(t, d.Dialog.State), "re-spelled": respelled(t, d.Dialog.State)} {
		forged := d
		forged.Dialog.State = state
		if r, err := sess.SubmitDialog(context.Background(), forged, map[string]any{"title": "Forged"}); err != nil || r.Status != http.StatusForbidden {
			t.Errorf("%s state: %+v %v", name, r, err)
		}
	}

	ok, err := sess.SubmitDialog(context.Background(), d, map[string]any{"title": "Invoice", "body": "20 seats"})
	if err != nil || !ok.Closed {
		t.Fatalf("submission: %+v %v", ok, err)
	}
	ts := e.hl.Tasks(e.contact.ID)
	if len(ts) != 1 || ts[0].Title != "Invoice" || ts[0].Body != "20 seats" || !ts[0].DueDate.Equal(time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("tasks: %+v", ts)
	}
	posts := e.posts(e.channel.ID)
	if len(posts) != 1 || posts[0].UserID != e.bot.ID {
		t.Fatalf("%d posts", len(posts))
	}
	if text := postText(posts[0]); !strings.Contains(text, "Task created by @bob") || !strings.Contains(text, ts[0].ID) || !strings.Contains(text, "[Complete]") {
		t.Errorf("confirmation:\n%s", text)
	}
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d posts after the webhook, want 1 (no echo)", n)
	}
}

func TestTaskDialogExpiredAndNoTrigger(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Now()}
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.start(WithClock(clock.now))
	e.slash(e.bob, e.channel.ID, "/ghl task add "+e.contact.ID)
	d := e.mm.Dialogs()[0]
	clock.add(2 * time.Hour)
	r, err := e.mm.As(e.bob.ID).SubmitDialog(context.Background(), d, map[string]any{"title": "Late"})
	if err != nil || r.Closed || r.Response == nil || r.Response.Error != mattermost.ExpiredDialogText {
		t.Errorf("expired form: %+v %v", r, err)
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 0 {
		t.Errorf("%d tasks", n)
	}

	// A command without a trigger ID cannot open a form.
	sc := &mattermost.SlashCommand{Command: "/ghl", Text: "task add " + e.contact.ID, Token: string(e.cfg.CommandTokens[0]), ChannelID: e.channel.ID, UserID: e.bob.ID, UserName: "bob"}
	req, _ := mattermosttest.NewSlashRequest(context.Background(), e.srv.URL+PathCommand, sc)
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if !strings.Contains(body, "Give a title") {
		t.Errorf("no trigger: %s", body)
	}
}

func TestSlashCommandAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for name, sc := range map[string]*mattermost.SlashCommand{
		"no token":    {Command: "/ghl", Text: "tasks " + e.contact.ID, ChannelID: e.channel.ID, UserID: e.alice.ID},
		"wrong token": {Command: "/ghl", Text: "tasks " + e.contact.ID, ChannelID: e.channel.ID, UserID: e.alice.ID, Token: "nope"},
	} {
		req, _ := mattermosttest.NewSlashRequest(context.Background(), e.srv.URL+PathCommand, sc)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, resp.StatusCode)
		}
	}
	if n := len(e.hl.Requests()); n != 0 {
		t.Errorf("refused commands made %d HighLevel requests", n)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}
