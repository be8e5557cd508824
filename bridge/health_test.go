package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

const testAdminToken = "admin-token-0123456789abcdef0123456789"

type statusAnswer struct {
	code int
	body string // compact JSON
	auth string // WWW-Authenticate
}

// get GETs url, with "Authorization: <auth>" unless empty.
func get(t *testing.T, url, auth string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw, resp.Header
}

// getStatus GETs a JSON status endpoint.
func getStatus(t *testing.T, url, auth string) statusAnswer {
	t.Helper()
	code, raw, h := get(t, url, auth)
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("%s: not JSON: %q", url, raw)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", url, ct)
	}
	return statusAnswer{code: code, body: buf.String(), auth: h.Get("WWW-Authenticate")}
}

// TestHealthDetailsNeedTheAdminToken: without credentials /healthz and
// /readyz give the status only (no error strings, IDs or times); the admin
// token unlocks the details; a wrong one is refused; with no admin token
// configured nobody gets details.
func TestHealthDetailsNeedTheAdminToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun())
	e.cfg.AdminToken = testAdminToken
	e.stop()
	e.start()
	e.run()
	// A failure whose text must stay private.
	e.hl.Fail(ghltest.Fault{Method: "GET", Path: "/contacts/*", Status: http.StatusBadGateway})
	e.slash(e.alice, e.channel.ID, "/ghl contact "+e.contact.ID)

	for _, auth := range []string{"", "Basic " + testAdminToken} {
		got := getStatus(t, e.srv.URL+PathHealth, auth)
		if auth == "" && (got.code != http.StatusOK || got.body != `{"status":"degraded"}`) {
			t.Errorf("/healthz without credentials: %+v", got)
		}
		if auth != "" && (got.code != http.StatusUnauthorized || strings.Contains(got.body, "502") || got.auth == "") {
			t.Errorf("/healthz with another scheme: %+v", got)
		}
	}
	for _, wrong := range []string{"Bearer nope", "Bearer " + testAdminToken + "x", "Bearer " + testAdminToken[:len(testAdminToken)-1]} {
		got := getStatus(t, e.srv.URL+PathHealth, wrong)
		if got.code != http.StatusUnauthorized || strings.Contains(got.body, "degraded") || strings.Contains(got.body, "502") {
			t.Errorf("/healthz with %q: %+v", wrong, got)
		}
		if got := getStatus(t, e.srv.URL+PathReady, wrong); got.code != http.StatusUnauthorized {
			t.Errorf("/readyz with %q: %+v", wrong, got)
		}
	}
	got := getStatus(t, e.srv.URL+PathHealth, "Bearer "+testAdminToken)
	var d healthDetails
	if err := json.Unmarshal([]byte(got.body), &d); err != nil || got.code != http.StatusOK {
		t.Fatalf("/healthz as admin: %+v %v", got, err)
	}
	if d.Status != "degraded" || !strings.Contains(d.HighLevel.LastError, "502") || d.Outbox == nil || !d.Ready || len(d.Probes) == 0 || d.Access != "unknown" {
		t.Errorf("details: %+v", d)
	}
	if got := getStatus(t, e.srv.URL+PathReady, ""); got.code != http.StatusOK || got.body != `{"status":"ready"}` {
		t.Errorf("/readyz: %+v", got)
	}

	// No admin token configured: the right-looking header gets nothing more.
	e2 := newEnv(t)
	if got := getStatus(t, e2.srv.URL+PathHealth, "Bearer "+testAdminToken); got.code != http.StatusOK || got.body != `{"status":"ok"}` {
		t.Errorf("/healthz without BRIDGE_ADMIN_TOKEN: %+v", got)
	}
}

// TestReadiness: not ready before the probes, nor while Mattermost refuses
// the bot or the bot is not in the default channel; the background
// re-probe makes it ready once fixed, without a restart.
func TestReadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun())
	e.b.ops.retryMin, e.b.ops.retryMax = 2*time.Millisecond, 5*time.Millisecond
	if got := getStatus(t, e.srv.URL+PathReady, ""); got.code != http.StatusServiceUnavailable || got.body != `{"status":"not ready"}` {
		t.Errorf("/readyz before Run: %+v", got)
	}
	// The bot is not a member of the default channel yet.
	private := e.mm.AddChannel("private", e.alice.ID)
	e.cfg.ChannelID = private.ID
	e.stop()
	e.start()
	e.b.ops.retryMin, e.b.ops.retryMax = 2*time.Millisecond, 5*time.Millisecond
	e.mm.Fail(mattermosttest.Fault{Method: "GET", Path: "/api/v4/users/me", Status: http.StatusServiceUnavailable, Count: 3})
	e.run()
	ready, failing := e.b.Ready(context.Background())
	if ready || len(failing) == 0 || failing[0].Part != PartMattermost {
		t.Fatalf("ready with Mattermost failing: %v %+v", ready, failing)
	}
	if got := getStatus(t, e.srv.URL+PathReady, ""); got.code != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %+v", got)
	}
	// Once /users/me answers, membership is what fails, with a hint.
	e.waitFor("the membership probe", func() bool {
		_, failing := e.b.Ready(context.Background())
		return len(failing) == 1 && strings.Contains(failing[0].Name, "member of channel "+private.ID)
	})
	_, failing = e.b.Ready(context.Background())
	if !strings.Contains(failing[0].Hint, "add @ghl-bridge to the channel") {
		t.Errorf("hint: %+v", failing[0])
	}
	if !strings.Contains(e.logs.String(), "probe failed; not ready") {
		t.Errorf("the failing probe was not logged:\n%s", e.logs.String())
	}
	if got := getStatus(t, e.srv.URL+PathReady, ""); got.code != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %+v", got)
	}
	// The channel admits the bot: the next re-probe makes the bridge ready.
	e.mm.AddMember(private.ID, e.bot.ID)
	e.waitFor("readiness", func() bool {
		ready, _ := e.b.Ready(context.Background())
		return ready
	})
	// The probe records its results before the loop logs them: wait for
	// the line rather than expect it the moment Ready turns true.
	e.waitFor("readiness logged", func() bool { return strings.Contains(e.logs.String(), "bridge: ready") })
}

// TestWithLoggerNil: WithLogger(nil) logs nothing, as in every package.
func TestWithLoggerNil(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	gc, mc := e.clients()
	b, err := New(e.cfg, WithLogger(nil), WithGHLClient(gc), WithMattermostClient(mc), WithStore(e.b.Store()))
	if err != nil {
		t.Fatalf("WithLogger(nil): %v", err)
	}
	b.Close()
}
