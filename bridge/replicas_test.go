package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
	"github.com/ghlkit/ghl/webhook"
)

// replica is one bridge process of a multi-replica test: its own Bridge,
// deliverer, HTTP server and clients, sharing only the database.
type replica struct {
	n     int
	b     *Bridge
	srv   *httptest.Server
	dead  atomic.Bool
	armed atomic.Bool // die right after the next post Mattermost takes
	died  chan struct{}

	mu      sync.Mutex
	stopRun context.CancelFunc
	runDone chan struct{}
}

// killTransport is a replica's way out: once dead, nothing it sends
// arrives; when armed, it dies right after Mattermost created a post and
// before the replica hears of it (so the post is made but not recorded).
type killTransport struct {
	r    *replica
	next http.RoundTripper
}

var errKilled = errors.New("replica killed")

func (k *killTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if k.r.dead.Load() {
		return nil, errKilled
	}
	resp, err := k.next.RoundTrip(req)
	if err == nil && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/posts") &&
		resp.StatusCode == http.StatusCreated && k.r.armed.CompareAndSwap(true, false) {
		resp.Body.Close()
		k.r.kill()
		return nil, errKilled
	}
	return resp, err
}

// kill stops the replica as a crash would: its requests fail, its database
// connections close, nothing more is recorded, its server goes away.
func (r *replica) kill() {
	if r.dead.Swap(true) {
		return
	}
	close(r.died)
	go func() {
		r.b.store.Close()
		r.srv.CloseClientConnections()
	}()
}

func (r *replica) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r.mu.Lock()
	r.stopRun, r.runDone = cancel, done
	r.mu.Unlock()
	go func() {
		defer close(done)
		r.b.Run(ctx)
	}()
}

func (r *replica) pause() {
	r.mu.Lock()
	cancel, done := r.stopRun, r.runDone
	r.stopRun, r.runDone = nil, nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// TestReplicasEndToEnd runs three bridges on one PostgreSQL database.
// HighLevel's webhooks go to random replicas (some to two at once, as a
// redelivery racing the first delivery), Mattermost goes down for a while,
// one replica dies right after Mattermost took a post and before it could
// record it, and clicks go to random replicas (some to two at once). Every
// event must be posted exactly once, each contact's in order, and every
// task completed once.
func TestReplicasEndToEnd(t *testing.T) {
	t.Parallel()
	dbURL := newTestSchema(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2026, 16)) // deterministic: every choice is drawn up front

	hl := ghltest.NewServer(ghltest.WithoutRateLimit())
	t.Cleanup(hl.Close)
	hl.AddToken(testToken, testLocation, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	mm := mattermosttest.NewServer()
	t.Cleanup(mm.Close)
	_, botToken := mm.AddBot("ghl-bridge")
	alice, bob := mm.AddUser("alice"), mm.AddUser("bob")
	channel := mm.AddChannel("crm")
	logs := &syncBuffer{}

	// The load balancer: round robin over the replicas alive.
	var replicas []*replica
	var rr atomic.Int64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 2 * len(replicas) {
			rep := replicas[int(rr.Add(1))%len(replicas)]
			if !rep.dead.Load() {
				rep.b.ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, "no replica", http.StatusBadGateway)
	}))
	t.Cleanup(lb.Close)

	pub, _ := ghltest.WebhookPublicKeys()
	cfg := Config{
		LocationID:       testLocation,
		WebhookPublicKey: base64.StdEncoding.EncodeToString(pub),
		ChannelID:        channel.ID,
		CommandTokens:    []Secret{Secret(mm.AddCommand("ghl", lb.URL+PathCommand))},
		PublicURL:        lb.URL,
		Secret:           testSecret,
		DatabaseURL:      Secret(dbURL),
	}
	// Attempts get a generous timeout: a retry first searches the channel
	// (mattermosttest answers that under one lock), and under -race on a
	// loaded machine a short timeout feeds on itself. The lease follows.
	policy := DeliveryPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Poll: 10 * time.Millisecond,
		AttemptTimeout: 10 * time.Second, MaxRejections: 1000}
	for i := range 3 {
		r := &replica{n: i, died: make(chan struct{})}
		gc, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(hl.URL), ghl.WithLocationID(testLocation), ghl.WithoutRateLimit(),
			ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		mc, err := mattermost.NewClient(mm.URL, botToken, mattermost.WithTransport(&killTransport{r: r, next: testClient.Transport}),
			mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})).With("replica", i)
		r.b, err = New(cfg, WithGHLClient(gc), WithMattermostClient(mc), WithDeliveryPolicy(policy), WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		r.srv = httptest.NewServer(r.b)
		t.Cleanup(func() {
			r.pause()
			r.srv.Close()
			r.b.Close()
		})
		r.run()
		replicas = append(replicas, r)
	}

	// HighLevel's side: 5 contacts with 7 tasks each, and their signed
	// TaskCreate webhooks, with the replica each goes to drawn now.
	const contacts, perContact = 5, 7
	type event struct {
		task    ghltest.Task
		body    []byte
		h       http.Header
		targets []int // first replicas tried; two means sent to both at once
	}
	events := make([][]event, contacts)
	edKey, _ := ghltest.WebhookPrivateKeys()
	signer := &webhook.Signer{Ed25519: edKey}
	stamp := time.Now().UTC().Format(time.RFC3339)
	for c := range contacts {
		contact := hl.AddContact(ghltest.Contact{LocationID: testLocation, FirstName: fmt.Sprint("Contact", c)})
		for i := range perContact {
			task := hl.AddTask(ghltest.Task{ContactID: contact.ID, Title: fmt.Sprintf("task %d of %d", i, c), DueDate: time.Now().Add(time.Hour)})
			body := fmt.Appendf(nil, `{"type":"TaskCreate","locationId":%q,"id":%q,"contactId":%q,"title":%q,"dueDate":"2030-01-01T09:00:00.000Z","timestamp":%q,"webhookId":"wh-%d-%d"}`,
				testLocation, task.ID, contact.ID, task.Title, stamp, c, i)
			h, err := signer.Sign(body)
			if err != nil {
				t.Fatal(err)
			}
			targets := []int{rng.IntN(3)}
			if rng.IntN(4) == 0 {
				targets = append(targets, (targets[0]+1+rng.IntN(2))%3)
			}
			events[c] = append(events[c], event{task, body, h, targets})
		}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	send := func(r int, ev event) int {
		req, _ := http.NewRequest(http.MethodPost, replicas[r].srv.URL+PathWebhook, bytes.NewReader(ev.body))
		req.Header = ev.h.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// deliver sends an event as HighLevel does: to its targets (at once when
	// two), then, until one answered 200, to the next replica.
	deliver := func(ev event) {
		codes := make([]int, len(ev.targets))
		var wg sync.WaitGroup
		for i, r := range ev.targets {
			wg.Go(func() { codes[i] = send(r, ev) })
		}
		wg.Wait()
		if slices.Contains(codes, http.StatusOK) {
			return
		}
		for try := range 100 {
			if send((ev.targets[0]+1+try)%3, ev) == http.StatusOK {
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Errorf("webhook %s never acknowledged", ev.task.ID)
	}
	// sendRange sends events [from, to) of every contact: contacts in
	// parallel, each contact's in order (the next once the last is acked).
	sendRange := func(from, to int) {
		var wg sync.WaitGroup
		for c := range contacts {
			wg.Go(func() {
				for _, ev := range events[c][from:to] {
					deliver(ev)
				}
			})
		}
		wg.Wait()
	}
	posted := func() int { return len(mm.Posts(channel.ID)) }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				var stacks strings.Builder
				pprof.Lookup("goroutine").WriteTo(&stacks, 1)
				t.Fatalf("timed out waiting for %s (%d posts)\nlogs:\n%s\ngoroutines:\n%s", what, posted(), logs.String(), stacks.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	stats := func() OutboxStats {
		st, _ := replicas[0].b.Store().OutboxStats(ctx)
		return st
	}

	// 1. Normal service.
	sendRange(0, 2)
	waitFor("the first events posted", func() bool { return posted() == 2*contacts })
	// 2. Mattermost down: events wait and are retried.
	mm.SetOutage(true)
	sendRange(2, 4)
	waitFor("retries under the outage", func() bool { return stats().Retrying > 0 })
	mm.SetOutage(false)
	waitFor("the backlog posted", func() bool { return posted() == 4*contacts })
	// 3. Replica 1 dies right after Mattermost took one of its posts. The
	// others' deliverers pause meanwhile, so that replica 1 does post.
	replicas[0].pause()
	replicas[2].pause()
	replicas[1].armed.Store(true)
	sendRange(4, 5)
	select {
	case <-replicas[1].died:
	case <-time.After(2 * time.Minute):
		t.Fatalf("replica 1 never posted\nlogs:\n%s", logs.String())
	}
	replicas[0].run()
	replicas[2].run()
	// 4. The rest, with replica 1 gone (its webhooks go elsewhere).
	sendRange(5, perContact)
	waitFor("every event posted", func() bool { return stats().Pending == 0 })

	// Exactly once, in order per contact.
	posts := mm.Posts(channel.ID)
	seen := make(map[string]int)
	order := make(map[string][]string)
	for _, p := range posts {
		text := postText(p)
		for c := range contacts {
			for _, ev := range events[c] {
				if strings.Contains(text, ev.task.ID) {
					seen[ev.task.ID]++
					order[ev.task.ContactID] = append(order[ev.task.ContactID], ev.task.ID)
				}
			}
		}
	}
	for c := range contacts {
		var want []string
		for _, ev := range events[c] {
			want = append(want, ev.task.ID)
			if seen[ev.task.ID] != 1 {
				t.Errorf("task %s posted %d times, want 1", ev.task.ID, seen[ev.task.ID])
			}
		}
		if got := order[events[c][0].task.ContactID]; !slices.Equal(got, want) {
			t.Errorf("contact %d's events posted in the order %v, want %v", c, got, want)
		}
	}
	if len(posts) != contacts*perContact {
		t.Errorf("%d posts for %d events", len(posts), contacts*perContact)
	}
	if !strings.Contains(logs.String(), "an earlier attempt had posted the event") {
		t.Error("the replica taking over did not find the dead replica's post")
	}

	// Clicks, through the load balancer (round robin over the two left);
	// every third task clicked by two users at once.
	postOf := make(map[string]string)
	for _, p := range posts {
		for c := range contacts {
			for _, ev := range events[c] {
				if strings.Contains(postText(p), ev.task.ID) {
					postOf[ev.task.ID] = p.ID
				}
			}
		}
	}
	var wg sync.WaitGroup
	var completedBy sync.Map
	for c := range contacts {
		for i, ev := range events[c] {
			users := []mattermosttest.User{alice}
			if i%3 == 0 {
				users = append(users, bob)
			}
			for _, u := range users {
				wg.Go(func() {
					res, err := mm.As(u.ID).ClickButton(ctx, postOf[ev.task.ID], "complete"+ev.task.ID)
					if err != nil || res.Status != http.StatusOK {
						t.Errorf("click on %s: %v %+v", ev.task.ID, err, res)
						return
					}
					if !strings.Contains(res.Response.EphemeralText, "already complete") {
						if prev, dup := completedBy.LoadOrStore(ev.task.ID, u.Username); dup {
							t.Errorf("task %s completed by %s and by %s", ev.task.ID, prev, u.Username)
						}
					}
				})
			}
		}
	}
	wg.Wait()
	for c := range contacts {
		for _, ev := range events[c] {
			if n := countRequests(hl, "PUT", "/contacts/"+ev.task.ContactID+"/tasks/"+ev.task.ID+"/completed"); n != 1 {
				t.Errorf("task %s: %d completion writes, want 1", ev.task.ID, n)
			}
			if _, ok := completedBy.Load(ev.task.ID); !ok {
				t.Errorf("task %s: no click completed it", ev.task.ID)
			}
		}
	}
	if st := stats(); st.Dead != 0 {
		t.Errorf("dead letters: %+v", st)
	}
}
