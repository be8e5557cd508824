package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/oauth"
	"github.com/ghlkit/ghl/webhook"
)

// Paths the Bridge serves.
const (
	PathWebhook = "/ghl/webhook"
	PathCommand = "/mattermost/command"
	PathAction  = "/mattermost/action"
	PathDialog  = "/mattermost/dialog"
	PathHealth  = "/healthz"
)

// DefaultTrigger is the slash command shown in help texts unless
// WithTrigger says otherwise.
const DefaultTrigger = "/ghl"

// seenFor is how long an accepted webhookId is remembered: far longer than
// any timestamp tolerance, so a replay is refused by its id even when the
// tolerance is set wide.
const seenFor = 24 * time.Hour

// ownFor is how long a change made from chat is remembered, so that its
// webhook, however late, is not announced again.
const ownFor = 24 * time.Hour

// Bridge connects one HighLevel location with Mattermost. It is an
// http.Handler serving PathWebhook, PathCommand, PathAction, PathDialog and
// PathHealth; Run posts the stored HighLevel events to Mattermost. Create it
// with New; it is safe for concurrent use.
type Bridge struct {
	cfg      Config
	trigger  string
	one      *services // the location of a single-location bridge; nil in app mode
	mm       *mattermost.Client
	store    Store
	ownStore bool
	verifier *webhook.Verifier
	signer   *mattermost.Signer
	now      func() time.Time
	log      *slog.Logger
	mux      *http.ServeMux
	deliver  *deliverer
	hl       sourceState
	format   *mattermost.Formatter
	names    nameCache
	dialogs  *mattermost.DialogHandler
	destFail destFailures
	ignored  ignoredCounters
	stop     context.CancelFunc // ends the OAuth token source's context
	apps     *apps              // app mode's install flow; nil for one location
	oauthTS  *oauth.TokenSource // nil unless OAuth: tells the granted scopes
	ops      *opsState          // probes, readiness, access mode, metrics (health.go)

	runMu     sync.Mutex
	running   bool
	closed    bool
	runCancel context.CancelFunc // ends Run (Close)
	runDone   chan struct{}      // closed when Run returns
}

// Option configures New.
type Option func(*options) error

type options struct {
	ghl        *ghl.Client
	mm         *mattermost.Client
	store      Store
	now        func() time.Time
	log        *slog.Logger
	delivery   DeliveryPolicy
	webhookOpt []webhook.Option
	trigger    string
	httpClient *http.Client
	signerOpt  []mattermost.SignerOption
}

// WithGHLClient uses c for HighLevel instead of building a client from the
// configuration (GHLToken or OAuth, GHLBaseURL are then not needed). c
// should have a default location (ghl.WithLocationID).
func WithGHLClient(c *ghl.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("bridge: WithGHLClient: nil client")
		}
		o.ghl = c
		return nil
	}
}

// WithMattermostClient uses c for Mattermost instead of building one from
// MattermostURL and MattermostToken.
func WithMattermostClient(c *mattermost.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("bridge: WithMattermostClient: nil client")
		}
		o.mm = c
		return nil
	}
}

// WithStore keeps the state in s instead of the store the configuration
// names (PostgreSQL at DatabaseURL, or a BoltStore at DataPath). The
// Bridge does not close a store it was given.
func WithStore(s Store) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("bridge: WithStore: nil store")
		}
		o.store = s
		return nil
	}
}

// WithClock replaces time.Now (tests). It also drives webhook timestamp
// checks and button expiry.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("bridge: WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithLogger logs to l; nil, the default, logs nothing. Every line names
// its component ("bridge", "webhook", "highlevel", "mattermost", "oauth").
// Secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.log = l // nil: log nothing, the default
		return nil
	}
}

// WithDeliveryPolicy tunes the deliverer.
func WithDeliveryPolicy(p DeliveryPolicy) Option {
	return func(o *options) error {
		if p.MinBackoff < 0 || p.MaxBackoff < 0 || p.Workers < 0 || p.Batch < 0 {
			return errors.New("bridge: WithDeliveryPolicy: negative value")
		}
		o.delivery = p
		return nil
	}
}

// WithWebhookOptions adds options to the webhook.Verifier (such as
// webhook.WithTolerance, or test keys with webhook.WithEd25519PublicKeys).
// The bridge always sets the keys of the configuration, its clock and its
// store as the DedupeStore.
func WithWebhookOptions(opts ...webhook.Option) Option {
	return func(o *options) error {
		o.webhookOpt = append(o.webhookOpt, opts...)
		return nil
	}
}

// WithSignerOptions adds options to the mattermost.Signer of buttons and
// dialogs (such as mattermost.WithActionTTL).
func WithSignerOptions(opts ...mattermost.SignerOption) Option {
	return func(o *options) error {
		o.signerOpt = append(o.signerOpt, opts...)
		return nil
	}
}

// WithTrigger sets the slash command trigger shown in help ("/ghl").
func WithTrigger(trigger string) Option {
	return func(o *options) error {
		t, err := normalizeTrigger(trigger)
		if err != nil {
			return fmt.Errorf("bridge: WithTrigger: %w", err)
		}
		o.trigger = t
		return nil
	}
}

// WithHTTPClient sends the requests of the clients New builds (HighLevel,
// Mattermost, OAuth) through a copy of hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("bridge: WithHTTPClient: nil client")
		}
		o.httpClient = hc
		return nil
	}
}

// defaultHTTPClient is what the clients New builds send through unless
// WithHTTPClient says otherwise. Go's default transport keeps 2 idle
// connections per host: fewer than the deliverer's workers posting at
// once, so every post beyond the second would close a connection and open
// (and TLS-handshake) another. Its other settings (proxy from the
// environment, timeouts, HTTP/2) are kept.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdlePerHost
	return &http.Client{Transport: t}
}

// maxIdlePerHost covers the deliverer's in-flight posts (DeliveryPolicy
// defaults), commands answered at once and HighLevel's pacing.
const maxIdlePerHost = 64

// OpenStore opens the store cfg names: PostgreSQL at DatabaseURL when set
// (migrating its schema), else the bbolt file at DataPath (which one
// process holds at a time). Expiries follow now (time.Now when nil).
func OpenStore(ctx context.Context, cfg Config, now func() time.Time) (Store, error) {
	if cfg.DatabaseURL != "" {
		return OpenPGStore(ctx, string(cfg.DatabaseURL), now)
	}
	cfg.applyDefaults()
	return OpenBoltStore(cfg.DataPath, now)
}

// New builds a Bridge from cfg and opts. It validates what it needs of cfg
// (a *ConfigError lists every problem) and opens the store unless WithStore
// is given: PostgreSQL at DatabaseURL when set (migrating its schema), else
// the bbolt file at DataPath. Call Run to deliver HighLevel events and Close when
// done.
func New(cfg Config, opts ...Option) (*Bridge, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("bridge: New: nil Option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	cfg.applyDefaults()
	if p := cfg.problemsFor(o.ghl != nil, o.mm != nil, o.store != nil); len(p) > 0 {
		return nil, &ConfigError{Problems: p}
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.httpClient == nil {
		o.httpClient = defaultHTTPClient()
	}
	if o.trigger == "" {
		o.trigger = DefaultTrigger
		if cfg.Trigger != "" {
			o.trigger, _ = normalizeTrigger(cfg.Trigger) // checked by problemsFor
		}
	}
	b := &Bridge{
		cfg:     cfg,
		trigger: o.trigger,
		now:     o.now,
		log:     component(o.log, "bridge"),
		ops:     newOpsState(),
	}
	b.ops.metrics = newMetrics()
	b.ops.logBase = o.log
	bg, stop := context.WithCancel(context.Background())
	b.stop = stop
	fail := func(err error) (*Bridge, error) {
		stop()
		if b.ownStore && b.store != nil {
			b.store.Close()
		}
		return nil, err
	}

	// The store first: it keeps the OAuth tokens.
	b.store = o.store
	switch {
	case b.store != nil:
	default:
		ctx, cancel := context.WithTimeout(bg, time.Minute)
		s, err := OpenStore(ctx, cfg, o.now)
		cancel()
		if err != nil {
			return fail(err)
		}
		b.store, b.ownStore = s, true
	}

	hc := o.ghl
	if hc == nil && !cfg.appMode() {
		c, ts, err := newGHLClient(bg, cfg, o, b.store, ghl.WithObserver(b.ops.metrics.observeHighLevel))
		if err != nil {
			return fail(err)
		}
		hc, b.oauthTS = c, ts
	}
	if hc != nil {
		b.one = newServices(hc.LocationID(), hc)
	}

	b.mm = o.mm
	if b.mm == nil {
		mmOpts := []mattermost.Option{mattermost.WithLogger(component(o.log, "mattermost")), mattermost.WithObserver(b.ops.metrics.observeMattermost)}
		if o.httpClient != nil {
			mmOpts = append(mmOpts, mattermost.WithHTTPClient(o.httpClient))
		}
		c, err := mattermost.NewClient(cfg.MattermostURL, string(cfg.MattermostToken), mmOpts...)
		if err != nil {
			return fail(fmt.Errorf("bridge: Mattermost client: %w", err))
		}
		b.mm = c
	}

	vopts := []webhook.Option{webhook.WithClock(o.now), webhook.WithDedupe(b.store)}
	if cfg.WebhookPublicKey != "" {
		vopts = append(vopts, webhook.WithPublicKeys(webhookKeys(cfg.WebhookPublicKey)...))
	}
	if cfg.WebhookLegacyRSA {
		vopts = append(vopts, webhook.WithLegacyRSA())
	}
	v, err := webhook.NewVerifier(append(vopts, o.webhookOpt...)...)
	if err != nil {
		return fail(fmt.Errorf("bridge: webhook verifier: %w", err))
	}
	b.verifier = v

	sopts := []mattermost.SignerOption{mattermost.WithSignerClock(o.now)}
	if len(cfg.PreviousSecrets) > 0 {
		prev := make([][]byte, len(cfg.PreviousSecrets))
		for i, p := range cfg.PreviousSecrets {
			prev[i] = []byte(p)
		}
		sopts = append(sopts, mattermost.WithPreviousSecrets(prev...))
	}
	signer, err := mattermost.NewSigner([]byte(cfg.Secret), append(sopts, o.signerOpt...)...)
	if err != nil {
		return fail(fmt.Errorf("bridge: signer: %w", err))
	}
	b.signer = signer

	if cfg.appMode() && o.ghl == nil {
		ctx, cancel := context.WithTimeout(bg, time.Minute)
		b.apps, err = openApps(ctx, cfg, b.store, signer, o)
		cancel()
		if err != nil {
			return fail(err)
		}
		b.apps.bg = bg // Close ends the locations' token sources
	}

	b.format = b.newFormatter()
	b.deliver = newDeliverer(b, o.delivery)
	if b.apps != nil {
		b.apps.poke = b.deliver.poke
	}
	b.ops.metrics.register(b)
	if err := b.routes(); err != nil {
		return fail(err)
	}
	return b, nil
}

// newGHLClient builds the HighLevel client from the configuration.
func newGHLClient(bg context.Context, cfg Config, o options, st Store, extra ...ghl.Option) (*ghl.Client, *oauth.TokenSource, error) {
	copts := []ghl.Option{
		ghl.WithBaseURL(cfg.GHLBaseURL),
		ghl.WithLocationID(cfg.LocationID),
		ghl.WithLogger(component(o.log, "highlevel")),
	}
	copts = append(copts, extra...)
	if o.httpClient != nil {
		copts = append(copts, ghl.WithHTTPClient(o.httpClient))
	}
	var ts *oauth.TokenSource
	if cfg.OAuth == nil {
		copts = append(copts, ghl.WithToken(string(cfg.GHLToken)))
	} else {
		ctx, cancel := context.WithTimeout(bg, time.Minute)
		tokens, where, err := openOAuthStore(ctx, cfg, st, o.log)
		cancel()
		if err != nil {
			return nil, nil, fmt.Errorf("bridge: OAuth token store: %w", err)
		}
		app, err := newOAuthApp(cfg, tokens, o)
		if err != nil {
			return nil, nil, err
		}
		// Fail at start, not at the first command, when nothing was
		// installed for the location.
		if _, err := tokens.Load(bg, cfg.LocationID); err != nil {
			if errors.Is(err, oauth.ErrNotFound) {
				return nil, nil, fmt.Errorf("bridge: no OAuth token stored for location %s in %s: install the app first", cfg.LocationID, where)
			}
			return nil, nil, fmt.Errorf("bridge: reading the OAuth token of location %s: %w", cfg.LocationID, err)
		}
		ts, err = app.TokenSource(bg, cfg.LocationID)
		if err != nil {
			return nil, nil, fmt.Errorf("bridge: OAuth token source: %w", err)
		}
		copts = append(copts, ghl.WithTokenSource(ts))
	}
	c, err := ghl.NewClient(copts...)
	if err != nil {
		return nil, nil, fmt.Errorf("bridge: HighLevel client: %w", err)
	}
	return c, ts, nil
}

// problemsFor checks what New needs: the parts of the configuration that
// build an injected dependency are not required.
func (c *Config) problemsFor(haveGHL, haveMM, haveStore bool) []string {
	var out []string
	for _, p := range c.problems() {
		name, _, _ := strings.Cut(p, " ")
		name, _, _ = strings.Cut(name, "=")
		switch {
		case haveGHL && (name == EnvGHLToken || name == EnvGHLBaseURL || strings.HasPrefix(name, "GHL_CLIENT_") || strings.HasPrefix(name, "GHL_TOKEN_")):
		case haveMM && (name == EnvMattermostURL || name == EnvMattermostToken):
		case haveStore && (name == EnvData || name == EnvDatabaseURL):
		default:
			out = append(out, p)
		}
	}
	return out
}

// ServeHTTP implements http.Handler.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.mux.ServeHTTP(w, r) }

// Run posts stored HighLevel events to Mattermost until ctx is done, then
// returns nil once the attempts under way are recorded. Events survive in
// the store while Run is not running (a Mattermost outage, a restart).
func (b *Bridge) Run(ctx context.Context) error {
	b.runMu.Lock()
	if b.running || b.closed {
		b.runMu.Unlock()
		return errors.New("bridge: Run is already running, or the Bridge is closed")
	}
	b.running = true
	ctx, b.runCancel = context.WithCancel(ctx)
	b.runDone = make(chan struct{})
	done := b.runDone
	b.runMu.Unlock()
	defer func() {
		b.runMu.Lock()
		b.running = false
		b.runMu.Unlock()
		close(done)
	}()
	probeCtx, stopProbing := context.WithCancel(ctx)
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		b.probeLoop(probeCtx)
	}()
	defer func() {
		stopProbing()
		<-probed
	}()
	return b.deliver.run(ctx)
}

// Close stops Run (waiting for the attempts under way to be recorded) and
// releases the state file if New opened it. Stop the HTTP server first, so
// that no request is cut off.
func (b *Bridge) Close() error {
	b.runMu.Lock()
	if b.closed {
		b.runMu.Unlock()
		return nil
	}
	b.closed = true
	cancel, done := b.runCancel, b.runDone
	b.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	b.stop()
	if b.ownStore {
		return b.store.Close()
	}
	return nil
}

// Store returns the bridge's state store.
func (b *Bridge) Store() Store { return b.store }

// --- webhooks ---

// acceptEvent stores a verified webhook in the outbox. It returns only once
// the event is on disk: the webhook handler answers 200 after that. In app
// mode it passes INSTALL and UNINSTALL to the install flow, and stores the
// events of the locations where the app is installed.
func (b *Bridge) acceptEvent(ctx context.Context, e webhook.Event) error {
	m := e.EventMeta()
	// The handler leaves deduplication to this function
	// (webhook.WithDedupeByFunction): an event stored in the outbox is
	// deduplicated by Enqueue, which records its webhookId in the same
	// transaction (one write); what is not stored, by once.
	if b.apps != nil {
		switch e.(type) {
		case *webhook.AppInstall, *webhook.AppUninstall:
			return b.once(ctx, e, func() error { return b.apps.accept(ctx, e) })
		}
	}
	// HighLevel signs every app's webhooks with one key: the location is
	// what ties a webhook to this bridge. Others are answered (so
	// HighLevel does not retry them) and counted, never posted.
	switch {
	case m.LocationID == "":
		return b.once(ctx, e, func() error {
			b.ignored.noLocation.Add(1)
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: ignoring a webhook without locationId",
				slog.String("type", m.Type), slog.String("webhookId", m.WebhookID))
			return nil
		})
	case b.apps == nil && m.LocationID != b.cfg.LocationID:
		return b.once(ctx, e, func() error {
			b.ignored.otherLocation.Add(1)
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: ignoring a webhook of another location",
				slog.String("type", m.Type), slog.String("webhookId", m.WebhookID), slog.String("locationId", m.LocationID))
			return nil
		})
	}
	contactID, ok := eventContact(e)
	if !ok {
		return b.once(ctx, e, func() error {
			b.ignored.otherType.Add(1)
			b.log.LogAttrs(ctx, slog.LevelDebug, "bridge: ignoring a webhook type the bridge does not post",
				slog.String("type", m.Type), slog.String("webhookId", m.WebhookID))
			return nil
		})
	}
	if b.apps != nil {
		installed, err := b.apps.isInstalled(ctx, m.LocationID)
		if err != nil {
			return fmt.Errorf("checking the install of %s: %w", m.LocationID, err)
		}
		if !installed {
			return b.once(ctx, e, func() error {
				b.ignored.notInstalled.Add(1)
				b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: ignoring a webhook of a location where the app is not installed",
					slog.String("type", m.Type), slog.String("webhookId", m.WebhookID), slog.String("locationId", m.LocationID))
				return nil
			})
		}
	}
	now := b.now()
	ev := OutboxEvent{
		WebhookID: m.WebhookID,
		Type:      m.Type,
		ContactID: contactID,
		Payload:   m.Raw,
		Received:  now,
		NextTry:   now,
		event:     e, // taken, it is not parsed again
	}
	// Not the request's context: once the write is queued its outcome must
	// be known, or a client hanging up could make HighLevel's retry post
	// the event twice.
	// When this replica's deliverer has room, the store hands the event
	// to it with the write (no Claim to find it), and its route with it.
	take := Take{Until: b.deliver.reserve()}
	if !take.Until.IsZero() {
		take.LocationID, take.OwnKey = b.routeLocation(e), ownKeyFor(e)
	}
	added, taken, err := b.store.Enqueue(context.WithoutCancel(ctx), ev, later(now, m.Timestamp).Add(seenFor), take)
	if !take.Until.IsZero() {
		b.deliver.handOver(taken)
	}
	if err != nil {
		return fmt.Errorf("storing the event: %w", err)
	}
	if !added {
		// Stored before: acknowledged (200) and counted as a duplicate.
		return fmt.Errorf("%w: webhookId %q", webhook.ErrDuplicate, m.WebhookID)
	}
	if take.Until.IsZero() {
		b.deliver.poke()
	}
	return nil
}

// once runs accept for e, a webhook the bridge does not store, unless its
// webhookId was processed already or is being processed (errors wrapping
// webhook.ErrDuplicate or ErrInProgress): the verifier's Reserve, then
// Commit, or Release when accept fails or panics, so that HighLevel's
// redelivery is processed.
func (b *Bridge) once(ctx context.Context, e webhook.Event, accept func() error) (err error) {
	if err := b.verifier.Reserve(ctx, e); err != nil {
		return err
	}
	done := false
	defer func() {
		if done && err == nil {
			if cerr := b.verifier.Commit(context.WithoutCancel(ctx), e); cerr != nil {
				// Processed: acknowledged. The reservation stays until it
				// expires, so a redelivery is told to retry, not processed.
				b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: webhook processed but committing its webhookId failed", slog.String("error", cerr.Error()))
			}
			return
		}
		if rerr := b.verifier.Release(context.WithoutCancel(ctx), e); rerr != nil && err != nil {
			err = fmt.Errorf("%w (and releasing the webhookId failed: %v)", err, rerr)
		}
	}()
	err = accept()
	done = true
	return err
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// eventContact returns the contact of an event the bridge posts, and false
// for types it does not post.
func eventContact(e webhook.Event) (string, bool) {
	switch e := e.(type) {
	case *webhook.TaskCreate:
		return e.Task.ContactID, true
	case *webhook.TaskComplete:
		return e.Task.ContactID, true
	case *webhook.NoteCreate:
		return e.Note.ContactID, true
	case *webhook.NoteUpdate:
		return e.Note.ContactID, true
	case *webhook.ContactCreate:
		return e.Contact.ID, true
	case *webhook.ContactUpdate:
		return e.Contact.ID, true
	case *webhook.ContactTagUpdate:
		return e.Contact.ID, true
	}
	return "", false
}

// --- own changes ---

// ownKey identifies a change made from chat, as its webhook will show it:
// the event type, the object's ID and, when given, the values the bridge
// set (hashed), so that a mark matches only that exact change.
func ownKey(eventType, id string, change ...string) string {
	k := eventType + "/" + id
	if len(change) > 0 {
		sum := sha256.Sum256([]byte(strings.Join(change, "\x00")))
		k += "/" + hex.EncodeToString(sum[:8])
	}
	return k
}

// completedChange is the change of a completion made from chat.
const completedChange = "completed=true"

// ownKeyFor returns the own-change key of an event, or "".
func ownKeyFor(e webhook.Event) string {
	switch e := e.(type) {
	case *webhook.TaskCreate:
		return ownKey(webhook.TypeTaskCreate, e.Task.ID)
	case *webhook.TaskComplete:
		if !e.Task.Completed {
			return ""
		}
		return ownKey(webhook.TypeTaskComplete, e.Task.ID, completedChange)
	case *webhook.NoteCreate:
		return ownKey(webhook.TypeNoteCreate, e.Note.ID)
	case *webhook.NoteUpdate:
		return ownNoteUpdateKey(e.Note.ID, e.Note.Body)
	case *webhook.ContactUpdate:
		return ownContactUpdateKey(&e.Contact)
	case *webhook.ContactTagUpdate:
		return ownTagsKey(e.Contact.ID, e.Contact.Tags)
	case *webhook.ContactCreate:
		return ownCreateKey(&e.Contact)
	}
	return ""
}

// --- health ---

// sourceState tracks the outcome of the latest HighLevel calls.
type sourceState struct {
	mu          sync.Mutex
	lastOK      time.Time
	lastFail    time.Time
	lastErr     string
	consecutive int
}

func (s *sourceState) observe(now time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.lastOK, s.consecutive = now, 0
		return
	}
	s.lastFail, s.lastErr = now, err.Error()
	s.consecutive++
}

// Health is what GET /healthz shows the admin (see serveHealth): without
// the admin token only Status is served, always with status 200.
type Health struct {
	// Status is "ok", "degraded" (HighLevel or Mattermost failing: events
	// wait in the outbox) or "unavailable" (the store is unusable;
	// /readyz then answers 503).
	Status     string           `json:"status"`
	Store      StoreHealth      `json:"store"`
	HighLevel  HighLevelHealth  `json:"highlevel"`
	Mattermost MattermostHealth `json:"mattermost"`
	Outbox     *OutboxStats     `json:"outbox,omitempty"`
}

// StoreHealth is the state store's part of Health.
type StoreHealth struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// HighLevelHealth is HighLevel's part of Health, from the outcome of the
// bridge's latest calls.
type HighLevelHealth struct {
	OK                  bool      `json:"ok"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastFailure         time.Time `json:"last_failure,omitzero"`
	LastError           string    `json:"last_error,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	// RateRemaining and DailyRemaining are HighLevel's rate-limit headers
	// of the latest response (-1: unknown).
	RateRemaining  int `json:"rate_remaining"`
	DailyRemaining int `json:"daily_remaining"`
}

// rateLimit is HighLevel's rate-limit state from the latest response; in
// app mode, where each location will have its own, it is unknown (-1).
func (b *Bridge) rateLimit() ghl.RateState {
	if b.one == nil {
		return ghl.RateState{Max: -1, Remaining: -1, DailyLimit: -1, DailyRemaining: -1}
	}
	return b.one.client.RateLimit()
}

// Health reports the state of the store, HighLevel, Mattermost and the
// outbox. HighLevel and Mattermost are judged by the bridge's latest calls,
// so that a health probe costs no API quota.
func (b *Bridge) Health(ctx context.Context) Health {
	h := Health{Status: "ok"}
	b.hl.mu.Lock()
	rate := b.rateLimit()
	h.HighLevel = HighLevelHealth{
		OK:                  b.hl.consecutive == 0,
		LastSuccess:         b.hl.lastOK,
		LastFailure:         b.hl.lastFail,
		LastError:           b.hl.lastErr,
		ConsecutiveFailures: b.hl.consecutive,
		RateRemaining:       rate.Remaining,
		DailyRemaining:      rate.DailyRemaining,
	}
	b.hl.mu.Unlock()
	h.Mattermost = b.deliver.state()
	if !h.HighLevel.OK || !h.Mattermost.OK {
		h.Status = "degraded"
	}
	err := b.store.Ping(ctx)
	if err == nil {
		var st OutboxStats
		st, err = b.store.OutboxStats(ctx)
		if err == nil {
			h.Outbox = &st
			if st.Dead > 0 {
				h.Status = "degraded"
			}
		}
	}
	h.Store.OK = err == nil
	if err != nil {
		h.Store.Error = err.Error()
		h.Status = "unavailable"
	}
	return h
}

// retryLater answers 503 with Retry-After where h answers 500. The webhook
// handler answers 500 when the store fails (reserving the webhookId,
// storing the event): nothing was acknowledged, and 503 tells HighLevel to
// deliver it again once the database is back.
func retryLater(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&retryLaterWriter{ResponseWriter: w}, r)
	})
}

type retryLaterWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *retryLaterWriter) WriteHeader(code int) {
	if !w.wrote && code == http.StatusInternalServerError {
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "30")
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *retryLaterWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// routes builds the mux.
func (b *Bridge) routes() error {
	mux := http.NewServeMux()
	hook, err := webhook.NewHandler(b.verifier, b.acceptEvent, webhook.WithDedupeByFunction(),
		webhook.WithLogger(component(b.ops.logBase, "webhook")), webhook.WithOutcome(b.webhookOutcome))
	if err != nil {
		return err
	}
	mux.Handle("POST "+PathWebhook, retryLater(hook))
	mux.HandleFunc("GET "+PathHealth, b.serveHealth)
	mux.HandleFunc("GET "+PathReady, b.serveReady)
	if b.cfg.MetricsAddr == "" {
		mux.HandleFunc("GET "+PathMetrics, b.serveMetrics)
	}
	if b.apps != nil {
		// App mode serves installs too; chat acts on each channel's
		// location (connect.go).
		b.apps.routes(mux)
	}
	if err := b.chatRoutes(mux); err != nil {
		return err
	}
	b.mux = mux
	return nil
}
