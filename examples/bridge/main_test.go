package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/bridge"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
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
	if code := run(context.Background(), nil, noEnv, &out, &errOut); code != 0 {
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
		if f := strings.Fields(line); len(f) == 3 && f[0] == "healthz" && f[1] == "curl" {
			url = f[2]
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %q: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
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
	hl := ghltest.NewServer()
	defer hl.Close()
	hl.AddToken("pit-token-123", "loc1", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	mm := mattermosttest.NewServer()
	defer mm.Close()
	_, botToken := mm.AddBot("bridge")
	pub, _ := ghltest.WebhookPublicKeys()
	data := filepath.Join(t.TempDir(), "bridge.db")
	env := map[string]string{
		bridge.EnvGHLToken:        "pit-token-123",
		bridge.EnvLocationID:      "loc1",
		bridge.EnvGHLBaseURL:      hl.URL,
		bridge.EnvWebhookKey:      base64.StdEncoding.EncodeToString(pub),
		bridge.EnvMattermostURL:   mm.URL,
		bridge.EnvMattermostToken: botToken,
		bridge.EnvCommandTokens:   "command-token-456",
		bridge.EnvPublicURL:       "https://bridge.example.com",
		bridge.EnvSecret:          strings.Repeat("k", 40),
		bridge.EnvAddr:            "127.0.0.1:0",
		bridge.EnvData:            data,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &out, &errOut) }()

	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		for _, line := range strings.Split(errOut.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "bridge: listening" {
				addr = rec.Addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening:\n%s", errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + bridge.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	var h bridge.Health
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || h.Status != "ok" {
		t.Errorf("healthz: %d %+v", resp.StatusCode, h)
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
	for _, secret := range []string{"pit-token-123", botToken, "command-token-456", strings.Repeat("k", 40)} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs show a secret %q", secret)
		}
	}
	for _, want := range []string{`"msg":"bridge: starting"`, `"bridge_secret":"[REDACTED]"`, `"msg":"bridge: stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestConfigured(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]bool{"": false, bridge.EnvGHLToken: true, bridge.EnvMattermostURL: true, bridge.EnvClientID: true, bridge.EnvSecret: false} {
		got := configured(func(k string) string {
			if k == env {
				return "x"
			}
			return ""
		})
		if got != want {
			t.Errorf("configured with %q set = %v, want %v", env, got, want)
		}
	}
}
