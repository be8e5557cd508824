package bridge

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
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
		"bad database":  {map[string]string{EnvDatabaseURL: "mysql://u:pw@db/bridge"}, "BRIDGE_DATABASE_URL is not a postgres:// URL"},
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

	// OAuth instead of a token: client ID and secret, a 32-byte key.
	env := validEnv()
	delete(env, EnvGHLToken)
	env[EnvClientID] = "app-id"
	env[EnvTokenKey] = base64.StdEncoding.EncodeToString([]byte("too short"))
	env[EnvTokenKeyPrevious] = "0:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32)) + ",secret-but-not-base64"
	_, err = ConfigFromEnv(getenv(env))
	for _, want := range []string{"GHL_CLIENT_SECRET is missing", "GHL_TOKEN_KEY decodes to 9 bytes, need 32",
		"GHL_TOKEN_KEY_PREVIOUS: key 1 has a key ID that is not a number from 1 to 255", "GHL_TOKEN_KEY_PREVIOUS: key 2 is not standard base64"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("oauth: err = %v, want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "secret-but-not-base64") {
		t.Errorf("a key is quoted: %v", err)
	}
	// Rotation: the new key needs an ID of its own.
	env[EnvClientSecret] = "app-secret"
	env[EnvTokenKey] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	env[EnvTokenKeyPrevious] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32))
	if _, err = ConfigFromEnv(getenv(env)); err == nil || !strings.Contains(err.Error(), "key ID 1 given twice") {
		t.Errorf("two keys with ID 1: %v", err)
	}
	// GHL_TOKEN_DIR is optional: the tokens live in the bridge's store.
	env[EnvTokenKey] = "2:" + env[EnvTokenKey]
	cfg, err := ConfigFromEnv(getenv(env))
	if err != nil || cfg.OAuth == nil || cfg.OAuth.ClientID != "app-id" || cfg.OAuth.TokenDir != "" {
		t.Fatalf("oauth: %v %+v", err, cfg.OAuth)
	}
	primary, older, err := cfg.OAuth.keys()
	if err != nil || primary.ID != 2 || !bytes.Equal(primary.Key, bytes.Repeat([]byte{7}, 32)) ||
		len(older) != 1 || older[0].ID != 1 || !bytes.Equal(older[0].Key, bytes.Repeat([]byte{8}, 32)) {
		t.Errorf("keys = %v %v, %v", primary, older, err)
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
	// The database URL carries a password: masked, even when wrong.
	env[EnvDatabaseURL] = "postgres://bridge:db-password-1@db.example.com/bridge"
	cfg, _ = ConfigFromEnv(getenv(env))
	if out := fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg); strings.Contains(out, "db-password-1") || !strings.Contains(out, "bridge_database_url=[REDACTED]") {
		t.Errorf("database URL shown: %s", out)
	}
	env[EnvDatabaseURL] = "mysql://bridge:db-password-2@db"
	if _, err = ConfigFromEnv(getenv(env)); err == nil || strings.Contains(err.Error(), "db-password-2") {
		t.Errorf("error shows the database password: %v", err)
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

func TestParseBool(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"true": true, "1": true, "false": false, "0": false} {
		if got, err := ParseBool(v); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", v, got, err)
		}
	}
	for _, v := range []string{"yes", "no", "t", "f", "TRUE", "True", "on", "", " true", "2"} {
		if _, err := ParseBool(v); err == nil {
			t.Errorf("ParseBool(%q) accepted", v)
		}
	}
}

func TestOpsConfig(t *testing.T) {
	t.Parallel()
	cfg, err := ConfigFromEnv(getenv(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != slog.LevelInfo || cfg.LogFormat != LogFormatJSON || cfg.MetricsAddr != "" || cfg.AdminToken != "" || cfg.Trigger != "" || cfg.PreviousSecrets != nil {
		t.Errorf("defaults: %+v", cfg.Ops)
	}
	env := validEnv()
	env[EnvLogLevel] = "debug"
	env[EnvLogFormat] = "text"
	env[EnvMetricsAddr] = "127.0.0.1:9090"
	env[EnvAdminToken] = strings.Repeat("a", 32)
	env[EnvTrigger] = "crm"
	env[EnvSecretPrevious] = strings.Repeat("o", 32) + ", " + strings.Repeat("p", 40)
	cfg, err = ConfigFromEnv(getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != slog.LevelDebug || cfg.LogFormat != LogFormatText || cfg.MetricsAddr != "127.0.0.1:9090" || cfg.AdminToken != Secret(strings.Repeat("a", 32)) || cfg.Trigger != "crm" || len(cfg.PreviousSecrets) != 2 || cfg.PreviousSecrets[1] != Secret(strings.Repeat("p", 40)) {
		t.Errorf("values: %+v", cfg.Ops)
	}
	if s := cfg.String(); strings.Contains(s, strings.Repeat("a", 32)) || strings.Contains(s, strings.Repeat("o", 32)) {
		t.Errorf("String shows a secret: %s", s)
	}

	env[EnvLogLevel] = "verbose"
	env[EnvLogFormat] = "xml"
	env[EnvMetricsAddr] = "9090"
	env[EnvAdminToken] = "short-admin"
	env[EnvTrigger] = "two words"
	env[EnvSecretPrevious] = "short-old,," + strings.Repeat("s", 40)
	_, err = ConfigFromEnv(getenv(env))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`BRIDGE_LOG_LEVEL="verbose" is not a log level`,
		`BRIDGE_LOG_FORMAT="xml" is not a log format`,
		`BRIDGE_METRICS_ADDR="9090" is not a listen address`,
		"BRIDGE_ADMIN_TOKEN is too short",
		`BRIDGE_TRIGGER="two words" is not a trigger word`,
		"BRIDGE_SECRET_PREVIOUS: a secret is too short: 9 characters",
		"BRIDGE_SECRET_PREVIOUS: secret 2 is empty",
		"BRIDGE_SECRET_PREVIOUS holds the current BRIDGE_SECRET",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if len(ce.Problems) != 8 || strings.Contains(msg, "short-admin") || strings.Contains(msg, "short-old") {
		t.Errorf("%d problems, or a secret shown:\n%s", len(ce.Problems), msg)
	}
}

func TestVariablesSet(t *testing.T) {
	t.Parallel()
	if got := VariablesSet(getenv(nil)); len(got) != 0 {
		t.Errorf("nothing set: %v", got)
	}
	got := VariablesSet(getenv(map[string]string{EnvLogFormat: "text", EnvGHLToken: "t", EnvAddr: "  ", "HOME": "/root"}))
	if fmt.Sprint(got) != "[GHL_TOKEN BRIDGE_LOG_FORMAT]" {
		t.Errorf("VariablesSet = %v", got)
	}
}

// TestWebhookKeyRotation: two keys (PEM blocks, or base64 with commas)
// are both accepted; a bad one is named by its position.
func TestWebhookKeyRotation(t *testing.T) {
	t.Parallel()
	pub, _ := ghltest.WebhookPublicKeys()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	b64 := base64.StdEncoding.EncodeToString(pub)
	for name, v := range map[string]string{"pem": pemKey + pemKey, "base64": b64 + ", " + b64} {
		env := validEnv()
		env[EnvWebhookKey] = v
		cfg, err := ConfigFromEnv(getenv(env))
		if err != nil || len(webhookKeys(cfg.WebhookPublicKey)) != 2 {
			t.Errorf("%s: %v, %d keys", name, err, len(webhookKeys(cfg.WebhookPublicKey)))
		}
	}
	env := validEnv()
	env[EnvWebhookKey] = b64 + ",nope"
	if _, err := ConfigFromEnv(getenv(env)); err == nil || !strings.Contains(err.Error(), "GHL_WEBHOOK_PUBLIC_KEY: key 2 is not an Ed25519 public key") {
		t.Errorf("a bad second key: %v", err)
	}
	env[EnvWebhookKey] = pemKey + "garbage"
	if _, err := ConfigFromEnv(getenv(env)); err == nil || !strings.Contains(err.Error(), "key 2 is not") {
		t.Errorf("trailing garbage after a PEM block: %v", err)
	}
}
