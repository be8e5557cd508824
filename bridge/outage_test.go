package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// dbProxy forwards TCP connections to the test database until cut, which
// drops every connection and refuses new ones: a database outage.
type dbProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newDBProxy(t *testing.T, dbURL string) (*dbProxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: u.Host, conns: make(map[net.Conn]bool)}
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	go p.serve()
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *dbProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// cut starts (true) or ends (false) the outage.
func (p *dbProxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// TestDatabaseOutage: while PostgreSQL is unreachable, webhooks are
// answered 503 with Retry-After and nothing is acknowledged; /healthz says
// unavailable and /readyz answers 503; HighLevel's redelivery after the
// outage is stored and posted once.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	dbURL := newTestSchema(t)
	proxy, viaProxy := newDBProxy(t, dbURL)
	e := newEnv(t, withoutWebhookTarget(), withDatabase(viaProxy))
	if _, ok := e.b.Store().(*PGStore); !ok {
		t.Fatalf("store is %T, want *PGStore", e.b.Store())
	}
	body := fmt.Appendf(nil, `{"type":"TaskCreate","locationId":%q,"id":"task-1","contactId":%q,"title":"Call back","dueDate":"2030-01-01T09:00:00.000Z","timestamp":%q,"webhookId":"wh-outage"}`,
		testLocation, e.contact.ID, time.Now().UTC().Format(time.RFC3339))
	send := func() *http.Response {
		t.Helper()
		resp, err := testClient.Do(signedWebhook(t, e.srv.URL+PathWebhook, body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	proxy.cut(true)
	for range 2 {
		if resp := send(); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("webhook during the outage: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	// Liveness says it; readiness takes the replica out of the balancer.
	resp, err := testClient.Get(e.srv.URL + PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || h.Status != "unavailable" {
		t.Errorf("/healthz during the outage: %d %+v, want 200 unavailable", resp.StatusCode, h)
	}
	resp, err = testClient.Get(e.srv.URL + PathReady)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d, want 503", resp.StatusCode)
	}

	proxy.cut(false)
	// The pool reconnects: HighLevel's redelivery is stored.
	e.waitFor("the webhook accepted after the outage", func() bool { return send().StatusCode == http.StatusOK })
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d posts after the outage, want 1", n)
	}
	if resp := send(); resp.StatusCode != http.StatusOK {
		t.Errorf("a later redelivery: %d, want 200 (a duplicate)", resp.StatusCode)
	}
	e.settle()
	if n := len(e.posts(e.channel.ID)); n != 1 {
		t.Errorf("%d posts after a redelivery, want 1", n)
	}
	st, err := e.b.Store().OutboxStats(context.Background())
	if err != nil || st.Pending != 0 {
		t.Errorf("outbox = %+v, %v", st, err)
	}
}
