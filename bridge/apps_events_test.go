package bridge

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/oauth"
)

// link connects a channel to a location, as /ghl connect does.
func (e *env) link(channelID, locationID string) {
	e.t.Helper()
	if _, err := e.b.Store().LinkChannel(context.Background(), channelID, locationID); err != nil {
		e.t.Fatal(err)
	}
}

// redeliver sends a webhook delivery again, as HighLevel does (same body,
// same signature), and returns the status it was answered.
func redeliver(t *testing.T, bridgeURL string, d ghltest.WebhookDelivery) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, bridgeURL+PathWebhook, strings.NewReader(string(d.Body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = d.Header.Clone()
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// texts returns the texts of the channel's posts.
func (e *env) texts(channelID string) []string {
	var out []string
	for _, p := range e.posts(channelID) {
		out = append(out, postText(p))
	}
	return out
}

// contactGets returns how many times HighLevel was asked for the contact.
func (e *env) contactGets(contactID string) int {
	n := 0
	for _, r := range e.hl.Requests() {
		if r.Method == http.MethodGet && r.Path == "/contacts/"+contactID {
			n++
		}
	}
	return n
}

func countContaining(texts []string, sub string) int {
	n := 0
	for _, t := range texts {
		if strings.Contains(t, sub) {
			n++
		}
	}
	return n
}

// TestAppModeRoutesEventsPerLocation: in app mode the events of an
// installed location are stored and go only to the channels linked to it;
// a location where the app is not installed is answered, counted and
// never stored; a thread or subscription left in a channel that is now
// linked elsewhere, or to nothing, does not receive the location's events.
func TestAppModeRoutesEventsPerLocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withApp(), withoutWebhookTarget())
	ctx := context.Background()
	e.installApp("locA")
	e.installApp("locB")
	third := e.mm.AddChannel("support")
	loose := e.mm.AddChannel("unlinked")
	e.link(e.channel.ID, "locA")
	e.link(third.ID, "locA")
	e.link(e.other.ID, "locB")

	ada := e.hl.AddContact(ghltest.Contact{LocationID: "locA", FirstName: "Ada", LastName: "Alpha"})
	bob := e.hl.AddContact(ghltest.Contact{LocationID: "locB", FirstName: "Bob", LastName: "Beta"})
	cyd := e.hl.AddContact(ghltest.Contact{LocationID: "locC", FirstName: "Cyd", LastName: "Gamma"})
	// Ada's thread is in a channel now linked to locB, and one
	// subscription is in a channel linked to nothing: both made before the
	// channels were relinked. Bob is subscribed in his location's channel.
	if err := e.b.Store().SaveThread(ctx, ada.ID, Thread{ChannelID: e.other.ID, RootID: e.mm.AddPost(e.bot.ID, mattermost.Post{ChannelID: e.other.ID, Message: "old thread"}).ID}); err != nil {
		t.Fatal(err)
	}
	for _, s := range [][2]string{{ada.ID, loose.ID}, {bob.ID, e.other.ID}} {
		if _, err := e.b.Store().Subscribe(ctx, s[0], s[1]); err != nil {
			t.Fatal(err)
		}
	}
	e.hl.SetWebhookTarget(e.srv.URL + PathWebhook)
	e.hl.AddTask(ghltest.Task{ContactID: ada.ID, Title: "Call Ada", DueDate: time.Now().Add(time.Hour)})
	e.hl.AddNote(ghltest.Note{ContactID: bob.ID, Body: "Bob's note"})
	e.hl.AddTask(ghltest.Task{ContactID: cyd.ID, Title: "Call Cyd", DueDate: time.Now().Add(time.Hour)})
	e.settle()

	for _, ch := range []string{e.channel.ID, third.ID} {
		got := e.texts(ch)
		if len(got) != 1 || !strings.Contains(got[0], "Call Ada") || !strings.Contains(got[0], "Ada Alpha") {
			t.Errorf("locA channel %s: %q, want Ada's task with her name (looked up with locA's token)", ch, got)
		}
	}
	if got := e.texts(e.other.ID); len(got) != 2 || got[0] != "old thread" || !strings.Contains(got[1], "Bob's note") || !strings.Contains(got[1], "Bob Beta") {
		t.Errorf("locB channel: %q, want the old thread root and Bob's note only", got)
	}
	if got := e.mm.Posts(loose.ID); len(got) != 0 {
		t.Errorf("a channel linked to no location got %d posts", len(got))
	}
	for _, ch := range []string{e.channel.ID, third.ID, e.other.ID, loose.ID} {
		if n := countContaining(e.texts(ch), "Cyd"); n != 0 {
			t.Errorf("an event of locC, where the app is not installed, was posted in %s", ch)
		}
	}
	// Every webhook was answered 200; locC's task was counted and never
	// stored.
	for _, d := range e.hl.WebhookDeliveries() {
		if d.StatusCode != http.StatusOK {
			t.Errorf("%s answered %d", d.Type, d.StatusCode)
		}
	}
	if got := e.b.IgnoredWebhooks(); got.NotInstalled != 1 || got.OtherLocation != 0 {
		t.Errorf("ignored %+v, want 1 not installed", got)
	}
	if st, _ := e.b.Store().OutboxStats(ctx); st.Pending != 0 {
		t.Errorf("outbox %+v", st)
	}
	if !strings.Contains(e.logs.String(), "a location where the app is not installed") {
		t.Error("the ignored webhook is not logged")
	}
	// Each name was looked up once, with its location's own token (a
	// token reaches only its location: the names show it worked).
	if e.contactGets(ada.ID) != 1 || e.contactGets(bob.ID) != 1 {
		t.Errorf("name lookups: ada %d bob %d", e.contactGets(ada.ID), e.contactGets(bob.ID))
	}
	if code, m := scrape(t, e.srv.URL+PathMetrics, ""); code != http.StatusOK || m[`ghlkit_webhooks_ignored_total{reason="not_installed"}`] != 1 {
		t.Errorf("metrics %d: not_installed %v", code, m[`ghlkit_webhooks_ignored_total{reason="not_installed"}`])
	}
}

// TestAppModeUninstall: an UNINSTALL deletes the location's tokens, stops
// its routing, keeps its links, and tells each of its channels once,
// through the outbox; events stored before it are still delivered; a
// reinstall resumes routing.
func TestAppModeUninstall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withApp(), withoutRun())
	e.installApp("locA")
	e.installApp("locB")
	third := e.mm.AddChannel("support")
	e.link(e.channel.ID, "locA")
	e.link(third.ID, "locA")
	e.link(e.other.ID, "locB")
	ada := e.hl.AddContact(ghltest.Contact{LocationID: "locA", FirstName: "Ada"})
	bob := e.hl.AddContact(ghltest.Contact{LocationID: "locB", FirstName: "Bob"})
	e.hl.AddTask(ghltest.Task{ContactID: ada.ID, Title: "Before the uninstall", DueDate: time.Now().Add(time.Hour)})

	// Stored, not yet delivered: the deliverer is not running.
	e.hl.Uninstall(appClientID, "locA")
	e.hl.AddTask(ghltest.Task{ContactID: ada.ID, Title: "After the uninstall", DueDate: time.Now().Add(time.Hour)})
	e.hl.FlushWebhooks()
	ds := e.hl.WebhookDeliveries()
	var uninstall ghltest.WebhookDelivery
	for _, d := range ds {
		if d.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", d.Type, d.StatusCode)
		}
		if d.Type == "UNINSTALL" {
			uninstall = d
		}
	}
	// HighLevel redelivers the UNINSTALL: answered, nothing added.
	if got := redeliver(t, e.srv.URL, uninstall); got != http.StatusOK {
		t.Fatalf("redelivered UNINSTALL: %d", got)
	}
	if installed, err := e.b.apps.isInstalled(context.Background(), "locA"); err != nil || installed {
		t.Fatalf("locA installed after its UNINSTALL: %v %v", installed, err)
	}
	if got := e.b.IgnoredWebhooks().NotInstalled; got != 1 {
		t.Fatalf("not installed: %d, want 1 (the task after the uninstall)", got)
	}
	e.run()
	e.settle()

	for _, ch := range []string{e.channel.ID, third.ID} {
		got := e.texts(ch)
		if countContaining(got, "Before the uninstall") != 1 || countContaining(got, "After the uninstall") != 0 {
			t.Errorf("channel %s: %q", ch, got)
		}
		if n := countContaining(got, "uninstalled from location **locA**"); n != 1 {
			t.Errorf("channel %s has %d uninstall notices, want 1: %q", ch, n, got)
			continue
		}
		notice := got[slices.IndexFunc(got, func(s string) bool { return strings.Contains(s, "uninstalled") })]
		for _, want := range []string{"no longer posted here", "not installed", e.cfg.PublicURL + PathInstall, "`/ghl disconnect`"} {
			if !strings.Contains(notice, want) {
				t.Errorf("notice %q lacks %q", notice, want)
			}
		}
	}
	if got := e.texts(e.other.ID); countContaining(got, "uninstalled") != 0 {
		t.Errorf("locB's channel was told of locA's uninstall: %q", got)
	}
	// The links are kept, for the channels' commands to explain.
	if loc, ok, _ := e.b.Store().ChannelLocation(context.Background(), e.channel.ID); !ok || loc != "locA" {
		t.Errorf("link after the uninstall: %q %v", loc, ok)
	}
	// locB goes on; locA resumes once installed again.
	e.hl.AddTask(ghltest.Task{ContactID: bob.ID, Title: "Bob goes on", DueDate: time.Now().Add(time.Hour)})
	e.installApp("locA")
	e.hl.AddTask(ghltest.Task{ContactID: ada.ID, Title: "After the reinstall", DueDate: time.Now().Add(time.Hour)})
	e.settle()
	if got := e.texts(e.other.ID); countContaining(got, "Bob goes on") != 1 {
		t.Errorf("locB after locA's uninstall: %q", got)
	}
	if got := e.texts(e.channel.ID); countContaining(got, "After the reinstall") != 1 || countContaining(got, "uninstalled") != 1 {
		t.Errorf("locA after the reinstall: %q", got)
	}
}

// TestAppModeAgencyUninstall: an agency-level UNINSTALL (companyId, no
// locationId) ends the agency's install: its token and the tokens of the
// locations obtained with it go, and each of those locations' channels is
// told once; a location that installed the app itself keeps it.
func TestAppModeAgencyUninstall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAgencyApp())
	ctx := context.Background()
	for _, id := range []string{"locA", "locB"} {
		e.hl.AddLocation(ghltest.Location{ID: id, CompanyID: "co1"})
	}
	e.hl.AddLocation(ghltest.Location{ID: "locX", CompanyID: "co2"})
	e.installAgency("co1")
	e.installAgency("co2")
	// locS of co1 installed the app on its own: its token has a refresh
	// token of its own (the Location install's).
	own := &oauth.Token{AccessToken: "own-access", RefreshToken: "own-refresh", UserType: oauth.UserTypeLocation, LocationID: "locS", CompanyID: "co1"}
	if err := e.b.apps.tokens.Save(ctx, "locS", own); err != nil {
		t.Fatal(err)
	}
	third := e.mm.AddChannel("support")
	fourth := e.mm.AddChannel("own")
	e.link(e.channel.ID, "locA")
	e.link(third.ID, "locB")
	e.link(fourth.ID, "locS")
	e.link(e.other.ID, "locX")

	e.hl.UninstallCompany(appClientID, "co1")
	e.settle()
	for key, want := range map[string]bool{"co1": false, "locA": false, "locB": false, "locS": true, "co2": true, "locX": true} {
		if _, err := e.b.apps.tokens.Load(ctx, key); (err == nil) != want {
			t.Errorf("token of %s after co1's uninstall: %v, want kept=%v", key, err, want)
		}
	}
	for ch, want := range map[string]string{e.channel.ID: "locA", third.ID: "locB"} {
		if got := e.texts(ch); len(got) != 1 || !strings.Contains(got[0], "uninstalled from location **"+want+"**") {
			t.Errorf("channel of %s: %q", want, got)
		}
	}
	for _, ch := range []string{fourth.ID, e.other.ID} {
		if got := e.texts(ch); len(got) != 0 {
			t.Errorf("a location still installed was told: %q", got)
		}
	}
}

// TestAppModeLocationsIsolated: one location's failing HighLevel (its name
// lookups refused, or its install revoked without the bridge hearing of
// it) neither holds up nor pauses another's: each location looks names up
// with its own client and pauses its own lookups.
func TestAppModeLocationsIsolated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withApp(), withoutWebhookTarget())
	e.installApp("locA")
	e.installApp("locB")
	e.installApp("locC")
	third := e.mm.AddChannel("support")
	e.link(e.channel.ID, "locA")
	e.link(e.other.ID, "locB")
	e.link(third.ID, "locC")
	a1 := e.hl.AddContact(ghltest.Contact{LocationID: "locA", FirstName: "Ann", LastName: "One"})
	a2 := e.hl.AddContact(ghltest.Contact{LocationID: "locA", FirstName: "Ann", LastName: "Two"})
	b1 := e.hl.AddContact(ghltest.Contact{LocationID: "locB", FirstName: "Ben", LastName: "One"})
	b2 := e.hl.AddContact(ghltest.Contact{LocationID: "locB", FirstName: "Ben", LastName: "Two"})
	c1 := e.hl.AddContact(ghltest.Contact{LocationID: "locC", FirstName: "Cat", LastName: "One"})
	c2 := e.hl.AddContact(ghltest.Contact{LocationID: "locC", FirstName: "Cat", LastName: "Two"})
	// locA's HighLevel refuses its contact reads; locC's install is
	// revoked (its tokens die) before the bridge hears of it.
	for _, c := range []ghltest.Contact{a1, a2} {
		e.hl.Fail(ghltest.Fault{Method: http.MethodGet, Path: "/contacts/" + c.ID, Status: http.StatusForbidden})
	}
	e.hl.Uninstall(appClientID, "locC")
	e.hl.SetWebhookTarget(e.srv.URL + PathWebhook)
	task := func(c ghltest.Contact, title string) {
		e.hl.AddTask(ghltest.Task{ContactID: c.ID, Title: title, DueDate: time.Now().Add(time.Hour)})
		e.settle()
	}
	task(a1, "A first")
	task(c1, "C first")
	task(b1, "B first")
	task(a2, "A second")
	task(c2, "C second")
	task(b2, "B second")

	for ch, cs := range map[string][2]ghltest.Contact{e.channel.ID: {a1, a2}, third.ID: {c1, c2}} {
		got := e.texts(ch)
		if len(got) != 2 || countContaining(got, cs[0].FirstName) != 0 || !strings.Contains(got[0], cs[0].ID) || !strings.Contains(got[1], cs[1].ID) {
			t.Errorf("posts of a failing location: %q, want both tasks, naming the contacts by ID", got)
		}
		// Its failure paused its own lookups.
		if e.contactGets(cs[0].ID) == 0 || e.contactGets(cs[1].ID) != 0 {
			t.Errorf("lookups of a failing location: %d, %d; want some, then paused", e.contactGets(cs[0].ID), e.contactGets(cs[1].ID))
		}
	}
	if b := e.texts(e.other.ID); len(b) != 2 || !strings.Contains(b[0], "Ben One") || !strings.Contains(b[1], "Ben Two") {
		t.Errorf("locB's posts: %q, want both tasks with their contacts' names", b)
	}
	if e.contactGets(b1.ID) != 1 || e.contactGets(b2.ID) != 1 {
		t.Errorf("locB lookups: %d, %d; want each looked up", e.contactGets(b1.ID), e.contactGets(b2.ID))
	}
}

// TestAppModeUninstallTwoReplicas: two replicas on one PostgreSQL database
// get the same UNINSTALL at once, then again: the channel is told once,
// and both replicas ignore the location's later webhooks.
func TestAppModeUninstallTwoReplicas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withApp(), withDatabase(newTestSchema(t))) // skips without a database
	e.installApp("locA")
	e.link(e.channel.ID, "locA")
	_, mc := e.clients()
	second, err := New(e.cfg, WithMattermostClient(mc), WithHTTPClient(testClient))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	srv2 := httptest.NewServer(second)
	t.Cleanup(srv2.Close)

	body := fmt.Appendf(nil, `{"type":"UNINSTALL","appId":%q,"locationId":"locA","webhookId":"wh-uninstall-1","timestamp":%q}`,
		strings.Split(appClientID, "-")[0], time.Now().UTC().Format(time.RFC3339))
	send := func(url string) int {
		resp, err := testClient.Do(signedWebhook(t, url+PathWebhook, body))
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Both at once; one of them may be told to retry (503) while the other
	// processes it, as HighLevel then does.
	var wg sync.WaitGroup
	for _, url := range []string{e.srv.URL, srv2.URL} {
		wg.Go(func() {
			for range 100 {
				if code := send(url); code != http.StatusServiceUnavailable {
					if code != http.StatusOK {
						t.Errorf("UNINSTALL at %s: %d", url, code)
					}
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	for _, url := range []string{e.srv.URL, srv2.URL} {
		if code := send(url); code != http.StatusOK {
			t.Errorf("UNINSTALL again at %s: %d", url, code)
		}
	}
	// Later webhooks of locA: one through each replica.
	ada := e.hl.AddContact(ghltest.Contact{LocationID: "locA", FirstName: "Ada"})
	body = fmt.Appendf(nil, `{"type":"ContactCreate","locationId":"locA","webhookId":"wh-after-1","timestamp":%q,"id":"c-after","firstName":"Late"}`,
		time.Now().UTC().Format(time.RFC3339))
	if code := send(srv2.URL); code != http.StatusOK {
		t.Errorf("the second replica answered a webhook of an uninstalled location %d", code)
	}
	e.settle()
	if got := e.texts(e.channel.ID); countContaining(got, "uninstalled from location **locA**") != 1 || countContaining(got, ada.ID) != 0 || countContaining(got, "Late") != 0 {
		t.Errorf("channel: %q, want one notice and nothing else", got)
	}
	if a, b := e.b.IgnoredWebhooks().NotInstalled, second.IgnoredWebhooks().NotInstalled; a != 1 || b != 1 {
		t.Errorf("webhooks of the uninstalled location ignored: %d and %d, want 1 by each replica", a, b)
	}
}
