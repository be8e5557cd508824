package bridge

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/oauth"
	"github.com/ghlkit/ghl/webhook"
)

// BenchmarkAppModeLocations measures app mode with 10 and with 1,000
// installed locations, each with a linked channel: the cost (bytes and
// allocations per event here, time side by side in
// BenchmarkAppModeLocationsSideBySide) must not grow with the number of
// locations. "webhook" is the webhook path of a TaskCreate (verify the
// signature, check the location is installed, record the webhookId and
// store the event in one transaction, answer 200), "installed" the install
// check alone (one token read); "route" is its routing at delivery
// (decode, the location's services from the cache, the links of its
// location, thread, subscriptions and rendering: everything but the post).
// Events cycle through every location.
func BenchmarkAppModeLocations(b *testing.B) {
	for _, n := range []int{10, 1_000} {
		b.Run(fmt.Sprintf("locations=%d", n), func(b *testing.B) {
			ba := newBenchApp(b, n)
			b.Run("webhook", func(b *testing.B) {
				reqs := ba.signed(b, b.N) // signing is HighLevel's part
				b.ReportAllocs()
				b.ResetTimer()
				ba.webhooks(b, reqs)
			})
			b.Run("installed", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					ba.installed(b, i)
				}
			})
			b.Run("route", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					ba.route(b, i)
				}
			})
		})
	}
}

// BenchmarkAppModeLocationsSideBySide times the operations of
// BenchmarkAppModeLocations on the bridge with 10 locations and the one
// with 1,000 in alternating blocks of 10 events within one loop, so that
// both see the same machine load, and reports each one's ns per event and
// their ratio (1,000 / 10).
func BenchmarkAppModeLocationsSideBySide(b *testing.B) {
	const block = 10
	apps := [2]*benchApp{newBenchApp(b, 10), newBenchApp(b, 1_000)}
	sideBySide := func(b *testing.B, op func(b *testing.B, ba *benchApp, from int) time.Duration) {
		var spent [2]time.Duration
		events := 0
		for i := 0; b.Loop(); i++ {
			for k := range 2 {
				j := (i + k) % 2 // alternate which goes first
				spent[j] += op(b, apps[j], events)
			}
			events += block
		}
		ns10, ns1000 := float64(spent[0].Nanoseconds())/float64(events), float64(spent[1].Nanoseconds())/float64(events)
		b.ReportMetric(ns10, "ns/event-10")
		b.ReportMetric(ns1000, "ns/event-1000")
		b.ReportMetric(ns1000/ns10, "ratio")
	}
	b.Run("webhook", func(b *testing.B) {
		sideBySide(b, func(b *testing.B, ba *benchApp, _ int) time.Duration {
			reqs := ba.signed(b, block)
			start := time.Now()
			ba.webhooks(b, reqs)
			return time.Since(start)
		})
	})
	// perEvent times op on the block's events.
	perEvent := func(op func(ba *benchApp, b *testing.B, i int)) func(b *testing.B, ba *benchApp, from int) time.Duration {
		return func(b *testing.B, ba *benchApp, from int) time.Duration {
			start := time.Now()
			for i := from; i < from+block; i++ {
				op(ba, b, i)
			}
			return time.Since(start)
		}
	}
	b.Run("installed", func(b *testing.B) { sideBySide(b, perEvent((*benchApp).installed)) })
	b.Run("route", func(b *testing.B) { sideBySide(b, perEvent((*benchApp).route)) })
}

// benchApp is an app-mode bridge with n installed locations, and the
// events of the benchmarks.
type benchApp struct {
	br   *Bridge
	n    int
	sent int // webhooks sent: each has a new webhookId
	evs  [][]byte
}

func newBenchApp(b *testing.B, n int) *benchApp {
	ba := &benchApp{br: newBenchAppBridge(b, n), n: n}
	ba.evs = make([][]byte, benchContacts)
	for i := range ba.evs {
		ba.evs[i] = ba.event(i)
	}
	return ba
}

// event is TaskCreate i: of location i%n and of contact i%benchContacts,
// so that the outbox holds the same contacts whatever n.
func (ba *benchApp) event(i int) []byte {
	return fmt.Appendf(nil, `{"type":"TaskCreate","locationId":"loc%05d","webhookId":"w%d","timestamp":%q,"id":"t%d","title":"Call","contactId":"c%05d","assignedTo":"u1","dueDate":"2026-01-02T03:04:05Z","completed":false}`,
		i%ba.n, i, time.Now().UTC().Format(time.RFC3339), i, i%benchContacts)
}

// signed returns the next k webhooks, signed as HighLevel does.
func (ba *benchApp) signed(b *testing.B, k int) []*http.Request {
	reqs := make([]*http.Request, k)
	for i := range reqs {
		reqs[i] = signedWebhook(b, "http://bridge"+PathWebhook, ba.event(ba.sent+i))
	}
	ba.sent += k
	return reqs
}

// webhooks serves reqs; each must be stored.
func (ba *benchApp) webhooks(b *testing.B, reqs []*http.Request) {
	for _, req := range reqs {
		w := httptest.NewRecorder()
		ba.br.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("webhook answered %d", w.Code)
		}
	}
	if got := ba.br.IgnoredWebhooks(); got != (IgnoredWebhooks{}) {
		b.Fatalf("ignored %+v", got)
	}
}

// installed checks the install of event i's location.
func (ba *benchApp) installed(b *testing.B, i int) {
	if ok, err := ba.br.apps.isInstalled(context.Background(), fmt.Sprintf("loc%05d", i%ba.n)); err != nil || !ok {
		b.Fatalf("loc%05d: %v %v", i%ba.n, ok, err)
	}
}

// route routes event i as the deliverer does, up to the post.
func (ba *benchApp) route(b *testing.B, i int) {
	ctx := context.Background()
	e, err := webhook.Parse(ba.evs[i%benchContacts])
	if err != nil {
		b.Fatal(err)
	}
	s, err := ba.br.apps.services(ctx, e.EventMeta().LocationID)
	if err != nil {
		b.Fatal(err)
	}
	contactID, _ := eventContact(e)
	r, err := ba.br.store.Route(ctx, contactID, ba.br.routeLocation(e), "")
	if err != nil {
		b.Fatal(err)
	}
	posts := ba.br.eventPosts(withServices(ctx, s), e, r)
	if len(posts) != 1 || posts[0].ChannelID != fmt.Sprintf("ch%05d", i%benchContacts%ba.n) {
		b.Fatalf("routed to %v, %v", posts, err)
	}
}

// benchContacts is the number of contacts the events are of.
const benchContacts = 1000

// newBenchAppBridge is an app-mode bridge on a bbolt file with n installed
// locations loc00000… (tokens sealed in its store, as installs leave
// them, and their services built), each linked to channel ch00000…, and
// the names of the contacts c00000… known (no HighLevel lookup). Its
// deliverer does not run.
func newBenchAppBridge(b *testing.B, n int) *Bridge {
	b.Helper()
	pub, _ := ghltest.WebhookPublicKeys()
	mm, err := mattermost.NewClient("http://127.0.0.1:1", "mm-token")
	if err != nil {
		b.Fatal(err)
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	cfg := Config{
		GHLBaseURL:       "http://127.0.0.1:1",
		WebhookPublicKey: base64.StdEncoding.EncodeToString(pub),
		OAuth:            &OAuthConfig{ClientID: appClientID, ClientSecret: appSecret, TokenKey: Secret(base64.StdEncoding.EncodeToString(key))},
		CommandTokens:    []Secret{"cmd"},
		PublicURL:        appPublic,
		Secret:           testSecret,
		DataPath:         filepath.Join(b.TempDir(), "state.db"),
	}
	br, err := New(cfg, WithMattermostClient(mm))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { br.Close() })
	// One transaction for the n installs and links: n of each would take
	// n fsyncs.
	tokens := br.apps.tokens.(*BoltTokenStore)
	db := br.store.(*BoltStore)
	err = db.update(context.Background(), func(tx *bolt.Tx) error {
		for i := range n {
			loc, ch := fmt.Sprintf("loc%05d", i), fmt.Sprintf("ch%05d", i)
			sealed, err := tokens.sealer.Seal(loc, &oauth.Token{AccessToken: "a" + loc, RefreshToken: "r" + loc,
				Expiry: time.Now().Add(24 * time.Hour), UserType: oauth.UserTypeLocation, LocationID: loc})
			if err != nil {
				return err
			}
			if err := tx.Bucket(bTokens).Put([]byte(loc), sealed); err != nil {
				return err
			}
			if err := tx.Bucket(bLinks).Put([]byte(ch), []byte(loc)); err != nil {
				return err
			}
			if err := tx.Bucket(bLocChannels).Put(locChannelKey(loc, ch), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchContacts {
		br.names.put(fmt.Sprintf("c%05d", i), fmt.Sprintf("Contact %d", i))
	}
	for i := range n {
		// The services of every location are built: the steady state.
		if _, err := br.apps.services(context.Background(), fmt.Sprintf("loc%05d", i)); err != nil {
			b.Fatal(err)
		}
	}
	return br
}
