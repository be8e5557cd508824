package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/bridge"
)

// syncBuffer is written by the program while the test reads it.
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

func noEnv(string) string { return "" }

func TestDemo(t *testing.T) {
	var out, errOut syncBuffer
	// --demo runs the demo even with bridge variables set.
	setEnv := func(k string) string {
		if k == bridge.EnvGHLToken {
			return "not-used"
		}
		return ""
	}
	if code := run(context.Background(), []string{"--demo"}, setEnv, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	transcript := out.String()
	for _, want := range []string{
		"/ghl help", "👤 Ada Lovelace",
		"Tasks for Ada Lovelace", "[✔ Call Ada back about the quote]",
		"Completed by @bob", "is already complete: @bob completed it.",
		"HighLevel received 1 completion request",
		"Notes — Ada Lovelace", "Posted 2 new notes",
		"Called her: the quote is approved.", "New note in HighLevel", "the thread is up to date",
		"Task created by @alice: **Prepare the contract**", "Bad --due",
		`the form "New task"`, "the form stays open", "Task created by @bob: **Invoice Ada**",
		"now receives the HighLevel events", "Tags changed in HighLevel",
		"someone else's key: 401 Unauthorized", "without any signature: 401 Unauthorized", "acknowledged as a duplicate",
		"webhook: 200 (stored in the outbox", `status "degraded"`, "Renew the support plan",
		`200: status "ok"`, "every flow worked",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	if strings.Contains(transcript, "Wire money") {
		t.Error("the forged webhook was posted")
	}
	if errOut.String() != "" {
		t.Errorf("the demo logged problems:\n%s", errOut.String())
	}
	if t.Failed() {
		t.Logf("transcript:\n%s", transcript)
	}
}

func TestDemoServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--serve"}, noEnv, &out, &errOut) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "press Ctrl+C to stop") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not start serving:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The printed health URL answers.
	var url string
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "healthz" && f[1] == "curl" {
			url = f[2]
		}
	}
	resp, err := testClient.Get(url)
	if err != nil {
		t.Fatalf("GET %q: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	// The printed slash-command curl, run as a user would: its effect in
	// the fake Mattermost is printed.
	var curl []string
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[0] == "slash" && f[2] == "curl" && f[3] == "-d" {
			curl = f
		}
	}
	if curl == nil {
		t.Fatalf("no slash command line:\n%s", out.String())
	}
	cmd, err := testClient.Post(curl[5], "application/x-www-form-urlencoded", strings.NewReader(strings.Trim(curl[4], "'")))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Body.Close()
	before := strings.Index(out.String(), "What appears in the fake Mattermost from now on:")
	deadline = time.Now().Add(10 * time.Second)
	for before < 0 || !strings.Contains(out.String()[before:], "Tasks for Ada Lovelace") {
		if time.Now().After(deadline) {
			t.Fatalf("the command's effect was not printed (status %d):\n%s", cmd.StatusCode, out.String())
		}
		time.Sleep(5 * time.Millisecond)
		before = strings.Index(out.String(), "What appears in the fake Mattermost from now on:")
	}
	// An answer only the user sees is printed too.
	form := strings.Trim(curl[4], "'")
	form = form[:strings.Index(form, "text=")] + "text=help"
	if cmd, err = testClient.Post(curl[5], "application/x-www-form-urlencoded", strings.NewReader(form)); err != nil {
		t.Fatal(err)
	}
	cmd.Body.Close()
	for !strings.Contains(out.String()[before:], "(the command's answer, only alice sees it)") {
		if time.Now().After(deadline) {
			t.Fatalf("the help answer was not printed:\n%s", out.String()[before:])
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the demo did not stop")
	}
}

func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	env := map[string]string{bridge.EnvGHLToken: "secret-pit-token", bridge.EnvSecret: "short"}
	var out, errOut syncBuffer
	code := run(context.Background(), nil, func(k string) string { return env[k] }, &out, &errOut)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	msg := errOut.String()
	for _, want := range []string{"GHL_LOCATION_ID is missing", "MATTERMOST_URL is missing", "BRIDGE_SECRET is too short"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "secret-pit-token") {
		t.Error("stderr shows the token")
	}
	if code := run(context.Background(), []string{"--nope"}, noEnv, &out, &errOut); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
}

// TestServeConfigured runs the program with a real configuration (pointing
// at the fakes), checks it serves, and stops it as SIGTERM would.
func TestServeConfigured(t *testing.T) {
	t.Parallel()
	env, _, _ := checkEnv(t)
	data := env[bridge.EnvData]
	botToken := env[bridge.EnvMattermostToken]
	for k, v := range map[string]string{
		bridge.EnvAddr:           "127.0.0.1:0",
		bridge.EnvMetricsAddr:    "127.0.0.1:0",
		bridge.EnvAdminToken:     "admin-secret-" + strings.Repeat("a", 32),
		bridge.EnvSecretPrevious: "previous-secret-" + strings.Repeat("p", 32),
		bridge.EnvLogLevel:       "debug",
		bridge.EnvLogFormat:      "json",
	} {
		env[k] = v
	}
	secrets := []string{"pit-token-123", botToken, "command-token-456", strings.Repeat("k", 40), env[bridge.EnvAdminToken], env[bridge.EnvSecretPrevious]}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &out, &errOut) }()

	// listening waits for the log line msg and returns its address.
	listening := func(msg string) string {
		deadline := time.Now().Add(10 * time.Second)
		for {
			for _, line := range strings.Split(errOut.String(), "\n") {
				var rec struct{ Msg, Addr string }
				if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
					return rec.Addr
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q:\n%s", msg, errOut.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	addr := listening("bridge: listening")
	metricsAddr := listening("bridge: metrics listening")
	get := func(url string, auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := get("http://"+addr+bridge.PathHealth, ""); code != http.StatusOK || !strings.Contains(body, `"status": "ok"`) || strings.Contains(body, "highlevel") {
		t.Errorf("healthz: %d %s", code, body)
	}
	listening("bridge: ready") // the start probes passed
	if code, body := get("http://"+addr+bridge.PathReady, ""); code != http.StatusOK {
		t.Errorf("readyz: %d %s", code, body)
	}
	if code, body := get("http://"+addr+bridge.PathHealth, env[bridge.EnvAdminToken]); code != http.StatusOK || !strings.Contains(body, `"highlevel"`) {
		t.Errorf("healthz as admin: %d %s", code, body)
	}
	if code, body := get("http://"+metricsAddr+bridge.PathMetrics, ""); code != http.StatusOK || !strings.Contains(body, "ghlkit_outbox_pending 0") || !strings.Contains(body, `ghlkit_mattermost_requests_total{code="200",method="GET"}`) {
		t.Errorf("metrics: %d %s", code, body)
	}
	if code, _ := get("http://"+addr+bridge.PathMetrics, env[bridge.EnvAdminToken]); code != http.StatusNotFound {
		t.Errorf("metrics on the main listener too: %d", code)
	}
	// A command, so that the logs see a HighLevel and a Mattermost call.
	cmd, _ := http.NewRequest(http.MethodPost, "http://"+addr+bridge.PathCommand, strings.NewReader("token=command-token-456&user_id=u1&channel_id=c1&command=%2Fghl&text=help"))
	cmd.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := testClient.Do(cmd); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("slash command: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	cancel() // as SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d:\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	// The state file was closed: it opens again at once.
	s, err := bridge.OpenBoltStore(data, nil)
	if err != nil {
		t.Fatalf("state file still held: %v", err)
	}
	s.Close()
	logs := errOut.String()
	for _, secret := range secrets {
		if strings.Contains(logs, secret) || strings.Contains(out.String(), secret) {
			t.Errorf("logs show a secret %q", secret)
		}
	}
	// Every line is JSON and names its component.
	components := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct{ Component string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Component == "" {
			t.Errorf("a line without a component: %s", line)
		}
		components[rec.Component] = true
	}
	// One probe asked Mattermost for the bot once: one line, not two.
	if n := strings.Count(logs, `"path":"/api/v4/users/me"`); n != 1 {
		t.Errorf("the /users/me call is logged %d times:\n%s", n, logs)
	}
	for _, c := range []string{"main", "bridge", "highlevel", "mattermost"} {
		if !components[c] {
			t.Errorf("no line of component %q:\n%s", c, logs)
		}
	}
	for _, want := range []string{`"msg":"bridge: starting"`, `"bridge_secret":"[REDACTED]"`, `"msg":"bridge: stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// TestAnyVariableMeansARealBridge: with some of the bridge's variables set
// (a secret not mounted), the program does not fall back to the demo: it
// checks the whole configuration, names every problem and exits 2.
func TestAnyVariableMeansARealBridge(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		bridge.EnvLocationID:      "loc1",
		bridge.EnvSecret:          strings.Repeat("k", 40),
		bridge.EnvMattermostToken: "bot-secret-token",
		bridge.EnvPublicURL:       "https://bridge.example.com",
	}
	var out, errOut syncBuffer
	if code := run(context.Background(), nil, func(k string) string { return env[k] }, &out, &errOut); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if out.String() != "" {
		t.Errorf("the demo ran:\n%s", out.String())
	}
	msg := errOut.String()
	for _, want := range []string{"GHL_TOKEN is missing", "MATTERMOST_URL is missing", "GHL_WEBHOOK_PUBLIC_KEY is missing", "MATTERMOST_COMMAND_TOKENS is missing", "--demo"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "bot-secret-token") {
		t.Error("stderr shows the token")
	}
	// Each variable alone, even an optional one, means a real bridge.
	for _, name := range []string{bridge.EnvTimezone, bridge.EnvLogLevel, bridge.EnvData, bridge.EnvClientID, bridge.EnvWebhookLegacyRSA, bridge.EnvAdminToken} {
		var out, errOut syncBuffer
		code := run(context.Background(), nil, func(k string) string {
			if k == name {
				return "x"
			}
			return ""
		}, &out, &errOut)
		want := "GHL_LOCATION_ID is missing"
		if name == bridge.EnvClientID {
			want = "GHL_CLIENT_SECRET is missing" // OAuth without a location: app mode
		}
		if code != 2 || out.String() != "" || !strings.Contains(errOut.String(), want) {
			t.Errorf("%s set: exit %d, stdout %q, stderr:\n%s", name, code, out.String(), errOut.String())
		}
	}
	// --check with nothing set checks too.
	if code := run(context.Background(), []string{"--check"}, noEnv, &out, &errOut); code != 2 {
		t.Errorf("--check without configuration: exit %d", code)
	}
}

// TestBooleansAreStrict: GHL_WEBHOOK_LEGACY_RSA=yes is an error, not false.
func TestBooleansAreStrict(t *testing.T) {
	t.Parallel()
	env := map[string]string{bridge.EnvWebhookLegacyRSA: "yes"}
	var out, errOut syncBuffer
	if code := run(context.Background(), nil, func(k string) string { return env[k] }, &out, &errOut); code != 2 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(errOut.String(), `GHL_WEBHOOK_LEGACY_RSA="yes" is not a boolean`) {
		t.Errorf("stderr:\n%s", errOut.String())
	}
}

// testClient has a transport of its own: every httptest.Server.Close in the
// test binary closes http.DefaultTransport's idle connections, which can
// break a parallel test's request that is just reusing one.
var testClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
