package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/notes"
)

func TestNoteEditAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n1 := e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "Met at the fair", DateAdded: time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)})
	e.settle()
	e.slash(e.alice, e.channel.ID, "/ghl notes "+e.contact.ID)
	th, ok, err := e.b.Store().Thread(context.Background(), e.contact.ID)
	if err != nil || !ok || th.Notes[n1.ID] == "" {
		t.Fatalf("thread: %+v %v %v", th, ok, err)
	}
	reply, _ := e.mm.Post(th.Notes[n1.ID])
	base := len(e.posts(e.channel.ID))
	path := "/contacts/" + e.contact.ID + "/notes/" + n1.ID

	n := mark(e)
	for line, want := range map[string]string{
		"/ghl note edit " + e.contact.ID + " " + n1.ID:                      "missing <text",
		"/ghl note edit " + e.contact.ID + " nosuchnote New":                "The contact has no note with ID `nosuchnote`.",
		"/ghl note edit " + e.contact.ID + " " + n1.ID + " Met at the fair": "already says that",
		"/ghl note delete " + e.contact.ID + " nosuchnote":                  "The contact has no note with ID `nosuchnote`.",
	} {
		res := e.slash(e.alice, e.channel.ID, line)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, want) {
			t.Errorf("%s = %q, want %q", line, res.Response.Text, want)
		}
	}
	noWrites(t, e, n, "bad note edits")

	res := e.slash(e.alice, e.channel.ID, "/ghl note edit ada@example.com "+n1.ID+" Met at the fair; wants 20 seats")
	wantWrite(t, writesSince(e, n), "PUT", path, `{"body":"Met at the fair; wants 20 seats"}`)
	if !strings.Contains(res.Response.Text, "now reads, in HighLevel:\n> Met at the fair; wants 20 seats") {
		t.Errorf("note edit answer: %q", res.Response.Text)
	}
	got, _ := e.mm.Post(reply.ID)
	if text := postText(got); !strings.Contains(text, "Note edited by @alice") || !strings.Contains(text, "wants 20 seats") || !strings.Contains(text, n1.ID) {
		t.Errorf("reply not redrawn:\n%s", text)
	}
	// The NoteUpdate webhook of the bridge's own edit is not announced...
	e.settle()
	if c := len(e.posts(e.channel.ID)); c != base {
		t.Errorf("%d posts after the webhook, want %d (no echo)", c, base)
	}
	// ...but an edit made in HighLevel afterwards is.
	gc, _ := e.clients()
	if _, err := notes.New(gc).Update(context.Background(), e.contact.ID, n1.ID, notes.UpdateParams{Body: ghl.Set("Signed!")}); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if ps := e.posts(e.channel.ID); len(ps) != base+1 || !strings.Contains(postText(ps[base]), "Signed!") {
		t.Errorf("HighLevel's own edit was not announced: %d posts", len(ps))
	}

	// Delete, after confirming.
	n = mark(e)
	e.slash(e.alice, e.channel.ID, "/ghl note delete "+e.contact.ID+" "+n1.ID)
	noWrites(t, e, n, "the preview")
	preview := lastPost(t, e, e.channel.ID)
	goldenPost(t, "preview_note_delete", preview, e.contact.ID, "<contact>", n1.ID, "<note>")
	click(t, e, e.alice, preview.ID, "confirm")
	wantWrite(t, writesSince(e, n), "DELETE", path, "")
	if len(e.hl.Notes(e.contact.ID)) != 0 {
		t.Error("note still in HighLevel")
	}
	done, _ := e.mm.Post(preview.ID)
	if text := postText(done); !strings.Contains(text, "deleted by @alice") || !strings.Contains(text, "HighLevel confirmed the delete") {
		t.Errorf("post after confirm:\n%s", text)
	}
	got, _ = e.mm.Post(reply.ID)
	if !strings.Contains(got.Message, "deleted by @alice") || strings.Contains(postText(got), "Signed") {
		t.Errorf("reply after delete:\n%s", postText(got))
	}
}

func TestContactSet(t *testing.T) {
	t.Parallel()
	hlClock := &testClock{t: time.Now()}
	e := newEnv(t, withGHL(ghltest.WithClock(hlClock.now)))
	c, _ := e.hl.Contact(e.contact.ID)
	c.Website = "https://ada.example.com"
	e.hl.UpdateContact(c)
	e.settle()
	path := "/contacts/" + e.contact.ID

	n := mark(e)
	for line, want := range map[string]string{
		"/ghl contact set " + e.contact.ID:                       "missing <field=value",
		"/ghl contact set " + e.contact.ID + " colour=red":       "unknown field `colour`",
		"/ghl contact set " + e.contact.ID + " email=nope":       "email: `nope` is not an email address",
		"/ghl contact set " + e.contact.ID + " phone=12ab":       "phone: `12ab` is not a phone number",
		"/ghl contact set " + e.contact.ID + " dnd=maybe":        "dnd: `maybe` is not true or false",
		"/ghl contact set " + e.contact.ID + " country=USA":      "not a two-letter country code",
		"/ghl contact set " + e.contact.ID + " companyName=Acme": "does not take `companyName`",
		"/ghl contact set " + e.contact.ID + " tags=x":           "`tag add`",
		"/ghl contact set " + e.contact.ID + " city":             "`city` is not field=value",
		"/ghl contact set " + e.contact.ID + " city=A City=B":    "`City` is given twice",
		"/ghl contact set " + e.contact.ID + " custom.a/b=1":     "not a custom field ID",
		"/ghl contact set " + e.contact.ID + " firstName=Ada":    "already has these values",
		"/ghl contact set nobody@example.com city=Paris":         "No contact with email",
	} {
		res := e.slash(e.alice, e.channel.ID, line)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, want) {
			t.Errorf("%s = %q, want %q", line, res.Response.Text, want)
		}
	}
	noWrites(t, e, n, "bad contact sets")

	res := e.slash(e.alice, e.channel.ID, `/ghl contact set ada@example.com city="New York" postalCode=10001 website= phone="(415) 555-0111" custom.cf1="Gold tier"`)
	if res.Response.ResponseType != mattermost.ResponseInChannel {
		t.Fatalf("preview: %+v", res.Response)
	}
	noWrites(t, e, n, "the preview")
	preview := lastPost(t, e, e.channel.ID)
	goldenPost(t, "preview_contact_set", preview, e.contact.ID, "<contact>")

	// Changed in HighLevel meanwhile: confirming shows the new state and
	// asks again; nothing is written.
	hlClock.add(time.Second)
	c, _ = e.hl.Contact(e.contact.ID)
	c.City = "Boston"
	e.hl.UpdateContact(c)
	e.settle()
	n = mark(e)
	r := click(t, e, e.alice, preview.ID, "confirm")
	noWrites(t, e, n, "a stale confirm")
	again, _ := e.mm.Post(preview.ID)
	if text := postText(again); !strings.Contains(text, "changed in HighLevel since the preview") || !strings.Contains(text, "Boston → **New York**") || !strings.Contains(text, "[Confirm]") {
		t.Errorf("new preview:\n%s", text)
	}
	if !strings.Contains(ephemeralText(r), "confirm again") {
		t.Errorf("stale answer: %q", ephemeralText(r))
	}
	posts := len(e.posts(e.channel.ID))

	click(t, e, e.alice, preview.ID, "confirm")
	wantWrite(t, writesSince(e, n), "PUT", path, `{"city":"New York","postalCode":"10001","website":null,"phone":"+14155550111","customFields":[{"id":"cf1","field_value":"Gold tier"}]}`)
	got, _ := e.hl.Contact(e.contact.ID)
	if got.City != "New York" || got.PostalCode != "10001" || got.Website != "" || got.Phone != "+14155550111" {
		t.Errorf("contact in HighLevel: %+v", got)
	}
	done, _ := e.mm.Post(preview.ID)
	text := postText(done)
	for _, want := range []string{"@alice changed 5 fields of", "As HighLevel now holds it", "city: Boston → **New York**", "postalCode: _(empty)_ → **10001**", "phone: \\+14155550100 → **\\+14155550111**", "custom.cf1: _(empty)_ → **Gold tier**", "website: https://ada.example.com → **_(empty)_**"} {
		if !strings.Contains(text, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "[Confirm]") {
		t.Errorf("buttons left after confirming:\n%s", text)
	}
	// Replays apply nothing more.
	if resp := replayAction(t, e, r.Request); !strings.Contains(resp.EphemeralText, "already used") {
		t.Errorf("replay: %+v", resp)
	}
	if c := countRequests(e.hl, "PUT", path); c != 1 {
		t.Errorf("%d PUTs, want 1", c)
	}
	// Its ContactUpdate webhook is the bridge's own: not announced.
	e.settle()
	if c := len(e.posts(e.channel.ID)); c != posts {
		t.Errorf("%d posts after the webhook, want %d (no echo)", c, posts)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settle()
	path := "/contacts/" + e.contact.ID + "/tags"

	n := mark(e)
	for line, want := range map[string]string{
		"/ghl tag add " + e.contact.ID + " vip":     "already has these tags",
		"/ghl tag remove " + e.contact.ID + " cold": "has none of these tags",
		"/ghl tag add " + e.contact.ID:              "missing <tag",
		"/ghl tag add " + e.contact.ID + ` ""`:      "Give at least one tag",
	} {
		res := e.slash(e.alice, e.channel.ID, line)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, want) {
			t.Errorf("%s = %q, want %q", line, res.Response.Text, want)
		}
	}
	noWrites(t, e, n, "bad tag commands")

	res := e.slash(e.alice, e.channel.ID, `/ghl tag add ada@example.com hot "trade show" VIP hot`)
	wantWrite(t, writesSince(e, n), "POST", path, `{"tags":["hot","trade show"]}`)
	if res.Response.ResponseType != mattermost.ResponseInChannel || !strings.Contains(res.Response.Text, "@alice added +`hot` +`trade show` on") || !strings.Contains(res.Response.Text, "Tags in HighLevel now: `vip`, `hot`, `trade show`") {
		t.Errorf("tag add answer: %+v", res.Response)
	}
	e.settle()
	posts := len(e.posts(e.channel.ID))
	if posts != 1 {
		t.Errorf("%d posts after the ContactTagUpdate webhook, want 1 (no echo)", posts)
	}

	n = mark(e)
	res = e.slash(e.alice, e.channel.ID, `/ghl tag remove ada@example.com hot`)
	wantWrite(t, writesSince(e, n), "DELETE", path, `{"tags":["hot"]}`)
	if !strings.Contains(res.Response.Text, "@alice removed −`hot`") || !strings.Contains(res.Response.Text, "now: `vip`, `trade show`") {
		t.Errorf("tag remove answer: %q", res.Response.Text)
	}
	e.settle()
	posts = len(e.posts(e.channel.ID))
	// A tag change made in HighLevel is still announced.
	c, _ := e.hl.Contact(e.contact.ID)
	c.Tags = append(c.Tags, "hot")
	e.hl.UpdateContact(c)
	e.settle()
	if ps := e.posts(e.channel.ID); len(ps) != posts+1 || !strings.Contains(postText(ps[len(ps)-1]), "Tags changed in HighLevel") {
		t.Errorf("HighLevel's tag change was not announced (%d posts)", len(ps))
	}
}

func TestContactAdd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settle()
	n := mark(e)
	for line, want := range map[string]string{
		"/ghl contact add":                            "Give at least a name, an email or a phone",
		"/ghl contact add --first Grace --email x":    "Bad --email: `x` is not an email address",
		"/ghl contact add --first Grace --phone 12":   "Bad --phone",
		"/ghl contact add --first Grace --nickname G": "unknown flag --nickname",
	} {
		res := e.slash(e.alice, e.channel.ID, line)
		if res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(res.Response.Text, want) {
			t.Errorf("%s = %q, want %q", line, res.Response.Text, want)
		}
	}
	noWrites(t, e, n, "bad contact adds")

	res := e.slash(e.alice, e.channel.ID, `/ghl contact add --first Grace --last Hopper --email grace@example.com --phone "(415) 555-0199" --company "Navy Labs" --tag fair`)
	wantWrite(t, writesSince(e, n), "POST", "/contacts/", `{"locationId":"loc1","firstName":"Grace","lastName":"Hopper","email":"grace@example.com","phone":"+14155550199","companyName":"Navy Labs","tags":["fair"]}`)
	if res.Response.ResponseType != mattermost.ResponseInChannel || !strings.Contains(res.Response.Text, "Contact created by @alice") {
		t.Fatalf("answer: %+v", res.Response)
	}
	card := postText(mattermost.Post{Props: mattermost.Props{Attachments: res.Response.Attachments}})
	if !strings.Contains(card, "grace@example.com") || !strings.Contains(card, "Navy Labs") {
		t.Errorf("card:\n%s", card)
	}
	e.settle()
	if c := len(e.posts(e.channel.ID)); c != 1 {
		t.Errorf("%d posts after the ContactCreate webhook, want 1 (no echo)", c)
	}

	// A duplicate the location forbids: HighLevel's message, and where the
	// existing contact is.
	res = e.slash(e.alice, e.channel.ID, "/ghl contact add --first Ada --email ada@example.com")
	if !strings.Contains(res.Response.Text, "HighLevel refused: This location does not allow duplicated contacts.") || !strings.Contains(res.Response.Text, "`"+e.contact.ID+"`") {
		t.Errorf("duplicate: %q", res.Response.Text)
	}
}

func TestContactDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	n := mark(e)
	res := e.slash(e.bob, e.channel.ID, "/ghl contact delete "+e.contact.ID)
	if !strings.Contains(res.Response.Text, "may delete contacts; nothing was deleted") {
		t.Errorf("unauthorized delete: %q", res.Response.Text)
	}
	noWrites(t, e, n, "an unauthorized delete")
	if len(e.posts(e.channel.ID)) != 0 {
		t.Error("a preview was posted for an unauthorized user")
	}

	e.stop()
	e.cfg.Admins = []string{e.alice.ID}
	e.start()
	e.slash(e.alice, e.channel.ID, "/ghl contact delete ada@example.com")
	preview := lastPost(t, e, e.channel.ID)
	goldenPost(t, "preview_contact_delete", preview, e.contact.ID, "<contact>")
	click(t, e, e.alice, preview.ID, "confirm")
	wantWrite(t, writesSince(e, n), "DELETE", "/contacts/"+e.contact.ID, "")
	if _, ok := e.hl.Contact(e.contact.ID); ok {
		t.Error("contact still in HighLevel")
	}
	done, _ := e.mm.Post(preview.ID)
	if !strings.Contains(done.Message, "Contact **Ada Lovelace**") || !strings.Contains(done.Message, "deleted by @alice") {
		t.Errorf("post: %s", done.Message)
	}
}

func TestSearchAppointmentsBusiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	e.hl.SeedContacts(testLocation, 30)
	n := mark(e)
	res := e.slash(e.alice, e.channel.ID, "/ghl search lovelace")
	reqs := e.hl.Requests()[n:]
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/contacts/search" {
		t.Fatalf("requests: %+v", reqs)
	}
	wantWrite(t, reqs, "POST", "/contacts/search", `{"locationId":"loc1","query":"lovelace","pageLimit":10}`)
	if text := res.Response.Text; res.Response.ResponseType != mattermost.ResponseEphemeral || !strings.Contains(text, "Ada Lovelace") || !strings.Contains(text, e.contact.ID) || !strings.Contains(text, "1 match") {
		t.Errorf("search: %+v", res.Response)
	}
	res = e.slash(e.alice, e.channel.ID, "/ghl search example")
	if !strings.Contains(res.Response.Text, "Showing the first 10 of 31") {
		t.Errorf("search with more pages: %q", res.Response.Text)
	}
	if res := e.slash(e.alice, e.channel.ID, "/ghl search zzzzqqq"); res.Response.Text != "No contact matches `zzzzqqq`." {
		t.Errorf("empty search: %q", res.Response.Text)
	}

	start := time.Date(2030, 3, 4, 14, 0, 0, 0, time.UTC)
	a := e.hl.AddAppointment(ghltest.Appointment{ContactID: e.contact.ID, Title: "Demo", AppointmentStatus: "booked", StartTime: start, EndTime: start.Add(30 * time.Minute)})
	e.hl.AddAppointment(ghltest.Appointment{ContactID: e.contact.ID, Title: "Intro call", StartTime: time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)})
	n = mark(e)
	res = e.slash(e.alice, e.channel.ID, "/ghl appointments ada@example.com")
	if c := countRequests(e.hl, "GET", "/contacts/"+e.contact.ID+"/appointments"); c != 1 {
		t.Errorf("%d appointment reads", c)
	}
	text := res.Response.Text
	if !strings.Contains(text, "2 appointments") || !strings.Contains(text, "Mon 4 Mar 2030 14:00 UTC–14:30 · **Demo** · booked · `"+a.ID+"`") || strings.Index(text, "Demo") > strings.Index(text, "Intro call") {
		t.Errorf("appointments:\n%s", text)
	}
	noWrites(t, e, n, "reads")

	biz := e.hl.AddBusiness(ghltest.Business{LocationID: testLocation, Name: "Acme"})
	c, _ := e.hl.Contact(e.contact.ID)
	c.BusinessID = biz.ID
	e.hl.UpdateContact(c)
	res = e.slash(e.alice, e.channel.ID, "/ghl business "+biz.ID)
	if !strings.Contains(res.Response.Text, "Contacts of business") || !strings.Contains(res.Response.Text, "Ada Lovelace") || !strings.Contains(res.Response.Text, "1 contact") {
		t.Errorf("business: %q", res.Response.Text)
	}
	if res := e.slash(e.alice, e.channel.ID, "/ghl business a/b"); !strings.Contains(res.Response.Text, "is not a business ID") {
		t.Errorf("bad business: %q", res.Response.Text)
	}
}

func TestContactAddAnswerLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settle()
	// The contact is created, the answer lost: it is found by its email
	// rather than created twice, and its webhook is still the bridge's own.
	e.hl.Fail(ghltest.Fault{Method: "POST", Path: "/contacts/", AfterWrite: true, Count: 1})
	res := e.slash(e.alice, e.channel.ID, "/ghl contact add --first Grace --email grace@example.com")
	if c := countRequests(e.hl, "POST", "/contacts/"); c != 1 {
		t.Errorf("%d creates, want 1", c)
	}
	if !strings.Contains(res.Response.Text, "Contact created by @alice") || !strings.Contains(res.Response.Text, "not created twice") || len(e.hl.Contacts(testLocation)) != 2 {
		t.Errorf("answer %+v, %d contacts", res.Response, len(e.hl.Contacts(testLocation)))
	}
	e.settle()
	if c := len(e.posts(e.channel.ID)); c != 1 {
		t.Errorf("%d posts, want 1 (no echo)", c)
	}
}

func TestShowWhereTheBotCannotPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	e.hl.AddTask(ghlTask(e, "Call back"))
	// A channel the bot is not in (a direct message): the list is the
	// command's answer instead of the bot's post.
	dm := e.mm.AddChannel("dm", e.alice.ID, e.bob.ID)
	res := e.slash(e.alice, dm.ID, "/ghl tasks "+e.contact.ID)
	if res.Response.ResponseType != mattermost.ResponseInChannel || !strings.Contains(res.Response.Text, "Call back") {
		t.Errorf("answer: %+v", res.Response)
	}
	if ps := e.posts(dm.ID); len(ps) != 1 || ps[0].UserID != e.alice.ID {
		t.Errorf("posts: %+v", ps)
	}
}

func TestContactSetRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	other := e.hl.AddContact(ghltest.Contact{LocationID: testLocation, FirstName: "Bob", Email: "bob@example.com"})
	// HighLevel refuses an email another contact has (duplicates are not
	// allowed): the preview says so, in words, and loses its buttons.
	e.slash(e.alice, e.channel.ID, "/ghl contact set "+e.contact.ID+" email="+other.Email)
	p := lastPost(t, e, e.channel.ID)
	r := click(t, e, e.alice, p.ID, "confirm")
	want := "Updating the contact failed: HighLevel said: This location does not allow duplicated contacts. (400)."
	if ephemeralText(r) != want {
		t.Errorf("answer = %q, want %q", ephemeralText(r), want)
	}
	got, _ := e.mm.Post(p.ID)
	if text := postText(got); !strings.Contains(text, "confirmed, but nothing was changed: "+want) || strings.Contains(text, "[Confirm]") {
		t.Errorf("post:\n%s", text)
	}
	if c, _ := e.hl.Contact(e.contact.ID); c.Email != "ada@example.com" {
		t.Errorf("email changed to %q", c.Email)
	}
}

func TestNoteEditAnswerLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	n1 := e.hl.AddNote(ghltest.Note{ContactID: e.contact.ID, Body: "Met at the fair"})
	path := "/contacts/" + e.contact.ID + "/notes/" + n1.ID
	// Every PUT is applied and its answer lost: the note is read back, and
	// holding the new text, the edit counts as done.
	e.hl.Fail(ghltest.Fault{Method: "PUT", Path: path, AfterWrite: true})
	res := e.slash(e.alice, e.channel.ID, "/ghl note edit "+e.contact.ID+" "+n1.ID+" Signed")
	e.hl.ClearFaults()
	if !strings.Contains(res.Response.Text, "now reads, in HighLevel:\n> Signed") {
		t.Errorf("answer: %q", res.Response.Text)
	}
	// HighLevel answers, but refuses: the user is told, in words.
	e.hl.Fail(ghltest.Fault{Method: "PUT", Path: path, Status: 422, Body: `{"statusCode":422,"message":["body must be shorter than or equal to 5000 characters"],"error":"Unprocessable Entity"}`, Count: 1})
	res = e.slash(e.alice, e.channel.ID, "/ghl note edit "+e.contact.ID+" "+n1.ID+" Too long")
	if want := "Updating the note failed: HighLevel said: body must be shorter than or equal to 5000 characters (422)."; res.Response.Text != want {
		t.Errorf("422: %q, want %q", res.Response.Text, want)
	}
}
