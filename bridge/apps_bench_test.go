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
// installed locations, each with a linked channel: the cost (time, bytes,
// allocations per event) must not grow with the number of locations.
// "webhook" is the webhook path of a TaskCreate (verify the signature,
// check the location is installed, record the webhookId and store the
// event in one transaction, answer 200), "installed" the install check
// alone (one token read); "route" is its routing at
// delivery (decode, the location's services from the cache, the links of
// its location, thread, subscriptions and rendering: everything but the
// post). Events cycle through every location.
func BenchmarkAppModeLocations(b *testing.B) {
	for _, n := range []int{10, 1_000} {
		b.Run(fmt.Sprintf("locations=%d", n), func(b *testing.B) {
			br := newBenchAppBridge(b, n)
			// Event i is of location i%n and of contact i%benchContacts, so
			// that the outbox holds the same contacts whatever n.
			event := func(i int) []byte {
				return fmt.Appendf(nil, `{"type":"TaskCreate","locationId":"loc%05d","webhookId":"w%d","timestamp":%q,"id":"t%d","title":"Call","contactId":"c%05d","assignedTo":"u1","dueDate":"2026-01-02T03:04:05Z","completed":false}`,
					i%n, i, time.Now().UTC().Format(time.RFC3339), i, i%benchContacts)
			}
			sent := 0
			b.Run("webhook", func(b *testing.B) {
				// Signed beforehand: signing is HighLevel's part.
				// -count runs this again on the same bridge: new webhookIds.
				reqs := make([]*http.Request, b.N)
				for i := range reqs {
					reqs[i] = signedWebhook(b, "http://bridge"+PathWebhook, event(sent+i))
				}
				sent += b.N
				b.ReportAllocs()
				b.ResetTimer()
				for _, req := range reqs {
					w := httptest.NewRecorder()
					br.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("webhook answered %d", w.Code)
					}
				}
				b.StopTimer()
				if got := br.IgnoredWebhooks(); got.NotInstalled != 0 {
					b.Fatalf("ignored %+v", got)
				}
				if st, err := br.store.OutboxStats(context.Background()); err != nil || st.Pending != sent {
					b.Fatalf("outbox %+v, %v; want %d stored", st, err, sent)
				}
			})
			b.Run("installed", func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if ok, err := br.apps.isInstalled(ctx, fmt.Sprintf("loc%05d", i%n)); err != nil || !ok {
						b.Fatalf("loc%05d: %v %v", i%n, ok, err)
					}
					i++
				}
			})
			b.Run("route", func(b *testing.B) {
				ctx := context.Background()
				evs := make([][]byte, benchContacts)
				for i := range evs {
					evs[i] = event(i)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					e, err := webhook.Parse(evs[i%benchContacts])
					if err != nil {
						b.Fatal(err)
					}
					s, err := br.apps.services(ctx, e.EventMeta().LocationID)
					if err != nil {
						b.Fatal(err)
					}
					posts, err := br.eventPosts(withServices(ctx, s), e)
					if err != nil || len(posts) != 1 || posts[0].ChannelID != fmt.Sprintf("ch%05d", i%n) {
						b.Fatalf("routed to %v, %v", posts, err)
					}
					i++
				}
			})
		})
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
