package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/oauth"
	"github.com/ghlkit/ghl/webhook"
)

// Paths of the marketplace app's install flow (app mode).
const (
	// PathInstall sends an installer to HighLevel's location chooser.
	PathInstall = "/oauth/install"
	// PathCallback is the app's redirect URL: BRIDGE_PUBLIC_URL followed by
	// this path must be registered as the app's redirect URL.
	PathCallback = "/oauth/callback"
)

const (
	// kindOAuthState binds a signed OAuth state to its use, so that no
	// button context or dialog state can stand in for one.
	kindOAuthState = "oauth-state"
	// stateTTL is how long an install started at PathInstall may take.
	stateTTL = 10 * time.Minute
	// stateCookie carries a random value in the installing browser, whose
	// hash the state is bound to, so
	// that a callback URL handed to someone else's browser is refused.
	stateCookie = "ghlkit_oauth_state"
	// locationsPage is the page size of GET /oauth/installedLocations, and
	// maxLocationPages bounds the listing of one agency (10,000 locations).
	locationsPage    = 100
	maxLocationPages = 100
	// installTimeout bounds a callback's work: the exchange, and for an
	// agency one token request per location.
	installTimeout = 2 * time.Minute
)

// Scopes the app asks for: contacts (tasks and notes are contact routes)
// for every install; an agency install also needs to list its locations and
// get their tokens.
var (
	locationScopes = []string{"contacts.readonly", "contacts.write"}
	companyScopes  = []string{"contacts.readonly", "contacts.write", "oauth.readonly", "oauth.write"}
)

// apps serves a marketplace app's install flow and keeps the tokens of
// every installed location, by location ID (agency tokens by company ID).
type apps struct {
	app      *oauth.App
	appID    string
	userType oauth.UserType
	tokens   oauth.TokenStore // with Delete, for App.Remove
	signer   *mattermost.Signer
	store    Store  // records the states used (UseNonce) and the uninstall notices (Enqueue)
	poke     func() // wakes the deliverer after a notice is stored; nil: none
	now      func() time.Time
	log      *slog.Logger
	secure   bool // the state cookie needs HTTPS

	// What the per-location clients are built with (locations.go).
	bg         context.Context // outlives requests: the token sources' context
	baseURL    string
	httpClient *http.Client
	hlLog      *slog.Logger
	locs       locationCache
}

// openApps builds app mode's install flow. Tokens are kept sealed in the
// bridge's own store (bbolt or PostgreSQL, see openOAuthStore), and the
// OAuth states used are recorded in it too.
func openApps(ctx context.Context, cfg Config, store Store, signer *mattermost.Signer, o options) (*apps, error) {
	tokens, _, err := openOAuthStore(ctx, cfg, store, o.log)
	if err != nil {
		return nil, fmt.Errorf("bridge: OAuth token store: %w", err)
	}
	return newApps(cfg, tokens, signer, store, o)
}

// newApps builds the install flow of app mode.
func newApps(cfg Config, tokens oauth.TokenStore, signer *mattermost.Signer, store Store, o options) (*apps, error) {
	ut := appUserType(cfg)
	app, err := newOAuthApp(cfg, tokens, o)
	if err != nil {
		return nil, err
	}
	appID, _, _ := strings.Cut(cfg.OAuth.ClientID, "-")
	return &apps{
		app:      app,
		appID:    appID,
		userType: ut,
		tokens:   tokens,
		signer:   signer,
		store:    store,
		now:      o.now,
		log:      o.log,
		secure:   strings.HasPrefix(cfg.PublicURL, "https://"),

		bg:         context.Background(),
		baseURL:    cfg.GHLBaseURL,
		httpClient: o.httpClient,
		hlLog:      component(o.log, "highlevel"),
	}, nil
}

// appUserType is the kind of install of cfg's app.
func appUserType(cfg Config) oauth.UserType {
	if cfg.OAuth.UserType == string(oauth.UserTypeCompany) {
		return oauth.UserTypeCompany
	}
	return oauth.UserTypeLocation
}

// newOAuthApp is the oauth.App of cfg's app, keeping its tokens in tokens:
// the one of the location in single-location mode, the one of every install
// in app mode.
func newOAuthApp(cfg Config, tokens oauth.TokenStore, o options) (*oauth.App, error) {
	scopes := locationScopes
	if appUserType(cfg) == oauth.UserTypeCompany {
		scopes = companyScopes
	}
	redirect := ""
	if cfg.PublicURL != "" {
		redirect = strings.TrimSuffix(cfg.PublicURL, "/") + PathCallback
	}
	app, err := oauth.NewApp(oauth.Config{
		ClientID:     cfg.OAuth.ClientID,
		ClientSecret: string(cfg.OAuth.ClientSecret),
		RedirectURL:  redirect,
		Scopes:       scopes,
		BaseURL:      cfg.GHLBaseURL,
		Store:        tokens,
		HTTPClient:   o.httpClient,
		Logger:       component(o.log, "oauth"),
		Now:          o.now,
	})
	if err != nil {
		return nil, fmt.Errorf("bridge: OAuth: %w", err)
	}
	return app, nil
}

func (a *apps) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathInstall, a.serveInstall)
	mux.HandleFunc("GET "+PathCallback, a.serveCallback)
}

// serveInstall redirects to HighLevel's location chooser with a signed,
// one-time state bound to a random value set in a cookie of this browser.
func (a *apps) serveInstall(w http.ResponseWriter, r *http.Request) {
	browser := oauth.NewState()
	state, err := a.signer.SignBound(kindOAuthState, browserHash(browser), nil, mattermost.Binding{OneTime: true}, stateTTL)
	if err != nil {
		a.log.LogAttrs(r.Context(), slog.LevelError, "bridge: signing the OAuth state", slog.String("error", err.Error()))
		http.Error(w, "The install cannot start: internal error.", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     stateCookie,
		Value:    browser,
		Path:     PathCallback,
		MaxAge:   int(stateTTL / time.Second),
		HttpOnly: true,
		Secure:   a.secure,
		// Lax: the cookie comes back on HighLevel's top-level redirect,
		// never on a cross-site subrequest.
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.app.AuthCodeURL(state, oauth.LoginInSameTab()), http.StatusFound)
}

// serveCallback checks the state, exchanges the code and stores the tokens:
// the location's, or for an agency install the agency's and one per
// location where the app is installed.
func (a *apps) serveCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	if q.Has("error") {
		http.Error(w, "HighLevel did not install the app. Start again at "+PathInstall+".", http.StatusBadRequest)
		return
	}
	if msg, status := a.checkState(r, q.Get("state")); msg != "" {
		http.Error(w, msg, status)
		return
	}
	// The state is spent: the cookie has no further use.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: PathCallback, MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	code := q.Get("code")
	if code == "" {
		http.Error(w, "The callback has no authorization code. Start again at "+PathInstall+".", http.StatusBadRequest)
		return
	}
	// Not the request's context: a browser closed mid-way must not leave
	// tokens obtained but unsaved.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), installTimeout)
	defer cancel()
	tok, err := a.app.Exchange(ctx, code, a.userType)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "bridge: OAuth code exchange failed", slog.String("error", err.Error()))
		status := http.StatusBadGateway
		if errors.Is(err, oauth.ErrTokenNotSaved) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, "HighLevel's token could not be obtained or saved; nothing was installed. Start again at "+PathInstall+".", status)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if tok.UserType != oauth.UserTypeCompany {
		a.log.LogAttrs(ctx, slog.LevelInfo, "bridge: app installed", slog.String("locationId", tok.LocationID))
		fmt.Fprintf(w, "The app is installed for location %s.\nIn Mattermost, connect a channel to it with: /ghl connect %s\n", tok.LocationID, tok.LocationID)
		return
	}
	ready, failed, err := a.installAgency(ctx, tok.CompanyID)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "bridge: listing an agency's installed locations failed",
			slog.String("companyId", tok.CompanyID), slog.String("error", err.Error()))
		http.Error(w, "The agency's token is saved, but its locations could not be listed; they are added as HighLevel announces them.", http.StatusBadGateway)
		return
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "bridge: app installed for an agency",
		slog.String("companyId", tok.CompanyID), slog.Int("locations", len(ready)), slog.Int("failed", len(failed)))
	fmt.Fprintf(w, "The app is installed for agency %s: %d location(s) ready.\n", tok.CompanyID, len(ready))
	for _, id := range ready {
		fmt.Fprintf(w, "  %s\n", id)
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "%d location(s) could not get a token now (see the bridge's log); install again to retry them: %s\n", len(failed), strings.Join(failed, ", "))
	}
	fmt.Fprintf(w, "In Mattermost, connect a channel to a location with: /ghl connect <locationId>\n")
}

// checkState verifies the callback's state: signed by this bridge for an
// OAuth install, not expired, started in this browser (cookie) and never
// used before. It returns the refusal and its status, or "".
func (a *apps) checkState(r *http.Request, state string) (string, int) {
	if state == "" {
		return "The callback has no state: installs must start at " + PathInstall + ".", http.StatusBadRequest
	}
	tok, err := a.signer.VerifyToken(kindOAuthState, state)
	switch {
	case errors.Is(err, mattermost.ErrExpired):
		return "This install link has expired. Start again at " + PathInstall + ".", http.StatusBadRequest
	case err != nil || tok.NonceKey() == "":
		return "The install state is not valid. Start again at " + PathInstall + ".", http.StatusBadRequest
	}
	c, err := r.Cookie(stateCookie)
	if err != nil || !oauth.VerifyState(browserHash(c.Value), tok.Name) {
		return "This install was not started in this browser. Start again at " + PathInstall + ".", http.StatusBadRequest
	}
	fresh, err := a.store.UseNonce(r.Context(), tok.NonceKey(), tok.Expires)
	switch {
	case err != nil:
		a.log.LogAttrs(r.Context(), slog.LevelError, "bridge: recording the OAuth state", slog.String("error", err.Error()))
		return "The install cannot be recorded now; try again shortly.", http.StatusServiceUnavailable
	case !fresh:
		return "This install link was already used. Start again at " + PathInstall + ".", http.StatusBadRequest
	}
	return "", 0
}

// browserHash is what a state binds of its browser's cookie: the state
// travels in URLs, the cookie's value need not.
func browserHash(v string) string {
	sum := sha256.Sum256([]byte("ghlkit oauth state\x00" + v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// installAgency gets a token for every location of companyID where the app
// is installed, with the agency token already stored. A location whose
// token cannot be had now is reported in failed.
func (a *apps) installAgency(ctx context.Context, companyID string) (ready, failed []string, err error) {
	installed := true
	for pageNo := 0; pageNo < maxLocationPages; pageNo++ {
		skip := pageNo * locationsPage
		page, err := a.app.InstalledLocations(ctx, oauth.InstalledLocationsParams{
			CompanyID: companyID, AppID: a.appID, IsInstalled: &installed, Skip: skip, Limit: locationsPage,
		})
		if err != nil {
			return ready, failed, err
		}
		for _, l := range page.Locations {
			if !l.IsInstalled {
				continue
			}
			if _, err := a.app.LocationToken(ctx, companyID, l.ID); err != nil {
				a.log.LogAttrs(ctx, slog.LevelWarn, "bridge: location token", slog.String("locationId", l.ID), slog.String("error", err.Error()))
				failed = append(failed, l.ID)
				continue
			}
			ready = append(ready, l.ID)
		}
		if len(page.Locations) < locationsPage || skip+len(page.Locations) >= page.Count {
			return ready, failed, nil
		}
	}
	return ready, failed, fmt.Errorf("more than %d locations", maxLocationPages*locationsPage)
}

// accept handles this app's INSTALL and UNINSTALL webhooks (acceptEvent
// passes them on in app mode). HighLevel signs every app's webhooks with
// one key, so they count only when they name this app: another app's
// uninstall, replayed here, removes nothing. An error makes the webhook
// answer 5xx, so that HighLevel redelivers it.
func (a *apps) accept(ctx context.Context, e webhook.Event) error {
	m := e.EventMeta()
	switch ev := e.(type) {
	case *webhook.AppInstall:
		if ev.AppID != a.appID {
			a.log.LogAttrs(ctx, slog.LevelWarn, "bridge: ignoring another app's INSTALL", slog.String("webhookId", m.WebhookID))
			return nil
		}
		return a.installed(ctx, ev)
	case *webhook.AppUninstall:
		if ev.AppID != a.appID {
			a.log.LogAttrs(ctx, slog.LevelWarn, "bridge: ignoring another app's UNINSTALL", slog.String("webhookId", m.WebhookID))
			return nil
		}
		switch {
		case m.LocationID != "":
			return a.uninstalled(ctx, ev, []string{m.LocationID})
		case ev.CompanyID != "":
			locs, err := a.agencyLocations(ctx, ev.CompanyID)
			if err != nil {
				return fmt.Errorf("bridge: uninstall of agency %s: %w", ev.CompanyID, err)
			}
			return a.uninstalled(ctx, ev, locs)
		}
		a.log.LogAttrs(ctx, slog.LevelWarn, "bridge: UNINSTALL names no location or company", slog.String("webhookId", m.WebhookID))
		return nil
	}
	a.log.LogAttrs(ctx, slog.LevelDebug, "bridge: not an install webhook",
		slog.String("type", m.Type), slog.String("webhookId", m.WebhookID))
	return nil
}

// isInstalled reports whether the app is installed in locationID: whether
// its token is stored. It reads one key of the store, whose cost does not
// grow with the number of locations, and the store, not memory, so that an
// uninstall received by another replica counts here at once.
func (a *apps) isInstalled(ctx context.Context, locationID string) (bool, error) {
	switch _, err := a.tokens.Load(ctx, locationID); {
	case err == nil:
		return true, nil
	case errors.Is(err, oauth.ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}

// agencyLocations returns the locations whose tokens were obtained with
// the agency token of companyID (POST /oauth/locationToken, which gives no
// refresh token: they are renewed through the agency's). An agency's
// uninstall ends them with it, as HighLevel kills them; a location that
// installed the app itself keeps its own install. It reads every stored
// token, once per agency uninstall.
func (a *apps) agencyLocations(ctx context.Context, companyID string) ([]string, error) {
	ts, ok := a.tokens.(TokenStore)
	if !ok {
		return nil, nil // only the agency token can be removed
	}
	var locs []string
	err := ts.Range(ctx, func(key string, tok *oauth.Token) error {
		if key != companyID && tok.UserType == oauth.UserTypeLocation && tok.CompanyID == companyID && tok.RefreshToken == "" {
			locs = append(locs, key)
		}
		return nil
	})
	return locs, err
}

// uninstalled handles this app's UNINSTALL of locations (one, or those of
// an agency, whose own token goes too): for every location still
// installed, it stores a notice for the location's channels in the outbox,
// then deletes the tokens, so that the location's later webhooks are
// ignored. The notices go through the outbox with the webhookId (one per
// location for an agency), so a redelivered UNINSTALL, on this replica or
// another, adds none, and a failure after them is retried without losing
// any. Events stored before are still delivered; channel links are kept.
func (a *apps) uninstalled(ctx context.Context, ev *webhook.AppUninstall, locations []string) error {
	m := ev.EventMeta()
	now := a.now()
	for _, loc := range locations {
		switch installed, err := a.isInstalled(ctx, loc); {
		case err != nil:
			return fmt.Errorf("bridge: uninstall of %s: %w", loc, err)
		case !installed:
			continue
		}
		notice := OutboxEvent{WebhookID: m.WebhookID, Type: m.Type, Payload: m.Raw, Received: now, NextTry: now}
		if m.LocationID == "" {
			// One notice per location of the agency, each with its own
			// id and the location-level payload of HighLevel's shape.
			notice.WebhookID = m.WebhookID + "/" + loc
			p, err := json.Marshal(map[string]any{"type": m.Type, "appId": ev.AppID, "companyId": ev.CompanyID, "locationId": loc,
				"webhookId": notice.WebhookID, "timestamp": m.Timestamp})
			if err != nil {
				return err
			}
			notice.Payload = p
		}
		added, _, err := a.store.Enqueue(context.WithoutCancel(ctx), notice, later(now, m.Timestamp).Add(seenFor), Take{})
		if err != nil {
			return fmt.Errorf("bridge: uninstall of %s: storing its notice: %w", loc, err)
		}
		if added && a.poke != nil {
			a.poke()
		}
	}
	keys := locations
	if m.LocationID == "" {
		keys = append(slices.Clone(locations), ev.CompanyID)
	}
	for _, key := range keys {
		if err := a.app.Remove(ctx, key); err != nil {
			return fmt.Errorf("bridge: uninstall of %s: %w", key, err)
		}
		a.forget(key)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "bridge: app uninstalled; its tokens are deleted",
		slog.String("locationId", m.LocationID), slog.String("companyId", ev.CompanyID), slog.Int("locations", len(locations)))
	return nil
}

// installed handles this app's INSTALL. A location install whose tokens
// come with the install callback needs nothing; a location added to an
// agency install (companyId, no token of its own yet) gets its token with
// the agency's.
func (a *apps) installed(ctx context.Context, ev *webhook.AppInstall) error {
	loc := ev.LocationID
	if loc == "" || ev.CompanyID == "" {
		return nil // agency-level: the callback stored the agency token
	}
	switch _, err := a.tokens.Load(ctx, loc); {
	case err == nil:
		return nil
	case !errors.Is(err, oauth.ErrNotFound):
		return fmt.Errorf("bridge: install of %s: %w", loc, err)
	}
	switch _, err := a.tokens.Load(ctx, ev.CompanyID); {
	case errors.Is(err, oauth.ErrNotFound):
		// A location install: its token comes with the install callback.
		a.log.LogAttrs(ctx, slog.LevelInfo, "bridge: location installed; its token comes with the install callback", slog.String("locationId", loc))
		return nil
	case err != nil:
		return fmt.Errorf("bridge: install of %s: %w", loc, err)
	}
	if _, err := a.app.LocationToken(ctx, ev.CompanyID, loc); err != nil {
		return fmt.Errorf("bridge: install of %s: %w", loc, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "bridge: location installed by its agency; token obtained",
		slog.String("locationId", loc), slog.String("companyId", ev.CompanyID))
	return nil
}
