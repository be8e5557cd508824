package bridge

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/webhook"
)

func TestWithTrigger(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.start(WithTrigger("crm"))
	res := e.slash(e.alice, e.channel.ID, "/ghl help")
	if !strings.Contains(res.Response.Text, "/crm contact <contact...>") || strings.Contains(res.Response.Text, "/ghl contact") {
		t.Errorf("help does not use the trigger:\n%s", res.Response.Text)
	}
	for _, bad := range []string{"", " ", "two words"} {
		if _, err := New(e.cfg, WithTrigger(bad)); err == nil {
			t.Errorf("WithTrigger(%q) accepted", bad)
		}
	}
	if _, err := New(e.cfg, WithHTTPClient(nil)); err == nil {
		t.Error("WithHTTPClient(nil) accepted")
	}
}

// countingTransport counts the requests that pass through it.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return testClient.Transport.RoundTrip(r)
}

func TestWithHTTPClientCarriesTheBuiltClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	ct := &countingTransport{}
	b, err := New(e.cfg, WithHTTPClient(&http.Client{Transport: ct}))
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.b, e.handler = b, b
	e.mu.Unlock()
	res := e.slash(e.alice, e.channel.ID, "/ghl contact ada@example.com")
	if !strings.Contains(res.Response.Text+fmt.Sprint(res.Response.Attachments), "Ada") {
		t.Fatalf("contact answer: %+v", res.Response)
	}
	if ct.n.Load() == 0 {
		t.Error("the HighLevel client New built did not use the given http.Client")
	}
}

func TestWithWebhookOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	body := func(id string) []byte {
		return []byte(`{"type":"ContactTagUpdate","locationId":"` + testLocation + `","webhookId":"` + id +
			`","timestamp":"` + time.Now().Add(-10*time.Second).UTC().Format(time.RFC3339) + `","id":"` + e.contact.ID + `","tags":["vip"]}`)
	}
	if got := postWebhook(t, e, signedWebhook(t, e.srv.URL+PathWebhook, body("ten-seconds-1"))); got != http.StatusOK {
		t.Fatalf("a 10 s old webhook with the default tolerance: %d", got)
	}
	e.stop()
	e.start(WithWebhookOptions(webhook.WithTolerance(time.Second)))
	if got := postWebhook(t, e, signedWebhook(t, e.srv.URL+PathWebhook, body("ten-seconds-2"))); got != http.StatusBadRequest {
		t.Errorf("a 10 s old webhook with a 1 s tolerance: %d, want 400", got)
	}
}

func TestWithSignerOptions(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Now()}
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.start(WithClock(clock.now), WithSignerOptions(mattermost.WithActionTTL(time.Minute)))
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", DueDate: time.Now().Add(time.Hour)})
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	list := e.posts(e.channel.ID)[0]
	ar := &mattermost.ActionRequest{UserID: e.alice.ID, UserName: "alice", ChannelID: e.channel.ID, PostID: list.ID, Type: "button",
		Context: buttonContext(t, e, list.ID, task.ID)}
	clock.add(2 * time.Minute) // past the one-minute buttons, well within the default 7 days
	if resp := replayAction(t, e, ar); resp.EphemeralText != mattermost.ExpiredActionText {
		t.Errorf("click after the TTL: %+v", resp)
	}
	if n := countRequests(e.hl, "PUT", "/contacts/"+e.contact.ID+"/tasks/"+task.ID+"/completed"); n != 0 {
		t.Errorf("%d completion writes, want 0", n)
	}
}

// TestDefaultClientKeepsConnections: without WithHTTPClient, the clients
// New builds keep a connection per post in flight for the next ones. Go's
// default transport keeps only 2 idle per host, so 8 posts at a time
// opened 6 new connections (TCP and TLS handshakes) every round.
func TestDefaultClientKeepsConnections(t *testing.T) {
	t.Parallel()
	const parallel, rounds = 8, 5
	var dials atomic.Int32
	arrived := make(chan struct{}, parallel)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release // every round's requests in flight together
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"bot","username":"ghl"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	cfg := e.cfg
	cfg.MattermostURL = srv.URL
	gc, _ := e.clients()
	b, err := New(cfg, WithGHLClient(gc))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for range rounds {
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				if _, err := b.mm.Me(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		for range parallel {
			<-arrived
		}
		for range parallel {
			release <- struct{}{}
		}
		wg.Wait()
	}
	// One connection per request in flight; a few more only when a round
	// starts before the last one's connections are back in the pool.
	if n := dials.Load(); n > 2*parallel {
		t.Errorf("%d connections for %d rounds of %d requests at once, want about %d", n, rounds, parallel, parallel)
	}
}
