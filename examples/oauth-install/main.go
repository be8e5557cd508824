// Command oauth-install runs HighLevel's OAuth install flow for a
// marketplace app and keeps the tokens encrypted on disk.
//
//	GHL_CLIENT_ID=... GHL_CLIENT_SECRET=... \
//	GHL_REDIRECT_URL=https://app.example.com/oauth/callback \
//	GHL_TOKEN_KEY="$(openssl rand -base64 32)" \
//	go run ./examples/oauth-install
//
// It serves GET /install, which sends the installer to HighLevel's consent
// page with a state cookie, and the callback at GHL_REDIRECT_URL's path
// (such as GET /oauth/callback), which checks the state,
// exchanges the code and saves the token pair in GHL_TOKEN_DIR (default
// ./tokens), sealed with AES-GCM under GHL_TOKEN_KEY. It asks only for
// contacts.readonly and contacts.write. ADDR sets the listen address
// (default :8082); GHL_WHITE_LABEL=true uses the white-label consent host.
// Every problem of the configuration is reported at once.
//
// Without GHL_CLIENT_ID it runs the whole flow against an in-process
// ghltest server, playing the browser and the marketplace.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/bridge"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/oauth"
)

// scopes is the least privilege the SDK's contacts, tasks and notes need.
var scopes = []string{"contacts.readonly", "contacts.write"}

const stateCookie = "ghl_oauth_state"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oauth-install:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	if getenv("GHL_CLIENT_ID") == "" {
		return demo(ctx, out)
	}
	cfg, err := readConfig(getenv)
	if err != nil {
		return err
	}
	store, err := oauth.NewFileStore(cfg.dir, oauth.EncryptionKey{ID: 1, Key: cfg.key})
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	app, err := oauth.NewApp(oauth.Config{
		ClientID:     getenv("GHL_CLIENT_ID"),
		ClientSecret: getenv("GHL_CLIENT_SECRET"),
		RedirectURL:  getenv("GHL_REDIRECT_URL"),
		Scopes:       scopes,
		WhiteLabel:   cfg.whiteLabel,
		Store:        store,
		Logger:       logger,
	})
	if err != nil {
		return err
	}
	addr := getenv("ADDR")
	if addr == "" {
		addr = ":8082"
	}
	srv := &http.Server{Addr: addr, Handler: newInstaller(app, getenv("GHL_REDIRECT_URL"), out), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	logger.Info("open /install to install the app", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// config is what the program reads from the environment.
type config struct {
	key        []byte
	dir        string
	whiteLabel bool
}

// readConfig checks every variable and reports every problem at once,
// naming the variable (and never quoting a secret).
func readConfig(getenv func(string) string) (config, error) {
	var problems []string
	for _, name := range []string{"GHL_CLIENT_SECRET", "GHL_REDIRECT_URL", "GHL_TOKEN_KEY"} {
		if getenv(name) == "" {
			problems = append(problems, name+" is missing")
		}
	}
	cfg := config{dir: getenv("GHL_TOKEN_DIR")}
	if cfg.dir == "" {
		cfg.dir = "tokens"
	}
	if v := getenv("GHL_TOKEN_KEY"); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			problems = append(problems, "GHL_TOKEN_KEY must be 32 random bytes in base64 (openssl rand -base64 32)")
		}
		cfg.key = key
	}
	if v := getenv("GHL_REDIRECT_URL"); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("GHL_REDIRECT_URL=%q is not an absolute http or https URL (the callback HighLevel sends the installer back to)", v))
		}
	}
	if v := getenv("GHL_WHITE_LABEL"); v != "" {
		b, err := bridge.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("GHL_WHITE_LABEL=%q %v", v, err))
		}
		cfg.whiteLabel = b
	}
	switch len(problems) {
	case 0:
		return cfg, nil
	case 1:
		return cfg, errors.New("configuration: " + problems[0])
	}
	return cfg, fmt.Errorf("configuration has %d problems:\n  - %s", len(problems), strings.Join(problems, "\n  - "))
}

// newInstaller serves the two steps of the install flow: GET /install, and
// the callback at the path of redirectURL (GHL_REDIRECT_URL), where
// HighLevel sends the installer back.
func newInstaller(app *oauth.App, redirectURL string, out io.Writer) http.Handler {
	callback, _ := url.Parse(redirectURL)
	secure := callback != nil && callback.Scheme == "https"
	callbackPath := "/"
	if callback != nil && callback.Path != "" {
		callbackPath = callback.Path
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /install", func(w http.ResponseWriter, r *http.Request) {
		state := oauth.NewState()
		// The state lives in a short-lived cookie only this browser sends
		// back, so a code injected into another session is refused.
		http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/", MaxAge: 600,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, app.AuthCodeURL(state), http.StatusFound)
	})
	mux.HandleFunc("GET "+callbackPath, func(w http.ResponseWriter, r *http.Request) {
		cookie, err := r.Cookie(stateCookie)
		if err != nil || !oauth.VerifyState(r.URL.Query().Get("state"), cookie.Value) {
			http.Error(w, "the install link expired or was not started here; start again at /install", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure})
		code := r.URL.Query().Get("code")
		if code == "" {
			http.Error(w, "HighLevel sent no code", http.StatusBadRequest)
			return
		}
		tok, err := app.Exchange(r.Context(), code, oauth.UserTypeLocation)
		if err != nil {
			// The error may describe the grant, never the secrets.
			http.Error(w, "the code exchange failed; start again at /install", http.StatusBadGateway)
			fmt.Fprintln(out, "exchange failed:", err)
			return
		}
		fmt.Fprintf(out, "installed for location %s with scopes %s; token saved\n", tok.LocationID, strings.Join(tok.Scopes, " "))
		fmt.Fprintf(w, "Installed for location %s.\n", tok.LocationID)
	})
	return mux
}

// demo plays the browser and the marketplace against ghltest.
func demo(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "(demo: no GHL_CLIENT_ID set; the install flow runs against an in-process ghltest server)")
	hl := ghltest.NewServer()
	defer hl.Close()
	hl.AddOAuthClient("demo-client", "demo-secret")
	hl.AddContact(ghltest.Contact{LocationID: "demo-location", FirstName: "Ada", Email: "ada@example.com"})

	dir, err := os.MkdirTemp("", "ghlkit-tokens")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key := make([]byte, 32)
	copy(key, "demo key, use openssl rand 32 !!")
	store, err := oauth.NewFileStore(dir, oauth.EncryptionKey{ID: 1, Key: key})
	if err != nil {
		return err
	}
	appSrv := httptest.NewServer(nil)
	defer appSrv.Close()
	redirect := appSrv.URL + "/oauth/callback"
	app, err := oauth.NewApp(oauth.Config{
		ClientID: "demo-client", ClientSecret: "demo-secret", RedirectURL: redirect,
		Scopes: scopes, BaseURL: hl.URL, Store: store,
	})
	if err != nil {
		return err
	}
	appSrv.Config.Handler = newInstaller(app, redirect, out)

	// The browser opens /install and is sent to the consent page.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(appSrv.URL + "/install")
	if err != nil {
		return err
	}
	resp.Body.Close()
	consent, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "consent page: %s%s (scope=%s)\n", consent.Host, consent.Path, consent.Query().Get("scope"))

	// The installer picks a location; HighLevel redirects back with a code.
	code := hl.Authorize(ghltest.Install{ClientID: "demo-client", LocationID: "demo-location",
		Scopes: []string{ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite}, RedirectURI: redirect})
	back := redirect + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(consent.Query().Get("state"))
	resp, err = browser.Get(back)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("callback answered %d: %s", resp.StatusCode, body)
	}

	// The token sits encrypted on disk, and drives the API.
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		info, _ := os.Stat(f)
		fmt.Fprintf(out, "token file %s, mode %v\n", filepath.Base(f)[:12]+"…", info.Mode().Perm())
	}
	ts, err := app.TokenSource(ctx, "demo-location")
	if err != nil {
		return err
	}
	client, err := ghl.NewClient(ghl.WithTokenSource(ts), ghl.WithBaseURL(hl.URL), ghl.WithLocationID("demo-location"))
	if err != nil {
		return err
	}
	c, err := contacts.New(client).FindByEmail(ctx, "ada@example.com")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "API call with the installed token: found %s <%s>\n", c.FirstName, c.Email)
	return ts.Flush(ctx)
}
