package bridge

import (
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
)

// Ops holds the operational settings of a Config: logs, metrics, the admin
// token of the health details, the trigger word and the secrets kept for
// rotation.
type Ops struct {
	// PreviousSecrets still verify buttons and dialogs signed before
	// BRIDGE_SECRET was rotated (BRIDGE_SECRET_PREVIOUS, comma-separated);
	// new ones are signed with Secret only. Drop them once the old
	// buttons have expired.
	PreviousSecrets []Secret
	// AdminToken unlocks the details of /healthz and /readyz, sent as
	// "Authorization: Bearer <token>" (BRIDGE_ADMIN_TOKEN, at least
	// MinSecretLen characters). Empty: no details are served to anyone.
	AdminToken Secret
	// MetricsAddr serves /metrics on a listener of its own
	// (BRIDGE_METRICS_ADDR); empty serves it on Addr with the rest.
	MetricsAddr string
	// LogLevel is the lowest level logged (BRIDGE_LOG_LEVEL: debug, info,
	// warn or error; default info).
	LogLevel slog.Level
	// LogFormat is "json" (the default) or "text" (BRIDGE_LOG_FORMAT).
	LogFormat string
	// Trigger is the slash command shown in help (BRIDGE_TRIGGER, such as
	// "crm" or "/crm"; default DefaultTrigger).
	Trigger string
}

// Log formats of BRIDGE_LOG_FORMAT.
const (
	LogFormatJSON = "json"
	LogFormatText = "text"
)

// ParseBool reads a boolean variable: only "true", "false", "1" and "0"
// are booleans. strconv.ParseBool's other spellings ("t", "TRUE") are
// refused too, so that "yes" or a typo never silently means false.
func ParseBool(v string) (bool, error) {
	switch v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, errors.New("is not a boolean (use true, false, 1 or 0)")
}

// read fills o from the environment and returns the problems of values
// that do not parse.
func (o *Ops) read(get func(string) string) []string {
	var p []string
	if v := get(EnvSecretPrevious); v != "" {
		for i, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				p = append(p, fmt.Sprintf("%s: secret %d is empty (remove the extra comma)", EnvSecretPrevious, i+1))
				continue
			}
			o.PreviousSecrets = append(o.PreviousSecrets, Secret(s))
		}
	}
	o.AdminToken = Secret(get(EnvAdminToken))
	o.MetricsAddr = get(EnvMetricsAddr)
	o.LogFormat = get(EnvLogFormat)
	o.Trigger = get(EnvTrigger)
	if v := get(EnvLogLevel); v != "" {
		switch strings.ToLower(v) {
		case "debug":
			o.LogLevel = slog.LevelDebug
		case "info":
			o.LogLevel = slog.LevelInfo
		case "warn", "warning":
			o.LogLevel = slog.LevelWarn
		case "error":
			o.LogLevel = slog.LevelError
		default:
			p = append(p, fmt.Sprintf("%s=%q is not a log level (debug, info, warn or error)", EnvLogLevel, v))
		}
	}
	return p
}

// opsProblems checks the operational settings; messages never quote a
// secret.
func (c *Config) opsProblems() []string {
	var p []string
	for _, s := range c.PreviousSecrets {
		switch {
		case len(s) < MinSecretLen:
			p = append(p, fmt.Sprintf("%s: a secret is too short: %d characters, need at least %d", EnvSecretPrevious, len(s), MinSecretLen))
		case s == c.Secret:
			p = append(p, fmt.Sprintf("%s holds the current %s: keep only the old ones there", EnvSecretPrevious, EnvSecret))
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < MinSecretLen {
		p = append(p, fmt.Sprintf("%s is too short: %d characters, need at least %d (e.g. openssl rand -hex 32)", EnvAdminToken, len(c.AdminToken), MinSecretLen))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			p = append(p, fmt.Sprintf("%s=%q is not a listen address such as :9090", EnvMetricsAddr, c.MetricsAddr))
		}
	}
	switch c.LogFormat {
	case LogFormatJSON, LogFormatText:
	default:
		p = append(p, fmt.Sprintf("%s=%q is not a log format (json or text)", EnvLogFormat, c.LogFormat))
	}
	if c.Trigger != "" {
		if _, err := normalizeTrigger(c.Trigger); err != nil {
			p = append(p, fmt.Sprintf("%s=%q is not a trigger word: one word, such as crm", EnvTrigger, c.Trigger))
		}
	}
	return p
}

func (o *Ops) applyDefaults() {
	if o.LogFormat == "" {
		o.LogFormat = LogFormatJSON
	}
}

// normalizeTrigger turns a trigger word into the command shown in help:
// "crm" and "/crm" both give "/crm".
func normalizeTrigger(trigger string) (string, error) {
	trigger = strings.TrimSpace(trigger)
	word := strings.TrimPrefix(trigger, "/")
	if word == "" || strings.ContainsAny(word, " \t\r\n/") {
		return "", fmt.Errorf("%q is not a trigger word", trigger)
	}
	return "/" + word, nil
}

// VariablesSet returns the names of the bridge's environment variables that
// getenv sets (to anything but blanks), in the order ConfigFromEnv reads
// them. A program runs a demo only when it is empty: any variable set means
// the operator meant a real bridge, and the whole configuration is checked.
func VariablesSet(getenv func(string) string) []string {
	var set []string
	seen := make(map[string]bool)
	_, _ = ConfigFromEnv(func(name string) string {
		v := getenv(name)
		if strings.TrimSpace(v) != "" && !seen[name] {
			seen[name] = true
			set = append(set, name)
		}
		return v
	})
	return set
}

// component returns l with the component attribute every log line of the
// bridge carries ("bridge", "highlevel", "mattermost", "webhook", "oauth"),
// so that an operator can filter by part.
func component(l *slog.Logger, name string) *slog.Logger {
	return l.With(slog.String("component", name))
}

// webhookKeys splits GHL_WEBHOOK_PUBLIC_KEY into its keys: PEM blocks, or
// base64 keys separated by commas. Several keys are accepted during a
// rotation.
func webhookKeys(s string) []string {
	if strings.Contains(s, "-----BEGIN") {
		var keys []string
		rest := []byte(s)
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			keys = append(keys, string(pem.EncodeToMemory(block)))
		}
		if len(keys) == 0 || strings.TrimSpace(string(rest)) != "" {
			return append(keys, string(rest)) // left for the parser to refuse
		}
		return keys
	}
	var keys []string
	for _, k := range strings.Split(s, ",") {
		keys = append(keys, strings.TrimSpace(k))
	}
	return keys
}
