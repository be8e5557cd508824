package bridge

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// installApp installs the app in locationID through the bridge's own
// install flow (app mode): /oauth/install, HighLevel's consent, and the
// callback in the same browser.
func (e *env) installApp(locationID string, scopes ...string) {
	e.t.Helper()
	if len(scopes) == 0 {
		scopes = locationScopes
	}
	e.installWith(ghltest.Install{LocationID: locationID, Scopes: scopes})
}

// installAgency installs the app for the agency companyID (a Company
// install, withAgencyApp): the bridge gets the tokens of its locations
// where the app is installed.
func (e *env) installAgency(companyID string) {
	e.t.Helper()
	e.installWith(ghltest.Install{UserType: "Company", CompanyID: companyID, Scopes: companyScopes})
}

// installWith goes through the install flow for in (its client and
// redirect URL are the bridge's).
func (e *env) installWith(in ghltest.Install) {
	e.t.Helper()
	noRedirect := &http.Client{Transport: testClient.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(e.srv.URL + PathInstall)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || len(resp.Cookies()) != 1 {
		e.t.Fatalf("install: %d %v %v", resp.StatusCode, err, resp.Cookies())
	}
	in.ClientID, in.RedirectURI = appClientID, e.cfg.PublicURL+PathCallback
	code := e.hl.Authorize(in)
	req, _ := http.NewRequest("GET", e.srv.URL+PathCallback+"?"+url.Values{"code": {code}, "state": {to.Query().Get("state")}}.Encode(), nil)
	req.AddCookie(resp.Cookies()[0])
	resp, err = noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("install callback of %+v: %d", in, resp.StatusCode)
	}
}

// ephemeral runs a command and returns its ephemeral answer.
func (e *env) ephemeral(user mattermosttest.User, channelID, line string) string {
	e.t.Helper()
	r := e.slash(user, channelID, line).Response
	if r.ResponseType != mattermost.ResponseEphemeral {
		e.t.Fatalf("%s: not ephemeral: %+v", line, r)
	}
	return r.Text
}

func wantText(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q lacks %q", what, got, w)
		}
	}
}

// newConnectedEnv is a bridge in app mode with loc1 (Ada's location,
// installed with loc1Scopes when given) and locB (with Bob) installed,
// e.channel connected to loc1 and e.other to locB by a system admin.
func newConnectedEnv(t *testing.T, loc1Scopes ...string) (e *env, admin mattermosttest.User, bob ghltest.Contact) {
	t.Helper()
	e = newEnv(t, withApp())
	admin = e.mm.AddUser("root")
	e.mm.SetSystemAdmin(admin.ID, true)
	bob = e.hl.AddContact(ghltest.Contact{LocationID: "locB", FirstName: "Bob", LastName: "Builder", Email: "bob@example.com"})
	e.installApp(testLocation, loc1Scopes...)
	e.installApp("locB")
	e.slash(admin, e.channel.ID, "/ghl connect "+testLocation)
	e.slash(admin, e.other.ID, "/ghl connect locB")
	return e, admin, bob
}

// TestConnectChannels: in app mode a channel acts on the location it is
// connected to, and on nothing before; only system and bridge admins
// connect; a contact of another location is neither read nor written from
// there, by command or by an old button.
func TestConnectChannels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withApp())
	admin := e.mm.AddUser("root")
	e.mm.SetSystemAdmin(admin.ID, true)
	e.mm.SetChannelAdmin(e.channel.ID, e.alice.ID, true)
	bob := e.hl.AddContact(ghltest.Contact{LocationID: "locB", FirstName: "Bob", LastName: "Builder", Email: "bob@example.com"})
	e.installApp(testLocation)
	e.installApp("locB")
	e.hl.ResetRequests()

	// Not connected: commands and status say what to do.
	wantText(t, "unconnected contact", e.ephemeral(e.alice, e.channel.ID, "/ghl contact ada@example.com"), "not connected to a HighLevel location", "/ghl connect <locationId>")
	wantText(t, "unconnected status", e.ephemeral(e.alice, e.channel.ID, "/ghl status"), "not connected")
	if n := len(e.hl.Requests()); n != 0 {
		t.Fatalf("an unconnected channel reached HighLevel: %d requests", n)
	}

	// A channel admin may not connect (any user can create a channel);
	// a system admin may, only to a location where the app is installed.
	wantText(t, "channel admin connects", e.ephemeral(e.alice, e.channel.ID, "/ghl connect "+testLocation), "Only a system admin or a bridge admin")
	wantText(t, "not installed", e.ephemeral(admin, e.channel.ID, "/ghl connect locNope"), "not installed in location `locNope`", PathInstall)
	wantText(t, "bad ID", e.ephemeral(admin, e.channel.ID, "/ghl connect ../x"), "is not a HighLevel location ID")
	r := e.slash(admin, e.channel.ID, "/ghl connect "+testLocation).Response
	if r.ResponseType != mattermost.ResponseInChannel || !strings.Contains(r.Text, "@root connected this channel to HighLevel location `"+testLocation+"`") {
		t.Fatalf("connect: %+v", r)
	}
	wantText(t, "again", e.ephemeral(admin, e.channel.ID, "/ghl connect "+testLocation), "already connected")
	wantText(t, "status", e.ephemeral(e.bob, e.channel.ID, "/ghl status"), "connected to HighLevel location `"+testLocation+"`, where the app is installed")
	e.slash(admin, e.other.ID, "/ghl connect locB")

	// Each channel sees its own location's contacts only.
	if r := e.slash(e.alice, e.channel.ID, "/ghl contact ada@example.com").Response; len(r.Attachments) != 1 || !strings.Contains(r.Attachments[0].Title, "Ada Lovelace") {
		t.Fatalf("Ada in her location's channel: %+v", r)
	}
	if r := e.slash(e.alice, e.other.ID, "/ghl contact bob@example.com").Response; len(r.Attachments) != 1 || !strings.Contains(r.Attachments[0].Title, "Bob Builder") {
		t.Fatalf("Bob in his location's channel: %+v", r)
	}
	wantText(t, "Bob by email in loc1's channel", e.ephemeral(e.alice, e.channel.ID, "/ghl contact bob@example.com"), "No contact with email")
	wantText(t, "Bob by ID in loc1's channel", e.ephemeral(e.alice, e.channel.ID, "/ghl contact "+bob.ID), "No contact with ID `"+bob.ID+"`")
	wantText(t, "Ada by ID in locB's channel", e.ephemeral(e.alice, e.other.ID, "/ghl tasks "+e.contact.ID), "No contact with ID")
	e.slash(e.alice, e.other.ID, "/ghl note add "+e.contact.ID+" crossing over")
	e.slash(e.alice, e.other.ID, "/ghl task add "+e.contact.ID+" crossing over")
	for _, rq := range e.hl.Requests() {
		if rq.Method != http.MethodGet && strings.Contains(rq.Path, e.contact.ID) {
			t.Fatalf("a write to loc1's contact from locB's channel: %s %s", rq.Method, rq.Path)
		}
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 0 {
		t.Fatalf("tasks of Ada: %d", n)
	}

	// A Complete button posted while the channel acted on loc1, clicked
	// once an admin connected the channel to locB instead, writes nothing.
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back"})
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	var list mattermost.Post
	for _, p := range e.posts(e.channel.ID) {
		if strings.Contains(postText(p), "Tasks for") {
			list = p
		}
	}
	r = e.slash(admin, e.channel.ID, "/ghl connect locB").Response
	wantText(t, "reconnect", r.Text, "instead of `"+testLocation+"`")
	res, err := e.mm.As(e.alice.ID).ClickButton(t.Context(), list.ID, "complete"+task.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, "old button", ephemeralText(res), "made while this channel was connected to another HighLevel location; nothing was done")
	if got := e.hl.Tasks(e.contact.ID)[0]; got.Completed {
		t.Fatalf("an old button completed loc1's task from a channel now on locB (%+v)", res)
	}

	// Disconnect: a channel admin may take access away; a member may not.
	wantText(t, "member disconnects", e.ephemeral(e.bob, e.channel.ID, "/ghl disconnect"), "Only a channel admin")
	r = e.slash(e.alice, e.channel.ID, "/ghl disconnect").Response
	if r.ResponseType != mattermost.ResponseInChannel || !strings.Contains(r.Text, "disconnected this channel from HighLevel location `locB`") {
		t.Fatalf("disconnect: %+v", r)
	}
	wantText(t, "after disconnect", e.ephemeral(e.alice, e.channel.ID, "/ghl tasks ada@example.com"), "not connected")
	wantText(t, "disconnect again", e.ephemeral(e.alice, e.channel.ID, "/ghl disconnect"), "not connected")
}

// TestConnectUninstalled: once HighLevel says the app is uninstalled from a
// location, its channels' commands answer so, and the other locations'
// channels keep working.
func TestConnectUninstalled(t *testing.T) {
	t.Parallel()
	e, _, _ := newConnectedEnv(t)

	e.hl.Uninstall(appClientID, testLocation)
	e.hl.FlushWebhooks()
	for _, line := range []string{"/ghl contact ada@example.com", "/ghl status"} {
		wantText(t, line, e.ephemeral(e.alice, e.channel.ID, line),
			"not installed in location `"+testLocation+"`", e.srv.URL+PathInstall, "/ghl disconnect")
	}
	if r := e.slash(e.alice, e.other.ID, "/ghl contact bob@example.com").Response; len(r.Attachments) != 1 {
		t.Fatalf("the other location after an uninstall: %+v", r)
	}
	// Installed again, the channel works again, still connected.
	e.installApp(testLocation)
	if r := e.slash(e.alice, e.channel.ID, "/ghl contact ada@example.com").Response; len(r.Attachments) != 1 {
		t.Fatalf("after the reinstall: %+v", r)
	}
}

// TestReadOnlyPerLocation: a location whose install lacks contacts.write
// is read-only; the others keep writing.
func TestReadOnlyPerLocation(t *testing.T) {
	t.Parallel()
	e, _, bob := newConnectedEnv(t, ghltest.ScopeContactsReadOnly)

	wantText(t, "read-only location", e.ephemeral(e.alice, e.channel.ID, "/ghl task add ada@example.com Call back"), ReadOnlyMessage)
	e.slash(e.alice, e.other.ID, "/ghl task add bob@example.com Call back")
	if n := len(e.hl.Tasks(bob.ID)); n != 1 {
		t.Fatalf("the writable location's task add: %d tasks", n)
	}
	wantText(t, "read-only location again", e.ephemeral(e.alice, e.channel.ID, "/ghl task add ada@example.com Call back"), ReadOnlyMessage)
	if n := len(e.hl.Tasks(e.contact.ID)); n != 0 {
		t.Fatalf("the read-only location got %d tasks", n)
	}
}

// TestStatusOneLocation: a single-location bridge has no connect, and its
// status names its location.
func TestStatusOneLocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wantText(t, "status", e.ephemeral(e.alice, e.channel.ID, "/ghl status"), "serves HighLevel location `"+testLocation+"` in every channel")
	wantText(t, "connect", e.ephemeral(e.alice, e.channel.ID, "/ghl connect locB"), "Unknown command")
}

// TestConnectFormsAndThreads: in app mode a form opened in a channel
// creates its task in the channel's location, and is refused once the
// channel is connected elsewhere; a notes thread starts in the only
// channel of the location.
func TestConnectFormsAndThreads(t *testing.T) {
	t.Parallel()
	e, admin, _ := newConnectedEnv(t)
	e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "Met at the fair"})
	e.settle() // its NoteCreate is posted in the location's channel

	r := e.slash(e.alice, e.channel.ID, "/ghl notes ada@example.com").Response
	wantText(t, "notes", r.Text, "Posted 1 new note for Ada Lovelace in the notes thread")
	if posts := e.posts(e.channel.ID); len(posts) != 4 || !strings.Contains(postText(posts[1]), "New note in HighLevel") ||
		!strings.Contains(postText(posts[3]), "Met at the fair") || posts[3].RootID != posts[2].ID {
		t.Fatalf("thread posts: %d", len(posts))
	}

	sess := e.mm.As(e.bob.ID)
	e.slash(e.bob, e.channel.ID, "/ghl task add ada@example.com")
	e.slash(e.bob, e.channel.ID, "/ghl task add ada@example.com")
	dialogs := e.mm.Dialogs()
	if len(dialogs) != 2 {
		t.Fatalf("%d dialogs", len(dialogs))
	}
	ok, err := sess.SubmitDialog(t.Context(), dialogs[0], map[string]any{"title": "Invoice"})
	if err != nil || !ok.Closed {
		t.Fatalf("submission: %+v %v", ok, err)
	}
	if ts := e.hl.Tasks(e.contact.ID); len(ts) != 1 || ts[0].Title != "Invoice" {
		t.Fatalf("tasks %+v", ts)
	}
	e.slash(admin, e.channel.ID, "/ghl connect locB")
	late, err := sess.SubmitDialog(t.Context(), dialogs[1], map[string]any{"title": "Late"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 1 {
		t.Fatalf("a form of loc1 wrote after the channel moved to locB: %d tasks (%+v)", n, late)
	}
}
