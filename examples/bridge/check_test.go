package main

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/bridge"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// checkEnv is a configuration of the fakes; the bot is in the channel.
func checkEnv(t *testing.T) (map[string]string, *ghltest.Server, *mattermosttest.Server) {
	t.Helper()
	hl := ghltest.NewServer(ghltest.WithoutRateLimit())
	t.Cleanup(hl.Close)
	hl.AddToken("pit-token-123", "loc1", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	mm := mattermosttest.NewServer()
	t.Cleanup(mm.Close)
	bot, botToken := mm.AddBot("bridge")
	ch := mm.AddChannel("crm", bot.ID)
	pub, _ := ghltest.WebhookPublicKeys()
	return map[string]string{
		bridge.EnvGHLToken:        "pit-token-123",
		bridge.EnvLocationID:      "loc1",
		bridge.EnvGHLBaseURL:      hl.URL,
		bridge.EnvWebhookKey:      base64.StdEncoding.EncodeToString(pub),
		bridge.EnvMattermostURL:   mm.URL,
		bridge.EnvMattermostToken: botToken,
		bridge.EnvChannelID:       ch.ID,
		bridge.EnvCommandTokens:   "command-token-456",
		bridge.EnvPublicURL:       "https://bridge.example.com",
		bridge.EnvSecret:          strings.Repeat("k", 40),
		bridge.EnvData:            filepath.Join(t.TempDir(), "bridge.db"),
	}, hl, mm
}

func TestCheck(t *testing.T) {
	t.Parallel()
	env, _, mm := checkEnv(t)
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"--check"}, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	want := []string{
		"ok    configuration: every variable is valid",
		"ok    HighLevel token for location loc1: reads contacts",
		"ok    HighLevel access: read-write assumed: the token does not list its scopes",
		"ok    Mattermost bot token: the bot is @bridge",
		"ok    bot is a member of channel " + env[bridge.EnvChannelID] + " (MATTERMOST_CHANNEL_ID): member",
		"ok    state store opens and is writable: read and write work",
		"ok    webhook verification: Ed25519 key parsed",
		"all 7 checks passed",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want %q…", i+1, lines[i], w)
		}
	}

	// A channel of BRIDGE_CHANNELS without the bot: named, with a hint.
	other := mm.AddChannel("sales", mm.AddUser("alice").ID)
	env[bridge.EnvChannels] = other.ID
	out, errOut = syncBuffer{}, syncBuffer{}
	if code := run(context.Background(), []string{"--check"}, func(k string) string { return env[k] }, &out, &errOut); code != 1 ||
		!strings.Contains(out.String(), "FAIL  bot is a member of channel "+other.ID+" (BRIDGE_CHANNELS): ") || !strings.Contains(out.String(), "hint: add @bridge to the channel") {
		t.Errorf("a channel without the bot: exit %d\n%s", code, out.String())
	}
	delete(env, bridge.EnvChannels)

	// A wrong location, a revoked bot token: each named, with a hint; exit 1.
	env[bridge.EnvLocationID] = "loc2"
	mm.RevokeToken(env[bridge.EnvMattermostToken])
	out, errOut = syncBuffer{}, syncBuffer{}
	if code := run(context.Background(), []string{"--check"}, func(k string) string { return env[k] }, &out, &errOut); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	got := out.String()
	for _, w := range []string{
		"FAIL  HighLevel token for location loc2: the token may not read contacts of this location (403); hint: check GHL_LOCATION_ID",
		"FAIL  Mattermost bot token: Mattermost refused the token (401); hint: check MATTERMOST_TOKEN",
		"ok    state store opens and is writable",
		"2 of 6 checks failed",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	for _, secret := range []string{"pit-token-123", env[bridge.EnvMattermostToken], "command-token-456", strings.Repeat("k", 40)} {
		if strings.Contains(got+errOut.String(), secret) {
			t.Errorf("output shows a secret %q", secret)
		}
	}
}

// TestCheckStoreNotWritable: a state path that cannot be opened as a file
// (here a directory) fails the start, named, and the exit status is 1.
func TestCheckStoreNotWritable(t *testing.T) {
	t.Parallel()
	env, _, _ := checkEnv(t)
	env[bridge.EnvData] = t.TempDir()
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"--check"}, func(k string) string { return env[k] }, &out, &errOut); code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "FAIL  start: ") {
		t.Errorf("output:\n%s", out.String())
	}
}
