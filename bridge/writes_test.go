package bridge

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/jackc/pgx/v5"
)

// hookTransport calls after once HighLevel answered a request that match
// selects, before the client sees the answer: the moment a write made
// from chat is done in HighLevel but not yet marked as the bridge's own.
type hookTransport struct {
	match func(*http.Request) bool
	after func(body []byte)
}

func (h *hookTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := testClient.Transport.RoundTrip(req)
	if err != nil || !h.match(req) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	h.after(body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// TestOwnWriteHeldAcrossReplicas: a task created from chat through
// replica A has its TaskCreate webhook delivered to replica B while A
// still waits for HighLevel's answer. B must hold it until A marked it
// as the bridge's own, and so not post it; a task made in HighLevel for
// the same contact afterwards is posted. With the write under way known
// only inside A's process, B posted the echo.
func TestOwnWriteHeldAcrossReplicas(t *testing.T) {
	t.Parallel()
	dbURL := newTestSchema(t)
	e := newEnv(t, withDatabase(dbURL), withoutRun(), withoutWebhookTarget())
	ctx := context.Background()

	// Replica B: its own bridge, clients and server on the same database.
	gcB, mcB := e.clients()
	b2, err := New(e.cfg, WithGHLClient(gcB), WithMattermostClient(mcB), WithDeliveryPolicy(fastDelivery),
		WithLogger(slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("replica", "B")))
	if err != nil {
		t.Fatal(err)
	}
	srvB := httptest.NewServer(b2)
	runCtx, stopB := context.WithCancel(ctx)
	doneB := make(chan struct{})
	go func() {
		defer close(doneB)
		b2.Run(runCtx)
	}()
	t.Cleanup(func() {
		stopB()
		<-doneB
		srvB.Close()
		b2.Close()
	})

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	announced := func() int {
		n := 0
		for _, p := range e.posts(e.channel.ID) {
			if strings.Contains(postText(p), "New task in HighLevel for") {
				n++
			}
		}
		return n
	}

	// Replica A, whose task create, once HighLevel made the task, first
	// delivers the task's webhook to B and waits until B looked at it
	// twice (or posted it).
	var hooked atomic.Int32
	hook := &hookTransport{
		match: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tasks")
		},
		after: func(body []byte) {
			hooked.Add(1)
			var created struct {
				Task struct {
					ID string `json:"id"`
				} `json:"task"`
			}
			if err := json.Unmarshal(body, &created); err != nil || created.Task.ID == "" {
				t.Errorf("create answer %s: %v", body, err)
				return
			}
			wh := fmt.Appendf(nil, `{"type":"TaskCreate","locationId":%q,"id":%q,"contactId":%q,"title":"From chat","dueDate":"2030-01-01T09:00:00.000Z","timestamp":%q,"webhookId":"wh-chat"}`,
				testLocation, created.Task.ID, e.contact.ID, time.Now().UTC().Format(time.RFC3339))
			resp, err := testClient.Do(signedWebhook(t, srvB.URL+PathWebhook, wh))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("replica B answered the webhook %d", resp.StatusCode)
				return
			}
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				var claims int
				err := conn.QueryRow(ctx, `SELECT claims FROM bridge_outbox WHERE webhook_id = 'wh-chat'`).Scan(&claims)
				if err == pgx.ErrNoRows || claims >= 2 { // posted (or dropped), or held twice
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond)
			}
			t.Error("replica B never looked at the webhook")
		},
	}
	gcA, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(e.hl.URL), ghl.WithLocationID(testLocation),
		ghl.WithoutRateLimit(), ghl.WithTransport(hook))
	if err != nil {
		t.Fatal(err)
	}
	e.stop()
	e.start(WithGHLClient(gcA))
	e.run()

	e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" From chat")
	if hooked.Load() != 1 {
		t.Fatalf("the create went through the hook %d times, want 1", hooked.Load())
	}
	if n := len(e.hl.Tasks(e.contact.ID)); n != 1 {
		t.Fatalf("%d tasks in HighLevel, want 1", n)
	}
	e.waitFor("replica B to settle the chat task's webhook", func() bool {
		var n int
		return conn.QueryRow(ctx, `SELECT count(*) FROM bridge_outbox`).Scan(&n) == nil && n == 0
	})
	if n := announced(); n != 0 {
		t.Fatalf("the webhook of the task made from chat was posted %d times, want 0", n)
	}
	var writes int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM bridge_writes`).Scan(&writes); err != nil || writes != 0 {
		t.Errorf("%d writes still marked under way (%v), want 0", writes, err)
	}

	// A task made in HighLevel for the same contact is news: B posts it.
	e.hl.SetWebhookTarget(srvB.URL + PathWebhook)
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Made in HighLevel", DueDate: time.Now().Add(time.Hour)})
	e.hl.FlushWebhooks()
	e.waitFor("the HighLevel task's post", func() bool { return announced() == 1 })
	for _, p := range e.posts(e.channel.ID) {
		if text := postText(p); strings.Contains(text, "New task in HighLevel for") && !strings.Contains(text, task.ID) {
			t.Errorf("announced another task than %s:\n%s", task.ID, text)
		}
	}
}

// suiteWrites: writes under way are per contact, counted one by one
// (nested writes of one contact), and expire.
func suiteWrites(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)
	writing := func(contact string) bool {
		t.Helper()
		r, err := s.Route(ctx, contact, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return r.Writing
	}
	if writing("c1") {
		t.Error("writing before any write")
	}
	if err := s.BeginWrite(ctx, "c1", "w1", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.BeginWrite(ctx, "c1", "w2", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !writing("c1") || writing("c") || writing("c10") {
		t.Errorf("c1 writing = %v, c = %v, c10 = %v; want only c1", writing("c1"), writing("c"), writing("c10"))
	}
	if err := s.EndWrite(ctx, "c1", "w1"); err != nil {
		t.Fatal(err)
	}
	if !writing("c1") {
		t.Error("not writing while w2 is under way")
	}
	if err := s.EndWrite(ctx, "c1", "w2"); err != nil {
		t.Fatal(err)
	}
	if writing("c1") {
		t.Error("writing after both ended")
	}
	if err := s.EndWrite(ctx, "c1", "w2"); err != nil {
		t.Errorf("EndWrite of nothing = %v", err)
	}
	// A replica that died mid-write holds the contact until the expiry.
	if err := s.BeginWrite(ctx, "c2", "w3", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if writing("c2") {
		t.Error("writing after the expiry")
	}
	if err := s.Sweep(ctx, clock.now()); err != nil {
		t.Fatal(err)
	}
	if err := s.BeginWrite(ctx, "", "w4", clock.now().Add(time.Minute)); err == nil {
		t.Error("BeginWrite without a contact: no error")
	}
}

// suiteRouteOwnUnlessWriting: Route tells Writing and takes the own mark
// in the same call; no mark is taken while the contact is being written.
func suiteRouteOwnUnlessWriting(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := newStore(t, clock.now)
	if _, err := s.Subscribe(ctx, "c1", "sub"); err != nil {
		t.Fatal(err)
	}
	check := func(contact, key string, wantWriting, wantOwn bool) {
		t.Helper()
		r, err := s.Route(ctx, contact, "", key)
		if err != nil || r.Writing != wantWriting || r.Own != wantOwn {
			t.Errorf("Route(%q, %q) = writing %v, own %v, %v; want %v, %v", contact, key, r.Writing, r.Own, err, wantWriting, wantOwn)
		}
		if want := map[string]string{"c1": "[sub]"}[contact]; err == nil && fmt.Sprint(r.Subscribers) != cmp.Or(want, "[]") {
			t.Errorf("Route(%q, %q).Subscribers = %v; the route is read whatever the marks", contact, key, r.Subscribers)
		}
	}
	check("c1", "k1", false, false) // nothing at all
	check("", "", false, false)
	if err := s.MarkOwn(ctx, "k1", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.BeginWrite(ctx, "c1", "w1", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("c1", "k1", true, false) // held: the mark stays
	check("c1", "", true, false)
	if own, err := s.IsOwn(ctx, "k1"); err != nil || !own {
		t.Fatalf("IsOwn after a held event = %v, %v", own, err)
	}
	check("c2", "k1", false, true) // another contact: taken, once
	check("c2", "k1", false, false)
	if err := s.MarkOwn(ctx, "k2", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.EndWrite(ctx, "c1", "w1"); err != nil {
		t.Fatal(err)
	}
	check("c1", "k2", false, true)
	if err := s.MarkOwn(ctx, "k3", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("", "k3", false, true) // an event without a contact
	if err := s.MarkOwn(ctx, "k4", clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	check("c1", "k4", false, false) // expired
}
