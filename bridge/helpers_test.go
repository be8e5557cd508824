package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
	"github.com/ghlkit/ghl/oauth"
	"github.com/ghlkit/ghl/webhook"
)

const (
	testLocation = "loc1"
	testToken    = "ghl-test-token"
	testSecret   = "0123456789abcdef0123456789abcdef-test-secret"
)

// env is one bridge wired to its own ghltest and mattermosttest servers,
// all over real HTTP on loopback.
type env struct {
	t        testing.TB
	hl       *ghltest.Server
	mm       *mattermosttest.Server
	srv      *httptest.Server
	b        *Bridge
	cfg      Config
	botToken string
	bot      mattermosttest.User
	alice    mattermosttest.User
	bob      mattermosttest.User
	channel  mattermosttest.Channel
	other    mattermosttest.Channel
	contact  ghltest.Contact
	logs     *syncBuffer
	app      bool // app mode (withApp)

	mu      sync.Mutex
	handler http.Handler
	stopRun context.CancelFunc
	runDone chan struct{}
}

type envOption func(*envConfig)

type envConfig struct {
	hlOpts    []ghltest.Option
	mmOpts    []mattermosttest.Option
	noRun     bool
	noWebhook bool
	dbURL     string
	app       bool
	agency    bool // app mode with Company installs (withAgencyApp)
}

func withMattermost(opts ...mattermosttest.Option) envOption {
	return func(c *envConfig) { c.mmOpts = append(c.mmOpts, opts...) }
}

func withoutRun() envOption { return func(c *envConfig) { c.noRun = true } }

// withDatabase keeps the bridge's state in PostgreSQL at dbURL
// (BRIDGE_DATABASE_URL) instead of a bbolt file.
func withDatabase(dbURL string) envOption { return func(c *envConfig) { c.dbURL = dbURL } }
func withoutWebhookTarget() envOption     { return func(c *envConfig) { c.noWebhook = true } }

// withApp runs the bridge in app mode: OAuth app credentials, no location,
// no default channel; locations are installed with e.installApp and
// channels connected with /ghl connect.
func withApp() envOption { return func(c *envConfig) { c.app = true } }

// withAgencyApp is withApp for an agency app (GHL_APP_USER_TYPE=Company):
// agencies install it with e.installAgency.
func withAgencyApp() envOption { return func(c *envConfig) { c.app, c.agency = true, true } }

// syncBuffer collects logs from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fastDelivery retries quickly so that tests stay fast.
var fastDelivery = DeliveryPolicy{MinBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Poll: 5 * time.Millisecond}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	var ec envConfig
	for _, o := range opts {
		o(&ec)
	}
	e := &env{t: t, logs: &syncBuffer{}}
	e.hl = ghltest.NewServer(append([]ghltest.Option{ghltest.WithoutRateLimit()}, ec.hlOpts...)...)
	t.Cleanup(e.hl.Close)
	e.hl.AddToken(testToken, testLocation, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	e.contact = e.hl.AddContact(ghltest.Contact{LocationID: testLocation, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Phone: "+14155550100", Tags: []string{"vip"}})

	e.mm = mattermosttest.NewServer(ec.mmOpts...)
	t.Cleanup(e.mm.Close)
	e.bot, e.botToken = e.mm.AddBot("ghl-bridge")
	e.alice = e.mm.AddUser("alice")
	e.bob = e.mm.AddUser("bob")
	e.channel = e.mm.AddChannel("crm")
	e.other = e.mm.AddChannel("sales")

	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		h := e.handler
		e.mu.Unlock()
		if h == nil {
			http.Error(w, "bridge not ready", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	cmdToken := e.mm.AddCommand("ghl", e.srv.URL+PathCommand)

	pub, _ := ghltest.WebhookPublicKeys()
	e.cfg = Config{
		GHLToken:         testToken,
		LocationID:       testLocation,
		GHLBaseURL:       e.hl.URL,
		WebhookPublicKey: base64.StdEncoding.EncodeToString(pub),
		MattermostURL:    e.mm.URL,
		MattermostToken:  Secret(e.botToken),
		ChannelID:        e.channel.ID,
		CommandTokens:    []Secret{Secret(cmdToken)},
		PublicURL:        e.srv.URL,
		Secret:           testSecret,
		DataPath:         filepath.Join(t.TempDir(), "bridge.db"),
		DatabaseURL:      Secret(ec.dbURL),
	}
	if ec.app {
		e.app = true
		e.hl.AddOAuthClient(appClientID, appSecret)
		e.cfg.GHLToken, e.cfg.LocationID, e.cfg.ChannelID = "", "", ""
		e.cfg.OAuth = &OAuthConfig{ClientID: appClientID, ClientSecret: appSecret,
			TokenKey: Secret(base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))}
		if ec.agency {
			e.cfg.OAuth.UserType = string(oauth.UserTypeCompany)
		}
	}
	e.start()
	if !ec.noRun {
		e.run()
	}
	if !ec.noWebhook {
		e.hl.SetWebhookTarget(e.srv.URL + PathWebhook)
	}
	return e
}

// clients returns HighLevel and Mattermost clients with quick retries.
func (e *env) clients() (*ghl.Client, *mattermost.Client) {
	return e.clientsVia(nil)
}

// clientsVia is clients sending through hc (nil: Go's default transport).
func (e *env) clientsVia(hc *http.Client) (*ghl.Client, *mattermost.Client) {
	e.t.Helper()
	gopts := []ghl.Option{ghl.WithToken(testToken), ghl.WithBaseURL(e.hl.URL), ghl.WithLocationID(testLocation),
		ghl.WithoutRateLimit(), ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})}
	mopts := []mattermost.Option{mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond})}
	if hc != nil {
		gopts, mopts = append(gopts, ghl.WithHTTPClient(hc)), append(mopts, mattermost.WithHTTPClient(hc))
	}
	gc, err := ghl.NewClient(gopts...)
	if err != nil {
		e.t.Fatal(err)
	}
	mc, err := mattermost.NewClient(e.mm.URL, e.botToken, mopts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return gc, mc
}

// start builds the bridge (again, after stop: a restart on the same state
// file).
func (e *env) start(opts ...Option) {
	e.t.Helper()
	gc, mc := e.clients()
	all := []Option{
		WithMattermostClient(mc),
		WithLogger(slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithDeliveryPolicy(fastDelivery),
	}
	if e.app {
		// The locations' clients use the tests' own transport too.
		all = append(all, WithHTTPClient(testClient))
	} else {
		all = append(all, WithGHLClient(gc))
	}
	all = append(all, opts...)
	b, err := New(e.cfg, all...)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.mu.Lock()
	e.b, e.handler = b, b
	e.mu.Unlock()
	e.t.Cleanup(func() { e.stop() })
}

// run starts the deliverer.
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	e.mu.Lock()
	e.stopRun, e.runDone = cancel, done
	b := e.b
	e.mu.Unlock()
	go func() {
		defer close(done)
		if err := b.Run(ctx); err != nil {
			e.t.Errorf("Run: %v", err)
		}
	}()
	// Run probes HighLevel and Mattermost first: wait for it, and forget
	// its requests, so that tests count only their own.
	e.waitFor("the start probes", func() bool {
		_, probed := b.ops.failing()
		return probed
	})
	e.hl.ResetRequests()
}

// stop ends the deliverer and closes the bridge, as a shutdown does.
func (e *env) stop() {
	e.mu.Lock()
	cancel, done, b := e.stopRun, e.runDone, e.b
	e.stopRun, e.runDone, e.handler = nil, nil, nil
	e.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if b != nil {
		_ = b.Close()
	}
}

// slash runs a slash command as user in channel.
func (e *env) slash(user mattermosttest.User, channelID, line string) *mattermosttest.CommandResult {
	e.t.Helper()
	res, err := e.mm.As(user.ID).SlashCommand(context.Background(), channelID, line)
	if err != nil {
		e.t.Fatalf("%s: %v", line, err)
	}
	if res.Status != http.StatusOK {
		e.t.Fatalf("%s: status %d", line, res.Status)
	}
	return res
}

// posts returns the channel's posts.
func (e *env) posts(channelID string) []mattermost.Post { return e.mm.Posts(channelID) }

// waitFor polls cond (every millisecond, up to 5 s).
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, e.logs.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits for HighLevel's webhooks to be delivered and the outbox to
// be empty.
func (e *env) settle() {
	e.t.Helper()
	e.hl.FlushWebhooks()
	e.waitFor("an empty outbox", func() bool {
		st, err := e.b.Store().OutboxStats(context.Background())
		return err == nil && st.Pending == 0
	})
	q := &e.b.deliver.outcomes
	e.waitFor("the outcomes recorded", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return !q.running
	})
}

// text renders a post's message and attachments as one string, for
// assertions.
func postText(p mattermost.Post) string {
	var b strings.Builder
	b.WriteString(p.Message)
	for _, a := range p.Props.Attachments {
		b.WriteString("\n" + a.Pretext + "\n" + a.Title + "\n" + a.Text)
		for _, f := range a.Fields {
			b.WriteString("\n" + f.Title + ": " + f.Value)
		}
		for _, act := range a.Actions {
			b.WriteString("\n[" + act.Name + "]")
		}
	}
	return b.String()
}

// signedWebhook builds a webhook request signed with the test key.
func signedWebhook(t testing.TB, url string, body []byte) *http.Request {
	t.Helper()
	ed, rk := ghltest.WebhookPrivateKeys()
	h, err := (&webhook.Signer{Ed25519: ed, RSA: rk}).Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// replayAction sends a click request as given (a replay, a forgery) and
// decodes the answer; the status must be 200.
func replayAction(t *testing.T, e *env, ar *mattermost.ActionRequest) *mattermost.ActionResponse {
	t.Helper()
	status, resp := sendAction(t, e, ar)
	if status != http.StatusOK {
		t.Fatalf("action status %d", status)
	}
	return resp
}

func sendAction(t *testing.T, e *env, ar *mattermost.ActionRequest) (int, *mattermost.ActionResponse) {
	t.Helper()
	req, err := mattermosttest.NewActionRequest(context.Background(), e.srv.URL+PathAction, ar)
	if err != nil {
		t.Fatal(err)
	}
	status, out := answer[mattermost.ActionResponse](t, req)
	return status, &out
}

// answer sends req (an integration request Mattermost would send) and
// returns the status and, for a 200, the decoded JSON answer (zero for an
// empty body).
func answer[T any](t *testing.T, req *http.Request) (int, T) {
	t.Helper()
	var out T
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, out
}

func ghlTask(e *env, title string) ghltest.Task {
	return ghltest.Task{ContactID: e.contact.ID, Title: title, DueDate: time.Now().Add(time.Hour)}
}

// testClient has a transport of its own: every httptest.Server.Close in the
// test binary closes http.DefaultTransport's idle connections, which can
// break a parallel test's request that is just reusing one.
var testClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
