package bridge

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
)

// TestAgenciesEndToEnd is issue 18's end-to-end test: one bridge, as a
// marketplace app, serves two agencies of three locations each, installed
// through its own install flow (Company tokens, then a token per
// location). Two channels are connected with /ghl connect to locations of
// different agencies. Every location's webhooks land only in the channel
// of their location (or nowhere); a command in one channel naming a
// contact, task or note of the other location is refused and never reads
// or writes that location's data; an uninstall tells its channel once,
// its commands then say so, and the other channel keeps working.
func TestAgenciesEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAgencyApp(), withoutWebhookTarget())
	ctx := context.Background()
	admin := e.mm.AddUser("root")
	e.mm.SetSystemAdmin(admin.ID, true)
	agencies := map[string][]string{"co1": {"a1", "a2", "a3"}, "co2": {"b1", "b2", "b3"}}
	contact := map[string]ghltest.Contact{}
	for co, locs := range agencies {
		for _, loc := range locs {
			e.hl.AddLocation(ghltest.Location{ID: loc, CompanyID: co})
			contact[loc] = e.hl.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Client", LastName: strings.ToUpper(loc), Email: loc + "@example.com"})
		}
	}
	e.hl.SetWebhookTarget(e.srv.URL + PathWebhook)
	e.installAgency("co1")
	e.installAgency("co2")
	for _, locs := range agencies {
		for _, loc := range locs {
			if ok, err := e.b.apps.isInstalled(ctx, loc); err != nil || !ok {
				t.Fatalf("%s not installed after its agency's install: %v", loc, err)
			}
		}
	}
	chA, chB := e.channel.ID, e.other.ID
	e.slash(admin, chA, "/ghl connect a1")
	e.slash(admin, chB, "/ghl connect b1")
	before := map[string]int{chA: len(e.posts(chA)), chB: len(e.posts(chB))}

	// A task and a note in every location.
	tasksOf, notesOf := map[string]ghltest.Task{}, map[string]ghltest.Note{}
	for _, locs := range agencies {
		for _, loc := range locs {
			tasksOf[loc] = e.hl.AddTask(ghltest.Task{ContactID: contact[loc].ID, Title: "task of " + loc, DueDate: time.Now().Add(time.Hour)})
			notesOf[loc] = e.hl.AddNote(ghltest.Note{ContactID: contact[loc].ID, Body: "note of " + loc})
		}
	}
	e.settle()
	for ch, loc := range map[string]string{chA: "a1", chB: "b1"} {
		got := e.texts(ch)[before[ch]:]
		if len(got) != 2 || countContaining(got, "task of "+loc) != 1 || countContaining(got, "note of "+loc) != 1 ||
			countContaining(got, "Client "+strings.ToUpper(loc)) != 2 {
			t.Errorf("channel of %s: %q, want its task and note, naming the contact", loc, got)
		}
	}
	if got := e.b.IgnoredWebhooks(); got != (IgnoredWebhooks{}) {
		t.Errorf("webhooks of installed locations ignored: %+v", got)
	}

	// From A, B's contact, task and note, by every command that names one.
	b1 := contact["b1"]
	bTask, bNote := tasksOf["b1"], notesOf["b1"]
	e.hl.ResetRequests()
	for _, line := range []string{
		"/ghl contact b1@example.com",
		"/ghl contact " + b1.ID,
		"/ghl tasks " + b1.ID,
		"/ghl notes " + b1.ID,
		"/ghl task done " + b1.ID + " " + bTask.ID,
		"/ghl task done " + contact["a1"].ID + " " + bTask.ID,
		"/ghl task edit " + b1.ID + " " + bTask.ID + " --title Hijacked",
		"/ghl task add " + b1.ID + " Hijacked",
		"/ghl note add " + b1.ID + " Hijacked",
		"/ghl note edit " + b1.ID + " " + bNote.ID + " Hijacked",
		"/ghl note edit " + contact["a1"].ID + " " + bNote.ID + " Hijacked",
		"/ghl tag add " + b1.ID + " hijacked",
		"/ghl contact set " + b1.ID + " firstName=Hijacked",
		"/ghl subscribe " + b1.ID,
		"/ghl search Client",
	} {
		r := e.slash(admin, chA, line).Response
		shown := postText(mattermost.Post{Message: r.Text, Props: mattermost.Props{Attachments: r.Attachments}})
		if strings.Contains(shown, "Client B1") || strings.Contains(shown, "of b1") {
			t.Errorf("%s in A's channel showed B's data: %q", line, shown)
		}
	}
	// Every request was made for a1: a search names a1 in its body; no
	// write names B's contact, task or note.
	for _, rq := range e.hl.Requests() {
		if loc := firstOf(rq.Query["locationId"]); loc != "" && loc != "a1" {
			t.Errorf("A's channel asked HighLevel about location %s: %s %s", loc, rq.Method, rq.Path)
		}
		if rq.Method == http.MethodPost && rq.Path == "/contacts/search" {
			var body struct{ LocationID string }
			if err := json.Unmarshal(rq.Body, &body); err != nil || body.LocationID != "a1" {
				t.Errorf("A's channel searched location %q: %s", body.LocationID, rq.Body)
			}
			continue
		}
		if rq.Method != http.MethodGet && (strings.Contains(rq.Path, b1.ID) || strings.Contains(rq.Path, bTask.ID) || strings.Contains(rq.Path, bNote.ID)) {
			t.Errorf("a write about B from A's channel: %s %s %s", rq.Method, rq.Path, rq.Body)
		}
	}
	if got := e.hl.Tasks(b1.ID); len(got) != 1 || got[0].Completed || got[0].Title != "task of b1" {
		t.Errorf("B's tasks after A's commands: %+v", got)
	}
	if got := e.hl.Notes(b1.ID); len(got) != 1 || got[0].Body != "note of b1" {
		t.Errorf("B's notes after A's commands: %+v", got)
	}
	if got, _ := e.hl.Contact(b1.ID); got.FirstName != "Client" || slices.Contains(got.Tags, "hijacked") {
		t.Errorf("B's contact after A's commands: %+v", got)
	}
	e.settle()
	if got := e.texts(chA); countContaining(got, "of b1") != 0 || countContaining(got, "Hijacked") != 0 {
		t.Errorf("A's channel shows B's data: %q", got)
	}

	// b1 uninstalls the app: B is told once, even when HighLevel
	// redelivers; its commands say so; A goes on.
	before[chA], before[chB] = len(e.posts(chA)), len(e.posts(chB))
	e.hl.Uninstall(appClientID, "b1")
	e.settle()
	for _, d := range e.hl.WebhookDeliveries() {
		if d.Type == "UNINSTALL" {
			if got := redeliver(t, e.srv.URL, d); got != http.StatusOK {
				t.Fatalf("redelivered UNINSTALL: %d", got)
			}
		}
	}
	e.hl.AddTask(ghltest.Task{ContactID: b1.ID, Title: "b1 after its uninstall", DueDate: time.Now().Add(time.Hour)})
	e.hl.AddTask(ghltest.Task{ContactID: contact["a1"].ID, Title: "a1 goes on", DueDate: time.Now().Add(time.Hour)})
	e.settle()
	if got := e.texts(chB)[before[chB]:]; len(got) != 1 || !strings.Contains(got[0], "uninstalled from location **b1**") {
		t.Errorf("B after b1's uninstall: %q, want one notice", got)
	}
	if got := e.texts(chA)[before[chA]:]; len(got) != 1 || !strings.Contains(got[0], "a1 goes on") {
		t.Errorf("A after b1's uninstall: %q, want its own event only", got)
	}
	if got := e.b.IgnoredWebhooks().NotInstalled; got != 1 {
		t.Errorf("b1's event after its uninstall: %d ignored, want 1", got)
	}
	wantText(t, "B's command", e.ephemeral(e.alice, chB, "/ghl contact b1@example.com"), "not installed in location `b1`", "/ghl disconnect")
	if r := e.slash(e.alice, chA, "/ghl contact a1@example.com").Response; len(r.Attachments) != 1 || !strings.Contains(r.Attachments[0].Title, "Client A1") {
		t.Errorf("A after b1's uninstall: %+v", r)
	}
	// The other locations of co2 are untouched.
	if ok, err := e.b.apps.isInstalled(ctx, "b2"); err != nil || !ok {
		t.Errorf("b2 after b1's uninstall: %v %v", ok, err)
	}
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
