package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
	done chan struct{}
	want int64
}

func (p *postTimer) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/api/v4/posts") && req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := p.next.RoundTrip(req)
	if err != nil || body == nil || resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	now := time.Now()
	var post mattermost.Post
	if json.Unmarshal(body, &post) == nil && len(post.Props.Attachments) > 0 {
		_, title, _ := strings.Cut(post.Props.Attachments[0].Title, " ")
		p.mu.Lock()
		if _, dup := p.at[title]; !dup {
			p.at[title] = now
			if p.n.Add(1) == p.want {
				close(p.done)
			}
		}
		p.mu.Unlock()
	}
	return resp, err
}

// BenchmarkWebhookToMattermost measures signed TaskCreate webhooks going
// through the bridge (verify, dedupe, durable outbox, acknowledgement,
// delivery) into mattermosttest over loopback HTTP, all in this process.
// It reports events/s from the first webhook sent to the last post
// created, and the p50 and p99 latency from sending a webhook to its post
// being created. "max" sends as fast as 8 parallel senders can (latency
// then includes the queue that builds up); "rate=1000" offers a steady
// 1,000 events/s, the target load.
func BenchmarkWebhookToMattermost(b *testing.B) {
	b.Run("max", func(b *testing.B) { benchWebhooks(b, 0) })
	b.Run("rate=1000", func(b *testing.B) { benchWebhooks(b, 1000) })
}

func benchWebhooks(b *testing.B, rate int) {
	e := newEnv(b, withoutRun(), withoutWebhookTarget())
	const contacts = 16
	ids := make([]string, contacts)
	ids[0] = e.contact.ID
	for i := 1; i < contacts; i++ {
		ids[i] = e.hl.AddContact(ghltest.Contact{LocationID: testLocation, FirstName: fmt.Sprint("Contact", i)}).ID
	}
	timer := &postTimer{next: http.DefaultTransport, at: map[string]time.Time{}, done: make(chan struct{}), want: int64(b.N)}
	e.stop()
	gc, _ := e.clients()
	mc, err := mattermost.NewClient(e.mm.URL, e.botToken, mattermost.WithTransport(timer))
	if err != nil {
		b.Fatal(err)
	}
	e.start(WithGHLClient(gc), WithMattermostClient(mc), WithDeliveryPolicy(DeliveryPolicy{}), WithLogger(slog.New(slog.DiscardHandler)))
	e.run()

	// Sign every payload up front: HighLevel signs, not the bridge.
	edKey, _ := ghltest.WebhookPrivateKeys()
	signer := &webhook.Signer{Ed25519: edKey}
	type delivery struct {
		title string
		body  []byte
		h     http.Header
	}
	ds := make([]delivery, b.N)
	stamp := time.Now().UTC().Format(time.RFC3339)
	for i := range ds {
		title := fmt.Sprint("bench", i)
		body := fmt.Appendf(nil, `{"type":"TaskCreate","locationId":%q,"id":"task%d","contactId":%q,"title":%q,"dueDate":"2030-01-01T09:00:00.000Z","timestamp":%q,"webhookId":"wh-%d"}`,
			testLocation, i, ids[i%contacts], title, stamp, i)
		h, err := signer.Sign(body)
		if err != nil {
			b.Fatal(err)
		}
		ds[i] = delivery{title, body, h}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := e.srv.URL + PathWebhook
	sent := make([]time.Time, b.N)

	b.ResetTimer()
	store := e.b.Store().(*BoltStore)
	commits0 := store.commits.Load()
	start := time.Now()
	// Senders take event numbers from next, as fast as they can or, with a
	// rate, when the schedule says.
	next := make(chan int, 64)
	go func() {
		defer close(next)
		for i := range b.N {
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
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(ds[i].body))
				req.Header = ds[i].h.Clone()
				sent[i] = time.Now()
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
		b.Fatalf("only %d of %d events posted", timer.n.Load(), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()

	lat := make([]time.Duration, b.N)
	timer.mu.Lock()
	for i, d := range ds {
		lat[i] = timer.at[d.title].Sub(sent[i])
	}
	timer.mu.Unlock()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(store.commits.Load()-commits0)/float64(b.N), "commits/event")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	if got := len(e.posts(e.channel.ID)); got != b.N {
		b.Errorf("%d posts for %d events", got, b.N)
	}
}
