package bridge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/webhook"
)

// postTimer is the Mattermost client's transport in the benchmark: it notes
// when each event's post was created (Mattermost answered 201), keyed by
// the task title the post carries.
type postTimer struct {
	next http.RoundTripper
	mu   sync.Mutex
	at   map[string]time.Time
	n    atomic.Int64
	dups atomic.Int64 // events posted more than once
	done chan struct{}
	want int64
}

// expect resets the count: done closes when want more events are posted.
func (p *postTimer) expect(want int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n.Store(0)
	p.want, p.done = want, make(chan struct{})
}

func (p *postTimer) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/api/v4/posts") && req.Body != nil && req.ContentLength > 0 {
		// Read in one allocation (the client sends its length): the load
		// generator's CPU is taken from the bridge it measures.
		body = make([]byte, req.ContentLength)
		if _, err := io.ReadFull(req.Body, body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := p.next.RoundTrip(req)
	if err != nil || body == nil || resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	now := time.Now()
	// Only the first attachment's title, found rather than decoded: the
	// load generator's CPU is taken from the bridge it measures. A
	// "title" key is the first attachment's (an attachment's fields come
	// after its title, and a quote inside a string is escaped), and the
	// titles the benchmark sends need no escaping.
	if _, rest, ok := bytes.Cut(body, []byte(`"title":"`)); ok {
		full, _, _ := bytes.Cut(rest, []byte(`"`))
		_, title, _ := strings.Cut(string(full), " ")
		p.mu.Lock()
		if _, dup := p.at[title]; !dup {
			p.at[title] = now
			if p.n.Add(1) == p.want {
				close(p.done)
			}
		} else {
			p.dups.Add(1)
		}
		p.mu.Unlock()
	}
	return resp, err
}

// BenchmarkWebhookToMattermost measures signed TaskCreate webhooks going
// through the bridge (verify, dedupe, durable outbox, acknowledgement,
// delivery) into mattermosttest over loopback HTTP, all in this process.
// It reports events/s from the first webhook sent to the last post
// created, and the p50 and p99 latency from sending a webhook (at a rate:
// from when the schedule sends it) to its post being created. "max" sends
// as fast as 8 parallel senders can (latency then includes the queue that
// builds up); "rate=800" offers a steady 800 events/s, PostgreSQL's target
// load, "rate=1000" 1,000 events/s, and "rate=400" 400 events/s, below
// what two replicas on PostgreSQL take on the 2-core machine of the
// README's figures (latency below capacity).
// "bbolt" is one bridge on its state file; "postgres-2" is two replicas on
// one PostgreSQL database (each webhook goes to either, as behind a load
// balancer; both deliver), which needs GHLKIT_TEST_DATABASE_URL. cpu-ms/event is the CPU
// this process used per event (PostgreSQL's is not counted).
//
// "contacts" is how many contacts the events go to, in turn: a contact's
// events are posted in order, one after the other, so with few contacts
// each contact's chain of reads, post and settle bounds the latency even
// below capacity. 16 is that worst case; 1,000 is closer to a CRM's
// events, spread over many contacts.
//
// Before the timing starts, a warm-up sends warmUp events (each contact
// at least once to each replica, at the same rate) and waits for their
// posts: a running bridge has its connections open, its statements
// prepared, its contacts' threads started and their names known, and that
// is what is measured.
func BenchmarkWebhookToMattermost(b *testing.B) {
	for _, store := range []string{"bbolt", "postgres-2"} {
		for _, contacts := range []int{16, 1000} {
			name := fmt.Sprintf("%s/contacts=%d/", store, contacts)
			b.Run(name+"max", func(b *testing.B) { benchWebhooks(b, store, contacts, 0) })
			b.Run(name+"rate=400", func(b *testing.B) { benchWebhooks(b, store, contacts, 400) })
			b.Run(name+"rate=800", func(b *testing.B) { benchWebhooks(b, store, contacts, 800) })
			b.Run(name+"rate=1000", func(b *testing.B) { benchWebhooks(b, store, contacts, 1000) })
		}
	}
}

// warmUp is how many events the benchmark sends before it starts timing
// (more when there are more contacts: each gets one per replica).
const warmUp = 1000

func benchWebhooks(b *testing.B, store string, contacts, rate int) {
	opts := []envOption{withoutRun(), withoutWebhookTarget()}
	if store != "bbolt" {
		opts = append(opts, withDatabase(newTestSchema(b)))
	}
	e := newEnv(b, opts...)
	ids := make([]string, contacts)
	ids[0] = e.contact.ID
	for i := 1; i < contacts; i++ {
		ids[i] = e.hl.AddContact(ghltest.Contact{LocationID: testLocation, FirstName: fmt.Sprint("Contact", i)}).ID
	}
	// The clients send as the bridge's own would (New's default client,
	// which keeps a connection per request in flight), through the timer.
	hc := defaultHTTPClient()
	timer := &postTimer{next: hc.Transport, at: map[string]time.Time{}}
	e.stop()
	gc, _ := e.clientsVia(hc)
	mc, err := mattermost.NewClient(e.mm.URL, e.botToken, mattermost.WithTransport(timer))
	if err != nil {
		b.Fatal(err)
	}
	e.start(WithGHLClient(gc), WithMattermostClient(mc), WithDeliveryPolicy(DeliveryPolicy{}), WithLogger(slog.New(slog.DiscardHandler)))
	e.run()
	urls := []string{e.srv.URL + PathWebhook}
	if store != "bbolt" {
		// The second replica: its own Bridge, clients, server and
		// deliverer, on the same database.
		gc2, _ := e.clientsVia(hc)
		mc2, err := mattermost.NewClient(e.mm.URL, e.botToken, mattermost.WithTransport(timer))
		if err != nil {
			b.Fatal(err)
		}
		b2, err := New(e.cfg, WithGHLClient(gc2), WithMattermostClient(mc2), WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		srv2 := httptest.NewServer(b2)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); b2.Run(ctx) }()
		b.Cleanup(func() { cancel(); <-done; srv2.Close(); b2.Close() })
		urls = append(urls, srv2.URL+PathWebhook)
	}

	// Sign every payload up front: HighLevel signs, not the bridge.
	edKey, _ := ghltest.WebhookPrivateKeys()
	signer := &webhook.Signer{Ed25519: edKey}
	type delivery struct {
		title string
		body  []byte
		h     http.Header
		url   string // the replica it is sent to
	}
	// A load balancer in front of the replicas: each webhook to any of
	// them (seeded, so that runs compare), a contact's events to several.
	pick := rand.New(rand.NewPCG(1, 2))
	stamp := time.Now().UTC().Format(time.RFC3339)
	// sign signs n events; to, when not nil, picks each one's replica.
	sign := func(prefix string, n int, to func(i int) string) []delivery {
		ds := make([]delivery, n)
		for i := range ds {
			title := fmt.Sprint(prefix, i)
			body := fmt.Appendf(nil, `{"type":"TaskCreate","locationId":%q,"id":"%s-task%d","contactId":%q,"title":%q,"dueDate":"2030-01-01T09:00:00.000Z","timestamp":%q,"webhookId":"%s-wh-%d"}`,
				testLocation, prefix, i, ids[i%contacts], title, stamp, prefix, i)
			h, err := signer.Sign(body)
			if err != nil {
				b.Fatal(err)
			}
			url := urls[pick.IntN(len(urls))]
			if to != nil {
				url = to(i)
			}
			ds[i] = delivery{title, body, h, url}
		}
		return ds
	}
	// The warm-up's first rounds go to each replica in turn, a round of
	// contacts at a time: each learns every contact.
	warm := sign("warm", max(warmUp, contacts*len(urls)), func(i int) string { return urls[i/contacts%len(urls)] })
	ds := sign("bench", b.N, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	// send sends ds at the rate (as fast as it can with none) and waits
	// for their posts. It returns when it started and when each webhook
	// was sent.
	send := func(ds []delivery) (time.Time, []time.Time) {
		sent := make([]time.Time, len(ds))
		timer.expect(int64(len(ds)))
		start := time.Now()
		// Senders take event numbers from next, as fast as they can or,
		// with a rate, when the schedule says.
		next := make(chan int, 64)
		go func() {
			defer close(next)
			for i := range ds {
				if rate > 0 {
					if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
						time.Sleep(d)
					}
				}
				next <- i
			}
		}()
		var wg sync.WaitGroup
		for range 8 { // HighLevel delivers in parallel
			wg.Go(func() {
				for i := range next {
					req, _ := http.NewRequest(http.MethodPost, ds[i].url, bytes.NewReader(ds[i].body))
					req.Header = ds[i].h // each sent once: no copy
					sent[i] = time.Now()
					if rate > 0 {
						// Latency counts from when the schedule sends it: a
						// bridge slow to answer must not hide its backlog in
						// the senders' queue (coordinated omission).
						sent[i] = start.Add(time.Duration(i) * time.Second / time.Duration(rate))
					}
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("webhook %d: %d", i, resp.StatusCode)
						return
					}
				}
			})
		}
		wg.Wait()
		select {
		case <-timer.done:
		case <-time.After(time.Minute):
			b.Fatalf("only %d of %d events posted", timer.n.Load(), len(ds))
		}
		return start, sent
	}
	send(warm)

	b.ResetTimer()
	bolt, _ := e.b.Store().(*BoltStore)
	var commits0 int64
	if bolt != nil {
		commits0 = bolt.commits.Load()
	}
	cpu0, cpuOK := processCPU()
	start, sent := send(ds)
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	b.StopTimer()

	lat := make([]time.Duration, b.N)
	timer.mu.Lock()
	for i, d := range ds {
		lat[i] = timer.at[d.title].Sub(sent[i])
	}
	timer.mu.Unlock()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	if bolt != nil {
		b.ReportMetric(float64(bolt.commits.Load()-commits0)/float64(b.N), "commits/event")
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	if cpuOK {
		// CPU, unlike events/s, hardly depends on what else the machine
		// runs: the figure to compare changes by on a shared machine. It is
		// this process's (bridges, senders, Mattermost fake), not
		// PostgreSQL's.
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/event")
	}
	// None lost, none doubled.
	if got, want := len(e.posts(e.channel.ID)), len(warm)+b.N; got != want || timer.dups.Load() != 0 {
		b.Errorf("%d posts (%d events posted twice) for %d events", got, timer.dups.Load(), want)
	}
}
