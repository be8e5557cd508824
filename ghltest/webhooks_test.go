package ghltest_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook target recording what it gets.
type receiver struct {
	mu  sync.Mutex
	got []received
	url string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost {
			t.Errorf("webhook sent with %s", r.Method)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), b})
		rc.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	rc.url = ts.URL
	return rc
}

func (rc *receiver) events(t *testing.T) ([]map[string]any, []received) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []map[string]any
	for _, r := range rc.got {
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("webhook body %q: %v", r.body, err)
		}
		out = append(out, m)
	}
	return out, slices.Clone(rc.got)
}

func types(evs []map[string]any) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e["type"].(string))
	}
	return out
}

// testSigner is a *webhook.Signer with the published test keys.
func testSigner() *webhook.Signer {
	ed, rk := ghltest.WebhookPrivateKeys()
	return &webhook.Signer{Ed25519: ed, RSA: rk}
}

func TestWebhookTestKeys(t *testing.T) {
	t.Parallel()
	a, _ := ghltest.WebhookPrivateKeys()
	b, _ := ghltest.WebhookPrivateKeys()
	a[0] ^= 0xff
	if b[0] == a[0] {
		t.Fatal("WebhookPrivateKeys shares its Ed25519 key between calls")
	}
	p1, _ := ghltest.WebhookPublicKeys()
	p1[0] ^= 0xff
	p2, rsaPub := ghltest.WebhookPublicKeys()
	if p1[0] == p2[0] {
		t.Fatal("WebhookPublicKeys shares its Ed25519 key between calls")
	}
	ed, rk := ghltest.WebhookPrivateKeys()
	if !ed.Public().(ed25519.PublicKey).Equal(p2) || !rk.PublicKey.Equal(rsaPub) {
		t.Fatal("WebhookPrivateKeys and WebhookPublicKeys are not pairs")
	}
}

// verify checks both signatures with the standard library and the test
// public keys.
func verify(r received) (edOK, rsaOK bool) {
	edPub, rsaPub := ghltest.WebhookPublicKeys()
	if sig, err := base64.StdEncoding.DecodeString(r.header.Get("X-GHL-Signature")); err == nil {
		edOK = ed25519.Verify(edPub, r.body, sig)
	}
	if sig, err := base64.StdEncoding.DecodeString(r.header.Get("X-WH-Signature")); err == nil {
		sum := sha256.Sum256(r.body)
		rsaOK = rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, sum[:], sig) == nil
	}
	return edOK, rsaOK
}

func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	clk := newClock()
	rc := newReceiver(t)
	srv := newServer(t, ghltest.WithClock(clk.Now), ghltest.WithWebhookSigner(testSigner()))
	srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Before"}) // before the target: not sent
	srv.SetWebhookTarget(rc.url)

	seeded := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Seed", Email: "seed@example.com"})
	r := do(t, srv, "POST", "/contacts/", tokRW, map[string]any{"locationId": loc, "firstName": "Ada", "tags": []string{"x"}})
	id := r.obj(t)["contact"].(map[string]any)["id"].(string)
	do(t, srv, "PUT", "/contacts/"+id, tokRW, map[string]any{"tags": []string{"y"}, "dnd": true, "city": "Paris"})
	do(t, srv, "POST", "/contacts/"+id+"/tags", tokRW, map[string]any{"tags": []string{"z"}})
	r = do(t, srv, "POST", "/contacts/"+id+"/tasks", tokRW, map[string]any{"title": "T", "body": "B", "dueDate": "2025-01-02T03:04:05Z", "completed": false, "assignedTo": "u1"})
	task := r.obj(t)["task"].(map[string]any)["id"].(string)
	do(t, srv, "PUT", "/contacts/"+id+"/tasks/"+task+"/completed", tokRW, map[string]any{"completed": true})
	do(t, srv, "DELETE", "/contacts/"+id+"/tasks/"+task, tokRW, nil)
	r = do(t, srv, "POST", "/contacts/"+id+"/notes", tokRW, map[string]any{"body": "n"})
	note := r.obj(t)["note"].(map[string]any)["id"].(string)
	do(t, srv, "PUT", "/contacts/"+id+"/notes/"+note, tokRW, map[string]any{"body": "n2"})
	do(t, srv, "DELETE", "/contacts/"+id+"/notes/"+note, tokRW, nil)
	a := srv.AddAppointment(ghltest.Appointment{ContactID: id, Title: "Meet", StartTime: clk.Now(), EndTime: clk.Now().Add(time.Hour)})
	srv.DeleteAppointment(id, a.ID)
	srv.UpdateContact(ghltest.Contact{ID: seeded.ID, FirstName: "Seeded"})
	srv.DeleteContact(seeded.ID)
	do(t, srv, "DELETE", "/contacts/"+id, tokRW, nil)
	srv.FlushWebhooks()

	evs, raw := rc.events(t)
	want := []string{
		"ContactCreate", "ContactCreate",
		"ContactTagUpdate", "ContactDndUpdate", "ContactUpdate",
		"ContactTagUpdate",
		"TaskCreate", "TaskComplete", "TaskDelete",
		"NoteCreate", "NoteUpdate", "NoteDelete",
		"AppointmentCreate", "AppointmentDelete",
		"ContactUpdate", "ContactDelete", "ContactDelete",
	}
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("events = %v\nwant     %v", got, want)
	}
	ids := map[string]bool{}
	for i, e := range evs {
		if e["timestamp"] != "2024-05-06T07:08:09Z" {
			t.Errorf("event %d timestamp %v", i, e["timestamp"])
		}
		wid, _ := e["webhookId"].(string)
		if wid == "" || ids[wid] {
			t.Errorf("event %d webhookId %q missing or repeated", i, wid)
		}
		ids[wid] = true
		if e["locationId"] != loc {
			t.Errorf("event %d locationId %v", i, e["locationId"])
		}
		if ed, rs := verify(raw[i]); !ed || !rs {
			t.Errorf("event %d signatures: ed25519 %v, rsa %v", i, ed, rs)
		}
		if ct := raw[i].header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("event %d Content-Type %q", i, ct)
		}
	}
	// Payload shapes, as in webhook-events/*.md.
	wantEvent := func(i int, want string) {
		t.Helper()
		var exp map[string]any
		if err := json.Unmarshal([]byte(want), &exp); err != nil {
			t.Fatal(err)
		}
		exp["timestamp"], exp["webhookId"] = evs[i]["timestamp"], evs[i]["webhookId"]
		got, _ := json.Marshal(evs[i])
		wantJSON, _ := json.Marshal(exp)
		if string(got) != string(wantJSON) {
			t.Errorf("event %d =\n%s\nwant\n%s", i, got, wantJSON)
		}
	}
	wantEvent(1, fmt.Sprintf(`{"type":"ContactCreate","locationId":"loc1","id":%q,"firstName":"Ada","name":"Ada","dateAdded":"2024-05-06T07:08:09.000Z","dnd":false,"tags":["x"],"attachments":[],"customFields":[]}`, id))
	wantEvent(3, fmt.Sprintf(`{"type":"ContactDndUpdate","locationId":"loc1","id":%q,"firstName":"Ada","name":"Ada","city":"Paris","dateAdded":"2024-05-06T07:08:09.000Z","dnd":true,"tags":["y"],"attachments":[],"customFields":[]}`, id))
	wantEvent(6, fmt.Sprintf(`{"type":"TaskCreate","locationId":"loc1","id":%q,"assignedTo":"u1","body":"B","contactId":%q,"title":"T","dateAdded":"2024-05-06T07:08:09.000Z","dueDate":"2025-01-02T03:04:05.000Z"}`, task, id))
	wantEvent(9, fmt.Sprintf(`{"type":"NoteCreate","locationId":"loc1","id":%q,"body":"n","contactId":%q,"dateAdded":"2024-05-06T07:08:09.000Z"}`, note, id))
	if ap := evs[12]["appointment"].(map[string]any); ap["id"] != a.ID || ap["title"] != "Meet" || ap["contactId"] != id {
		t.Errorf("AppointmentCreate payload %v", evs[12])
	}

	ds := srv.WebhookDeliveries()
	if len(ds) != len(want) {
		t.Fatalf("%d deliveries", len(ds))
	}
	for i, d := range ds {
		if d.Type != want[i] || d.StatusCode != 200 || d.Err != nil || string(d.Body) != string(raw[i].body) || d.WebhookID != evs[i]["webhookId"] {
			t.Errorf("delivery %d = %+v", i, d)
		}
	}

	// No target, no events.
	srv.SetWebhookTarget("")
	srv.AddContact(ghltest.Contact{LocationID: loc})
	srv.FlushWebhooks()
	if evs, _ := rc.events(t); len(evs) != len(want) {
		t.Fatalf("events after clearing the target: %d", len(evs))
	}
}

func TestWebhookFaults(t *testing.T) {
	t.Parallel()
	clk := newClock()
	rc := newReceiver(t)
	srv := newServer(t, ghltest.WithClock(clk.Now), ghltest.WithWebhookSigner(testSigner()))
	srv.SetWebhookTarget(rc.url)

	srv.FailWebhooks(ghltest.WebhookFault{Duplicate: true, Count: 1})
	srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "dup"})
	srv.FailWebhooks(ghltest.WebhookFault{Stale: 10 * time.Minute, Count: 1})
	srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "stale"})
	srv.FailWebhooks(ghltest.WebhookFault{BadSignature: true, Count: 1})
	srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "forged"})
	srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "fine"})
	srv.FlushWebhooks()

	evs, raw := rc.events(t)
	var names []string
	for _, e := range evs {
		names = append(names, e["firstName"].(string))
	}
	if !slices.Equal(names, []string{"dup", "dup", "stale", "forged", "fine"}) {
		t.Fatalf("deliveries %v", names)
	}
	if string(raw[0].body) != string(raw[1].body) || raw[0].header.Get("X-GHL-Signature") != raw[1].header.Get("X-GHL-Signature") {
		t.Error("duplicate differs from the original")
	}
	if evs[2]["timestamp"] != "2024-05-06T06:58:09Z" {
		t.Errorf("stale timestamp %v", evs[2]["timestamp"])
	}
	for i, wantOK := range []bool{true, true, true, false, true} {
		ed, rs := verify(raw[i])
		if ed != wantOK || rs != wantOK {
			t.Errorf("delivery %d: ed25519 %v, rsa %v, want %v", i, ed, rs, wantOK)
		}
	}
}

func TestWebhooksSignedByDefaultAndUnsignedWithNilSigner(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := newServer(t)
	srv.SetWebhookTarget(rc.url)
	srv.AddContact(ghltest.Contact{LocationID: loc})
	srv.FlushWebhooks()
	_, raw := rc.events(t)
	if len(raw) != 1 {
		t.Fatalf("deliveries %+v", raw)
	}
	edPub, rsaPub := ghltest.WebhookPublicKeys()
	sig, err := base64.StdEncoding.DecodeString(raw[0].header.Get("X-GHL-Signature"))
	if err != nil || !ed25519.Verify(edPub, raw[0].body, sig) {
		t.Fatalf("default Ed25519 signature does not verify: %v", err)
	}
	legacy, err := base64.StdEncoding.DecodeString(raw[0].header.Get("X-WH-Signature"))
	sum := sha256.Sum256(raw[0].body)
	if err != nil || rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, sum[:], legacy) != nil {
		t.Fatalf("default RSA signature does not verify: %v", err)
	}

	rc2 := newReceiver(t)
	unsigned := newServer(t, ghltest.WithWebhookSigner(nil))
	unsigned.SetWebhookTarget(rc2.url)
	unsigned.AddContact(ghltest.Contact{LocationID: loc})
	unsigned.FlushWebhooks()
	_, raw = rc2.events(t)
	if len(raw) != 1 || raw[0].header.Get("X-GHL-Signature") != "" || raw[0].header.Get("X-WH-Signature") != "" {
		t.Fatalf("deliveries %+v", raw)
	}
}
