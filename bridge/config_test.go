package bridge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func validEnv() map[string]string {
	pub, _ := ghltest.WebhookPublicKeys()
	return map[string]string{
		EnvGHLToken:        "pit-secret-token",
		EnvLocationID:      "loc1",
		EnvWebhookKey:      base64.StdEncoding.EncodeToString(pub),
		EnvMattermostURL:   "https://chat.example.com",
		EnvMattermostToken: "bot-secret-token",
		EnvChannelID:       "abcdefghijklmnopqrstuvwxyz",
		EnvCommandTokens:   "cmd-secret-1, cmd-secret-2",
		EnvPublicURL:       "https://bridge.example.com",
		EnvSecret:          strings.Repeat("s", 40),
	}
}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	cfg, err := ConfigFromEnv(getenv(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GHLBaseURL != "https://services.leadconnectorhq.com" || cfg.AppURL != "https://app.gohighlevel.com" || cfg.Addr != ":8080" || cfg.DataPath != "bridge.db" || cfg.Location != time.UTC {
		t.Errorf("defaults: %+v", cfg)
	}
	if len(cfg.CommandTokens) != 2 || cfg.CommandTokens[1] != "cmd-secret-2" || cfg.GHLToken != "pit-secret-token" || cfg.OAuth != nil {
		t.Errorf("values: %v %v", cfg.CommandTokens, cfg.OAuth)
	}

	env := validEnv()
	env[EnvTimezone] = "Europe/Paris"
	env[EnvWebhookLegacyRSA] = "true"
	env[EnvAddr] = "127.0.0.1:9000"
	env[EnvData] = "/var/lib/bridge/state.db"
	env[EnvAppURL] = "https://crm.example.com"
	cfg, err = ConfigFromEnv(getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location.String() != "Europe/Paris" || !cfg.WebhookLegacyRSA || cfg.Addr != "127.0.0.1:9000" || cfg.DataPath != "/var/lib/bridge/state.db" || cfg.AppURL != "https://crm.example.com" {
		t.Errorf("overrides: %v", cfg)
	}
	// The legacy scheme alone needs no Ed25519 key.
	delete(env, EnvWebhookKey)
	if _, err := ConfigFromEnv(getenv(env)); err != nil {
		t.Errorf("legacy RSA without an Ed25519 key: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	_, err := ConfigFromEnv(getenv(map[string]string{}))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, name := range []string{EnvGHLToken, EnvLocationID, EnvWebhookKey, EnvMattermostURL, EnvMattermostToken, EnvCommandTokens, EnvPublicURL, EnvSecret} {
		if !strings.Contains(msg, name+" is missing") {
			t.Errorf("error does not name %s:\n%s", name, msg)
		}
	}
	if len(ce.Problems) != 8 {
		t.Errorf("%d problems, want 8:\n%s", len(ce.Problems), msg)
	}
	var empty Config
	if err := empty.Validate(); !errors.As(err, &ce) || len(ce.Problems) != 8 || empty.Addr != DefaultAddr {
		t.Errorf("Validate of an empty Config: %v (defaults %q)", err, empty.Addr)
	}

	for name, tc := range map[string]struct {
		set  map[string]string
		want string
	}{
		"bad url":       {map[string]string{EnvMattermostURL: "chat.example.com"}, `MATTERMOST_URL="chat.example.com" must be an absolute http or https URL`},
		"bad public":    {map[string]string{EnvPublicURL: "ftp://x"}, "BRIDGE_PUBLIC_URL"},
		"creds in url":  {map[string]string{EnvGHLBaseURL: "https://user:pw@x.example.com"}, "GHL_BASE_URL must not carry credentials"},
		"short secret":  {map[string]string{EnvSecret: "short-secret-value"}, "BRIDGE_SECRET is too short: 18 characters, need at least 32"},
		"bad key":       {map[string]string{EnvWebhookKey: "not-a-key"}, "GHL_WEBHOOK_PUBLIC_KEY is not an Ed25519 public key"},
		"bad bool":      {map[string]string{EnvWebhookLegacyRSA: "yes please"}, `GHL_WEBHOOK_LEGACY_RSA="yes please" is not a boolean`},
		"bad zone":      {map[string]string{EnvTimezone: "Mars/Olympus"}, `BRIDGE_TIMEZONE="Mars/Olympus" is not a known IANA time zone`},
		"bad channel":   {map[string]string{EnvChannelID: "town-square"}, `MATTERMOST_CHANNEL_ID="town-square" is not a Mattermost channel ID`},
		"empty token":   {map[string]string{EnvCommandTokens: "a,,b"}, "MATTERMOST_COMMAND_TOKENS: token 2 is empty"},
		"token & oauth": {map[string]string{EnvClientID: "app"}, "GHL_TOKEN and OAuth (GHL_CLIENT_ID, ...) are both set"},
	} {
		env := validEnv()
		for k, v := range tc.set {
			env[k] = v
		}
		_, err := ConfigFromEnv(getenv(env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}

	// OAuth instead of a token: all four variables, a 32-byte key.
	env := validEnv()
	delete(env, EnvGHLToken)
	env[EnvClientID] = "app-id"
	env[EnvTokenKey] = base64.StdEncoding.EncodeToString([]byte("too short"))
	_, err = ConfigFromEnv(getenv(env))
	for _, want := range []string{"GHL_CLIENT_SECRET is missing", "GHL_TOKEN_DIR is missing", "GHL_TOKEN_KEY decodes to 9 bytes, need 32"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("oauth: err = %v, want %q", err, want)
		}
	}
	env[EnvClientSecret] = "app-secret"
	env[EnvTokenDir] = t.TempDir()
	env[EnvTokenKey] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	cfg, err := ConfigFromEnv(getenv(env))
	if err != nil || cfg.OAuth == nil || cfg.OAuth.ClientID != "app-id" {
		t.Errorf("oauth: %v %+v", err, cfg.OAuth)
	}
}

// TestConfigNeverShowsSecrets prints a configuration every way a program
// might and looks for the secrets.
func TestConfigNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	env := validEnv()
	cfg, err := ConfigFromEnv(getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", cfg)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", cfg, "token", cfg.GHLToken)
	js, _ := json.Marshal(cfg)
	out := strings.Join([]string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), logs.String(), string(js), fmt.Sprintf("%v %#v", cfg.Secret, cfg.CommandTokens)}, "\n")
	for _, secret := range []string{env[EnvGHLToken], env[EnvMattermostToken], "cmd-secret-1", "cmd-secret-2", env[EnvSecret]} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q printed:\n%s", secret, out)
		}
	}
	for _, want := range []string{"mattermost_url=https://chat.example.com", "bridge_secret=[REDACTED]", "ghl_auth=token"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if Secret("").String() != "" {
		t.Error("an empty secret shows as set")
	}

	// Problems name variables, never values of secrets.
	env[EnvSecret] = "short-but-secret"
	_, err = ConfigFromEnv(getenv(env))
	if err == nil || strings.Contains(err.Error(), "short-but-secret") {
		t.Errorf("error shows the secret: %v", err)
	}
}

func TestNewNeedsLessWithInjectedClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	gc, mc := e.clients()
	cfg := Config{LocationID: testLocation, WebhookPublicKey: e.cfg.WebhookPublicKey, CommandTokens: e.cfg.CommandTokens, PublicURL: e.srv.URL, Secret: testSecret}
	store, err := OpenBoltStore(t.TempDir()+"/s.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cfg, WithGHLClient(gc), WithMattermostClient(mc), WithStore(store))
	if err != nil {
		t.Fatalf("New with injected clients and store: %v", err)
	}
	b.Close()
	if err := store.Ping(t.Context()); err != nil {
		t.Errorf("Close closed a store it was given: %v", err)
	}
	store.Close()

	_, err = New(Config{}, WithGHLClient(gc), WithMattermostClient(mc))
	var ce *ConfigError
	if !errors.As(err, &ce) || strings.Contains(err.Error(), EnvGHLToken) || strings.Contains(err.Error(), EnvMattermostURL) || !strings.Contains(err.Error(), EnvSecret) {
		t.Errorf("New(Config{}) with clients: %v", err)
	}
}

func TestLogsHaveNoSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Exercise failures, which log the most.
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	e.hl.AddTask(ghlTask(e, "x"))
	e.mm.SetOutage(true)
	e.hl.AddTask(ghlTask(e, "y"))
	e.hl.FlushWebhooks()
	e.waitFor("a failed delivery", func() bool { return e.b.deliver.state().ConsecutiveFailures > 0 })
	e.mm.SetOutage(false)
	e.settle()
	postWebhook(t, e, signedWebhook(t, e.srv.URL+PathWebhook, []byte(`{}`)))
	logs := e.logs.String()
	for _, secret := range []string{testToken, e.botToken, string(e.cfg.CommandTokens[0]), testSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the secret %q", secret)
		}
	}
	if !strings.Contains(logs, "posting a HighLevel event to Mattermost failed") {
		t.Errorf("logs lack the failed delivery:\n%s", logs)
	}
}
