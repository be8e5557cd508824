package bridge

import (
	"bufio"
	"bytes"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

// scrape GETs the metrics and returns each sample line's value by its name
// and labels, as the Prometheus text format writes them.
func scrape(t *testing.T, url, auth string) (int, map[string]float64) {
	t.Helper()
	code, body, _ := get(t, url, auth)
	if code != http.StatusOK {
		return code, nil
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return code, out
}

// TestMetrics drives webhooks of every result, a command, a delivery and a
// retried HighLevel call through a bridge that built its own clients, and
// reads the counts from /metrics.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun())
	e.stop()
	cfg := e.cfg
	cfg.DataPath = filepath.Join(t.TempDir(), "metrics.db")
	b, err := New(cfg, WithLogger(slog.New(slog.NewTextHandler(e.logs, nil))), WithDeliveryPolicy(fastDelivery))
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.b, e.handler = b, b
	e.mu.Unlock()
	e.run()

	e.hl.Fail(ghltest.Fault{Method: "GET", Path: "/contacts/*", Status: http.StatusTooManyRequests, Count: 1})
	if res := e.slash(e.alice, e.channel.ID, "/ghl contact "+e.contact.ID); strings.Contains(res.Response.Text, "failed") {
		t.Fatalf("contact: %q", res.Response.Text)
	}
	url := e.srv.URL + PathWebhook
	now := time.Now()
	good := webhookBody("m1", e.contact.ID, now)
	postWebhook(t, e, signedWebhook(t, url, good))
	postWebhook(t, e, signedWebhook(t, url, good))
	unsigned, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(good)))
	postWebhook(t, e, unsigned)
	postWebhook(t, e, signedWebhook(t, url, webhookBody("m2", e.contact.ID, now.Add(-time.Hour))))
	postWebhook(t, e, signedWebhook(t, url, []byte(`{"type":"TaskCreate"`)))
	other := strings.Replace(string(webhookBody("m3", e.contact.ID, now)), testLocation, "elsewhere", 1)
	postWebhook(t, e, signedWebhook(t, url, []byte(other)))
	e.settle()

	code, m := scrape(t, e.srv.URL+PathMetrics, "")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for sample, want := range map[string]float64{
		`ghlkit_webhooks_total{result="accepted",type="TaskCreate"}`:       1,
		`ghlkit_webhooks_total{result="duplicate",type="TaskCreate"}`:      1,
		`ghlkit_webhooks_total{result="bad_signature",type="unknown"}`:     1,
		`ghlkit_webhooks_total{result="stale",type="unknown"}`:             1,
		`ghlkit_webhooks_total{result="malformed",type="unknown"}`:         1,
		`ghlkit_webhooks_total{result="wrong_location",type="TaskCreate"}`: 1,
		`ghlkit_deliveries_total{result="delivered"}`:                      1,
		`ghlkit_delivery_seconds_count`:                                    1,
		`ghlkit_outbox_pending`:                                            0,
		`ghlkit_outbox_dead`:                                               0,
		`ghlkit_commands_total{command="contact",result="ok"}`:             1,
		`ghlkit_highlevel_requests_total{code="429",method="GET"}`:         1,
		`ghlkit_highlevel_retries_total`:                                   1,
		`ghlkit_ready`:                                                     1,
		`ghlkit_highlevel_read_only`:                                       0,
		`ghlkit_webhooks_ignored_total{reason="other_location"}`:           1,
		`ghlkit_destinations_suspended`:                                    0,
	} {
		if got, ok := m[sample]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", sample, got, ok, want)
		}
	}
	// The start probe and the command each read HighLevel; Mattermost
	// was asked for the bot, its membership, and got the post.
	for _, sample := range []string{
		`ghlkit_highlevel_requests_total{code="200",method="GET"}`,
		`ghlkit_mattermost_requests_total{code="200",method="GET"}`,
		`ghlkit_mattermost_requests_total{code="201",method="POST"}`,
		`ghlkit_highlevel_rate_remaining`,
	} {
		if _, ok := m[sample]; !ok {
			t.Errorf("no %s", sample)
		}
	}
	if m[`ghlkit_highlevel_requests_total{code="200",method="GET"}`] < 2 {
		t.Errorf("HighLevel GETs: %v", m[`ghlkit_highlevel_requests_total{code="200",method="GET"}`])
	}
}

// TestMetricsNeedTheAdminToken on the main listener when one is set, and
// are not served there when BRIDGE_METRICS_ADDR moves them.
func TestMetricsNeedTheAdminToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	e.stop()
	e.cfg.AdminToken = testAdminToken
	e.start()
	if code, _ := scrape(t, e.srv.URL+PathMetrics, ""); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d", code)
	}
	if code, _ := scrape(t, e.srv.URL+PathMetrics, "Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d", code)
	}
	if code, m := scrape(t, e.srv.URL+PathMetrics, "Bearer "+testAdminToken); code != http.StatusOK || len(m) == 0 {
		t.Errorf("with the token: %d", code)
	}
	e.stop()
	e.cfg.MetricsAddr = "127.0.0.1:0"
	e.start()
	if code, _ := scrape(t, e.srv.URL+PathMetrics, "Bearer "+testAdminToken); code != http.StatusNotFound {
		t.Errorf("with BRIDGE_METRICS_ADDR, on the main listener: %d", code)
	}
}
