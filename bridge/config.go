package bridge

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/oauth"
	"github.com/ghlkit/ghl/webhook"
)

// Defaults of the optional settings.
const (
	DefaultAppURL   = "https://app.gohighlevel.com"
	DefaultAddr     = ":8080"
	DefaultDataPath = "bridge.db"
	// MinSecretLen is the shortest BRIDGE_SECRET accepted: it signs button
	// contexts and dialog state, so it must not be guessable.
	MinSecretLen = 32
)

// Secret is a string that never prints itself: fmt, slog and encoding/json
// show "[REDACTED]" (or "" when empty). Convert with string(s) to use it.
type Secret string

const redacted = "[REDACTED]"

func (s Secret) mask() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.mask() }

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return strconv.Quote(s.mask()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.mask()) }

// MarshalText keeps encoders (JSON included) from writing the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.mask()), nil }

// Config is the bridge's configuration. ConfigFromEnv reads it from the
// environment variables named on each field; embedders may fill it directly.
// Printing or logging a Config never shows a secret.
type Config struct {
	// GHLToken authenticates with HighLevel (GHL_TOKEN): a Private
	// Integration Token or a location access token. Leave it empty to use
	// OAuth (OAuth below).
	GHLToken Secret
	// LocationID is the HighLevel location (sub-account) the bridge serves
	// (GHL_LOCATION_ID). It is needed to find contacts by email or phone and
	// to link to them.
	LocationID string
	// GHLBaseURL is HighLevel's API server (GHL_BASE_URL, default
	// ghl.DefaultBaseURL).
	GHLBaseURL string
	// AppURL is HighLevel's web app, for links to a contact (GHL_APP_URL,
	// default DefaultAppURL).
	AppURL string
	// WebhookPublicKey is HighLevel's Ed25519 webhook key, PEM or base64
	// (GHL_WEBHOOK_PUBLIC_KEY). During a key rotation it holds both keys:
	// PEM blocks one after the other, or base64 keys separated by commas.
	WebhookPublicKey string
	// WebhookLegacyRSA also accepts the deprecated X-WH-Signature scheme with
	// HighLevel's published RSA key (GHL_WEBHOOK_LEGACY_RSA=true).
	WebhookLegacyRSA bool

	// OAuth replaces GHLToken with OAuth tokens kept, sealed, in the
	// bridge's store (see OAuthConfig).
	OAuth *OAuthConfig

	// MattermostURL is the Mattermost server (MATTERMOST_URL).
	MattermostURL string
	// MattermostToken is the bot's access token (MATTERMOST_TOKEN).
	MattermostToken Secret
	// ChannelID is the default channel for HighLevel events of contacts that
	// have no thread and no subscription (MATTERMOST_CHANNEL_ID). Empty: such
	// events are dropped (and logged).
	ChannelID string
	// CommandTokens are the tokens of the slash commands allowed to call the
	// bridge (MATTERMOST_COMMAND_TOKENS, comma-separated).
	CommandTokens []Secret

	// PublicURL is the URL Mattermost reaches the bridge at, for button and
	// dialog callbacks (BRIDGE_PUBLIC_URL).
	PublicURL string
	// Secret signs button contexts and dialog state (BRIDGE_SECRET, at least
	// MinSecretLen characters).
	Secret Secret
	// Addr is the listen address (BRIDGE_ADDR, default DefaultAddr).
	Addr string
	// DataPath is the bbolt state file (BRIDGE_DATA, default
	// DefaultDataPath), used when DatabaseURL is empty.
	DataPath string
	// DatabaseURL keeps the state in PostgreSQL instead
	// (BRIDGE_DATABASE_URL, postgres://user:password@host:port/database;
	// add ?search_path=schema for a schema of its own): needed to run
	// several replicas. See PGStore.
	DatabaseURL Secret
	// Location is the time zone of due dates, typed and shown
	// (BRIDGE_TIMEZONE, an IANA name, default UTC).
	Location *time.Location

	// Operations: see config_ops.go.
	Ops
	// Admins may change where events go (subscribe, unsubscribe, notes
	// --move) in any channel, besides Mattermost's channel and system
	// admins (BRIDGE_ADMINS: user IDs or usernames, comma-separated).
	Admins []string
	// Channels, when set, are the only channels the bridge answers in and
	// posts to, besides ChannelID (BRIDGE_CHANNELS: channel IDs,
	// comma-separated). Empty: every channel.
	Channels []string
}

// OAuthConfig has the bridge use HighLevel OAuth tokens (GHL_CLIENT_ID,
// GHL_CLIENT_SECRET, GHL_TOKEN_KEY, and GHL_TOKEN_DIR,
// GHL_TOKEN_KEY_PREVIOUS when needed). The tokens live in the bridge's
// store, sealed with TokenKey: in PostgreSQL when DatabaseURL is set, shared
// by the replicas, else in the bbolt file (PGTokenStore, BoltTokenStore).
// The token for LocationID must have been stored by an install.
type OAuthConfig struct {
	ClientID     string
	ClientSecret Secret
	// TokenDir is an oauth.FileStore directory that an install flow
	// (examples/oauth-install) filled (GHL_TOKEN_DIR, optional). At start,
	// the bridge copies the location's token from it into its store when
	// the store has none or an older one. With a Store given by WithStore
	// that is neither a PGStore nor a BoltStore, the bridge uses the
	// directory itself.
	TokenDir string
	// TokenKey seals the tokens (GHL_TOKEN_KEY): 32 bytes, standard base64,
	// optionally prefixed by a key ID from 1 to 255 and a colon ("2:…";
	// the default ID is 1). A new key needs a new ID.
	TokenKey Secret
	// PreviousTokenKeys open tokens sealed with earlier keys, in TokenKey's
	// format (GHL_TOKEN_KEY_PREVIOUS, comma-separated): at start the bridge
	// seals them again with TokenKey, after which they can be removed.
	PreviousTokenKeys []Secret
	// UserType is the kind of install the app gets in app mode
	// (GHL_APP_USER_TYPE): "Location" (default) for an app installed per
	// sub-account, "Company" for an agency install whose location tokens
	// come from /oauth/locationToken.
	UserType string
}

// Environment variable names read by ConfigFromEnv.
const (
	EnvGHLToken         = "GHL_TOKEN"
	EnvLocationID       = "GHL_LOCATION_ID"
	EnvGHLBaseURL       = "GHL_BASE_URL"
	EnvAppURL           = "GHL_APP_URL"
	EnvWebhookKey       = "GHL_WEBHOOK_PUBLIC_KEY"
	EnvWebhookLegacyRSA = "GHL_WEBHOOK_LEGACY_RSA"
	EnvClientID         = "GHL_CLIENT_ID"
	EnvClientSecret     = "GHL_CLIENT_SECRET"
	EnvTokenDir         = "GHL_TOKEN_DIR"
	EnvTokenKey         = "GHL_TOKEN_KEY"
	EnvTokenKeyPrevious = "GHL_TOKEN_KEY_PREVIOUS"
	EnvAppUserType      = "GHL_APP_USER_TYPE"
	EnvMattermostURL    = "MATTERMOST_URL"
	EnvMattermostToken  = "MATTERMOST_TOKEN"
	EnvChannelID        = "MATTERMOST_CHANNEL_ID"
	EnvCommandTokens    = "MATTERMOST_COMMAND_TOKENS"
	EnvPublicURL        = "BRIDGE_PUBLIC_URL"
	EnvSecret           = "BRIDGE_SECRET"
	EnvAddr             = "BRIDGE_ADDR"
	EnvData             = "BRIDGE_DATA"
	EnvDatabaseURL      = "BRIDGE_DATABASE_URL"
	EnvTimezone         = "BRIDGE_TIMEZONE"
	EnvSecretPrevious   = "BRIDGE_SECRET_PREVIOUS"
	EnvAdminToken       = "BRIDGE_ADMIN_TOKEN"
	EnvMetricsAddr      = "BRIDGE_METRICS_ADDR"
	EnvLogLevel         = "BRIDGE_LOG_LEVEL"
	EnvLogFormat        = "BRIDGE_LOG_FORMAT"
	EnvTrigger          = "BRIDGE_TRIGGER"
	EnvAdmins           = "BRIDGE_ADMINS"
	EnvChannels         = "BRIDGE_CHANNELS"
)

// ConfigError lists every problem found in a configuration, each naming the
// variable concerned; it never contains a secret's value.
type ConfigError struct {
	Problems []string
}

// Error lists every problem found, one per line after the first.
func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return "bridge: configuration: " + e.Problems[0]
	}
	return "bridge: configuration has " + strconv.Itoa(len(e.Problems)) + " problems:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// ConfigFromEnv reads the configuration from getenv (os.Getenv, or a map's
// lookup in tests), applies the defaults and validates it. The error is a
// *ConfigError listing every problem at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	cfg := Config{
		GHLToken:         Secret(get(EnvGHLToken)),
		LocationID:       get(EnvLocationID),
		GHLBaseURL:       get(EnvGHLBaseURL),
		AppURL:           get(EnvAppURL),
		WebhookPublicKey: get(EnvWebhookKey),
		MattermostURL:    get(EnvMattermostURL),
		MattermostToken:  Secret(get(EnvMattermostToken)),
		ChannelID:        get(EnvChannelID),
		PublicURL:        get(EnvPublicURL),
		Secret:           Secret(get(EnvSecret)),
		Addr:             get(EnvAddr),
		DataPath:         get(EnvData),
		DatabaseURL:      Secret(get(EnvDatabaseURL)),
	}
	if v := get(EnvWebhookLegacyRSA); v != "" {
		b, err := ParseBool(v)
		if err != nil {
			bad("%s=%q %v", EnvWebhookLegacyRSA, v, err)
		}
		cfg.WebhookLegacyRSA = b
	}
	problems = append(problems, cfg.Ops.read(get)...)
	if v := getenv(EnvCommandTokens); strings.TrimSpace(v) != "" {
		for i, tok := range strings.Split(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "" {
				bad("%s: token %d is empty (remove the extra comma)", EnvCommandTokens, i+1)
				continue
			}
			cfg.CommandTokens = append(cfg.CommandTokens, Secret(tok))
		}
	}
	cfg.Admins = splitList(getenv(EnvAdmins), func(v string) string { return strings.TrimPrefix(v, "@") })
	cfg.Channels = splitList(getenv(EnvChannels), nil)
	oa := OAuthConfig{
		ClientID:     get(EnvClientID),
		ClientSecret: Secret(get(EnvClientSecret)),
		TokenDir:     get(EnvTokenDir),
		TokenKey:     Secret(get(EnvTokenKey)),
		UserType:     get(EnvAppUserType),
	}
	if v := get(EnvTokenKeyPrevious); v != "" {
		for k := range strings.SplitSeq(v, ",") {
			oa.PreviousTokenKeys = append(oa.PreviousTokenKeys, Secret(strings.TrimSpace(k)))
		}
	}
	if oa.ClientID != "" || oa.ClientSecret != "" || oa.TokenDir != "" || oa.TokenKey != "" || len(oa.PreviousTokenKeys) > 0 {
		cfg.OAuth = &oa
	}
	if v := get(EnvTimezone); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			bad("%s=%q is not a known IANA time zone (such as Europe/Paris)", EnvTimezone, v)
		}
		cfg.Location = loc
	}
	cfg.applyDefaults()
	problems = append(problems, cfg.problems()...)
	if len(problems) > 0 {
		return cfg, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

func (c *Config) applyDefaults() {
	if c.GHLBaseURL == "" {
		c.GHLBaseURL = ghl.DefaultBaseURL
	}
	if c.AppURL == "" {
		c.AppURL = DefaultAppURL
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DataPath == "" {
		c.DataPath = DefaultDataPath
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	c.Ops.applyDefaults()
}

// Validate applies the defaults and checks the whole configuration,
// returning a *ConfigError that lists every problem.
func (c *Config) Validate() error {
	c.applyDefaults()
	if p := c.problems(); len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}

// problems checks a configuration with defaults applied. Messages name the
// variable and never quote a secret.
func (c *Config) problems() []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	missing := func(name, what string) { bad("%s is missing: %s", name, what) }

	switch {
	case c.GHLToken != "" && c.OAuth != nil:
		bad("%s and OAuth (%s, ...) are both set: use one way to authenticate with HighLevel", EnvGHLToken, EnvClientID)
	case c.GHLToken == "" && c.OAuth == nil:
		missing(EnvGHLToken, "a HighLevel Private Integration or location token (or OAuth: "+EnvClientID+", "+EnvClientSecret+", "+EnvTokenKey+")")
	case c.OAuth != nil:
		p = append(p, c.OAuth.problems(c.appMode())...)
	}
	if c.LocationID == "" && c.OAuth == nil {
		missing(EnvLocationID, "the HighLevel location (sub-account) ID the bridge serves (or OAuth without it: app mode)")
	}
	checkURL(&p, EnvGHLBaseURL, c.GHLBaseURL)
	checkURL(&p, EnvAppURL, c.AppURL)
	switch {
	case c.WebhookPublicKey != "":
		keys := webhookKeys(c.WebhookPublicKey)
		for i, k := range keys {
			if _, err := webhook.ParseEd25519PublicKey(k); err != nil && len(keys) == 1 {
				bad("%s is not an Ed25519 public key in PEM or base64 form", EnvWebhookKey)
			} else if err != nil {
				bad("%s: key %d is not an Ed25519 public key in PEM or base64 form", EnvWebhookKey, i+1)
			}
		}
	case !c.WebhookLegacyRSA:
		missing(EnvWebhookKey, "HighLevel's Ed25519 webhook public key (PEM or base64), or set "+EnvWebhookLegacyRSA+"=true for the legacy scheme")
	}

	if c.MattermostURL == "" {
		missing(EnvMattermostURL, "the Mattermost server URL, such as https://chat.example.com")
	} else {
		checkURL(&p, EnvMattermostURL, c.MattermostURL)
	}
	if c.MattermostToken == "" {
		missing(EnvMattermostToken, "the Mattermost bot account's access token")
	}
	if c.ChannelID != "" && c.appMode() {
		bad("%s is set in app mode: a default channel would mix the events of every installed location; connect channels to locations with the slash command's connect instead", EnvChannelID)
	}
	if c.ChannelID != "" && !isID(c.ChannelID) {
		bad("%s=%q is not a Mattermost channel ID (26 letters and digits)", EnvChannelID, c.ChannelID)
	}
	if len(c.CommandTokens) == 0 {
		missing(EnvCommandTokens, "the slash command's token (comma-separated if several)")
	}
	if c.PublicURL == "" {
		missing(EnvPublicURL, "the URL Mattermost uses to reach the bridge, such as https://bridge.example.com")
	} else {
		checkURL(&p, EnvPublicURL, c.PublicURL)
	}
	switch {
	case c.Secret == "":
		missing(EnvSecret, fmt.Sprintf("a random secret of at least %d characters (e.g. openssl rand -hex 32)", MinSecretLen))
	case len(c.Secret) < MinSecretLen:
		bad("%s is too short: %d characters, need at least %d", EnvSecret, len(c.Secret), MinSecretLen)
	}
	if c.DataPath == "" && c.DatabaseURL == "" {
		missing(EnvData, "the path of the state file")
	}
	if c.DatabaseURL != "" {
		// Never quote it: it carries the password.
		u, err := url.Parse(string(c.DatabaseURL))
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			bad("%s is not a postgres:// URL (postgres://user:password@host:5432/database)", EnvDatabaseURL)
		}
	}
	p = append(p, c.opsProblems()...)
	for _, a := range c.Admins {
		if !isID(a) && !isUsername(a) {
			bad("%s: %q is neither a Mattermost user ID nor a username", EnvAdmins, a)
		}
	}
	for _, ch := range c.Channels {
		if !isID(ch) {
			bad("%s: %q is not a Mattermost channel ID (26 letters and digits)", EnvChannels, ch)
		}
	}
	return p
}

// splitList reads a comma-separated list, trimming each item (and passing
// it through clean when set) and skipping empty ones.
func splitList(v string, clean func(string) string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if clean != nil {
			item = clean(item)
		}
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

// isUsername reports whether s is a Mattermost username: 1 to 64 lowercase
// letters, digits, '.', '-' and '_', starting with a letter.
func isUsername(s string) bool {
	if s == "" || len(s) > 64 || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// problems checks the OAuth settings; appMode tells whether the bridge
// serves every installed location.
func (o *OAuthConfig) problems(appMode bool) []string {
	var p []string
	if o.ClientID == "" {
		p = append(p, EnvClientID+" is missing: the OAuth app's client ID (OAuth is on because another GHL_CLIENT_/GHL_TOKEN_ variable is set)")
	}
	if o.ClientSecret == "" {
		p = append(p, EnvClientSecret+" is missing: the OAuth app's client secret")
	}
	if o.TokenDir != "" && appMode {
		p = append(p, EnvTokenDir+" imports the token of one location: app mode (no "+EnvLocationID+") keeps every location's tokens in the bridge's store; unset it")
	}
	if o.UserType != "" && o.UserType != string(oauth.UserTypeLocation) && o.UserType != string(oauth.UserTypeCompany) {
		p = append(p, fmt.Sprintf("%s=%q is neither %s nor %s", EnvAppUserType, o.UserType, oauth.UserTypeLocation, oauth.UserTypeCompany))
	}
	if o.TokenKey == "" {
		p = append(p, EnvTokenKey+" is missing: the base64 32-byte key that seals the OAuth tokens")
	} else if _, err := parseTokenKey(o.TokenKey); err != nil {
		p = append(p, EnvTokenKey+" "+err.Error())
	}
	for i, k := range o.PreviousTokenKeys {
		if _, err := parseTokenKey(k); err != nil {
			p = append(p, fmt.Sprintf("%s: key %d %s", EnvTokenKeyPrevious, i+1, err))
		}
	}
	if o.TokenKey != "" && len(p) == 0 {
		if _, err := o.sealer(); err != nil {
			p = append(p, EnvTokenKey+", "+EnvTokenKeyPrevious+": "+err.Error())
		}
	}
	return p
}

// appMode reports whether the bridge serves every location that installs
// the app (OAuth without GHL_LOCATION_ID) rather than one location.
func (c *Config) appMode() bool { return c.OAuth != nil && c.LocationID == "" }

// sealer is the oauth.Sealer of TokenKey and PreviousTokenKeys.
func (o *OAuthConfig) sealer() (*oauth.Sealer, error) {
	primary, older, err := o.keys()
	if err != nil {
		return nil, err
	}
	return oauth.NewSealer(primary, older...)
}

// keys parses TokenKey and PreviousTokenKeys.
func (o *OAuthConfig) keys() (primary oauth.EncryptionKey, older []oauth.EncryptionKey, err error) {
	if primary, err = parseTokenKey(o.TokenKey); err != nil {
		return primary, nil, fmt.Errorf("%s %w", EnvTokenKey, err)
	}
	for i, s := range o.PreviousTokenKeys {
		k, err := parseTokenKey(s)
		if err != nil {
			return primary, nil, fmt.Errorf("%s: key %d %w", EnvTokenKeyPrevious, i+1, err)
		}
		older = append(older, k)
	}
	return primary, older, nil
}

// parseTokenKey reads "[ID:]base64" (ID 1 when absent). Its errors never
// quote the key.
func parseTokenKey(s Secret) (oauth.EncryptionKey, error) {
	id := 1
	b64 := string(s)
	if before, after, ok := strings.Cut(b64, ":"); ok {
		n, err := strconv.Atoi(before)
		if err != nil || n < 1 || n > 255 {
			return oauth.EncryptionKey{}, errors.New("has a key ID that is not a number from 1 to 255 before its colon")
		}
		id, b64 = n, after
	}
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return oauth.EncryptionKey{}, errors.New("is not standard base64")
	}
	if len(k) != 32 {
		return oauth.EncryptionKey{}, fmt.Errorf("decodes to %d bytes, need 32", len(k))
	}
	return oauth.EncryptionKey{ID: byte(id), Key: k}, nil
}

func checkURL(p *[]string, name, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		*p = append(*p, fmt.Sprintf("%s is not a URL", name))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		*p = append(*p, fmt.Sprintf("%s=%q must be an absolute http or https URL", name, u.Redacted()))
	case u.User != nil:
		*p = append(*p, fmt.Sprintf("%s must not carry credentials", name))
	}
}

// isID reports whether s looks like a Mattermost ID: 26 lowercase letters
// and digits.
func isID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// String summarises the configuration with every secret masked.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.attrs() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value.String())
	}
	return b.String()
}

// GoString keeps %#v from printing secrets.
func (c Config) GoString() string { return "bridge.Config{" + c.String() + "}" }

// LogValue implements slog.LogValuer, with every secret masked.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.attrs()...) }

func (c Config) attrs() []slog.Attr {
	loc := ""
	if c.Location != nil {
		loc = c.Location.String()
	}
	auth := "token"
	if c.OAuth != nil {
		auth = "oauth"
	}
	if c.GHLToken == "" && c.OAuth == nil {
		auth = "none"
	}
	return []slog.Attr{
		slog.String("ghl_auth", auth),
		slog.String("ghl_location_id", c.LocationID),
		slog.String("ghl_base_url", c.GHLBaseURL),
		slog.String("ghl_app_url", c.AppURL),
		slog.Bool("ghl_webhook_key_set", c.WebhookPublicKey != ""),
		slog.Bool("ghl_webhook_legacy_rsa", c.WebhookLegacyRSA),
		slog.String("mattermost_url", c.MattermostURL),
		slog.String("mattermost_token", c.MattermostToken.mask()),
		slog.String("mattermost_channel_id", c.ChannelID),
		slog.Int("mattermost_command_tokens", len(c.CommandTokens)),
		slog.String("bridge_public_url", c.PublicURL),
		slog.String("bridge_secret", c.Secret.mask()),
		slog.String("bridge_addr", c.Addr),
		slog.String("bridge_data", c.DataPath),
		slog.String("bridge_database_url", c.DatabaseURL.mask()),
		slog.String("bridge_timezone", loc),
		slog.Int("bridge_secret_previous", len(c.PreviousSecrets)),
		slog.Bool("bridge_admin_token_set", c.AdminToken != ""),
		slog.String("bridge_metrics_addr", c.MetricsAddr),
		slog.String("bridge_log_level", c.LogLevel.String()),
		slog.String("bridge_log_format", c.LogFormat),
		slog.String("bridge_trigger", c.Trigger),
		slog.Int("bridge_admins", len(c.Admins)),
		slog.Int("bridge_channels", len(c.Channels)),
	}
}
