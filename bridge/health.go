package bridge

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ghlkit/ghl"
)

// PathReady is the readiness endpoint: 200 once the last probes of
// HighLevel, Mattermost and the store passed, else 503.
const PathReady = "/readyz"

// Re-probing while a probe fails: the first wait, doubled up to the last.
const (
	probeRetryMin = 5 * time.Second
	probeRetryMax = time.Minute
)

// access is what the bridge may do in HighLevel.
type access int32

const (
	accessUnknown access = iota // the token does not say: writes are tried
	accessReadWrite
	accessReadOnly
)

// opsState is what the operational endpoints read: the last probes, the
// access mode learnt from HighLevel, the metrics.
type opsState struct {
	mu       sync.Mutex
	probes   []ProbeResult
	probedAt time.Time

	retryMin, retryMax time.Duration
	// readOnly is set when HighLevel refused a write (401/403) or the
	// token's scopes lack contacts.write.
	readOnly      atomic.Bool
	readOnlyUntil time.Time    // guarded by mu; zero: from the token's scopes
	metrics       *metrics     // metrics.go
	logBase       *slog.Logger // the logger given, without a component
}

func newOpsState() *opsState {
	return &opsState{retryMin: probeRetryMin, retryMax: probeRetryMax}
}

func (o *opsState) recordProbes(now time.Time, results []ProbeResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.probes, o.probedAt = append([]ProbeResult(nil), results...), now
}

// failing returns the last probes of the parts readiness depends on that
// failed, and false when nothing was probed yet.
func (o *opsState) failing() ([]ProbeResult, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.probedAt.IsZero() {
		return nil, false
	}
	var out []ProbeResult
	for _, r := range o.probes {
		if !r.OK && r.Part != PartWebhook {
			out = append(out, r)
		}
	}
	return out, true
}

// accessMode says whether the bridge may write to HighLevel: read-only
// once HighLevel refused a write, else what the OAuth token's scopes say.
func (b *Bridge) accessMode(ctx context.Context) access {
	if b.ops.readOnly.Load() {
		return accessReadOnly
	}
	if b.oauthTS != nil {
		if tok, err := b.oauthTS.Current(); err == nil && len(tok.Scopes) > 0 {
			if tok.HasScope(ghl.ScopeContactsWrite) {
				return accessReadWrite
			}
			b.ops.readOnly.Store(true)
			return accessReadOnly
		}
	}
	return accessUnknown
}

// Ready reports whether the bridge can do its work: the last probes of
// HighLevel, Mattermost and the store passed (Run probes at start, and
// again in the background while one fails) and the store answers now.
// failing lists the probes that did not pass.
func (b *Bridge) Ready(ctx context.Context) (ready bool, failing []ProbeResult) {
	failing, probed := b.ops.failing()
	if !probed {
		return false, []ProbeResult{{Part: PartStore, Name: "probes", Detail: "not probed yet (Run probes at start)"}}
	}
	if err := b.store.Ping(ctx); err != nil {
		failing = append(failing, ProbeResult{Part: PartStore, Name: "state store answers", Detail: errorText(err)})
	}
	return len(failing) == 0, failing
}

// probeLoop probes at start and logs every result, then re-probes with a
// growing wait while a part fails, logging the changes, until all pass.
func (b *Bridge) probeLoop(ctx context.Context) {
	wait := b.ops.retryMin
	var last map[string]bool
	for {
		results := b.Probe(ctx)
		if ctx.Err() != nil {
			return
		}
		allOK := true
		now := make(map[string]bool, len(results))
		for _, r := range results {
			now[r.Name] = r.OK
			allOK = allOK && r.OK
			if prev, seen := last[r.Name]; last != nil && seen && prev == r.OK {
				continue
			}
			attrs := []slog.Attr{slog.String("part", r.Part), slog.String("check", r.Name), slog.String("detail", r.Detail)}
			if r.OK {
				b.log.LogAttrs(ctx, slog.LevelInfo, "bridge: probe passed", attrs...)
			} else {
				b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: probe failed; not ready, probing again", append(attrs, slog.String("hint", r.Hint), slog.Duration("retry_in", wait))...)
			}
		}
		last = now
		if allOK {
			b.log.LogAttrs(ctx, slog.LevelInfo, "bridge: ready")
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, b.ops.retryMax)
	}
}

// adminAccess reports whether r carries BRIDGE_ADMIN_TOKEN as a bearer
// token (granted) and whether it carries a wrong one (refused). Without an
// admin token configured nobody is granted: no details are served.
func (b *Bridge) adminAccess(r *http.Request) (granted, refused bool) {
	h := r.Header.Get("Authorization")
	if h == "" || b.cfg.AdminToken == "" {
		return false, false
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return false, true
	}
	// Hashes have one length, so the comparison's time says nothing about
	// the token's length either.
	got, want := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(b.cfg.AdminToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
		return true, false
	}
	return false, true
}

// healthDetails is /healthz for the admin.
type healthDetails struct {
	Health
	Ready  bool          `json:"ready"`
	Probes []ProbeResult `json:"probes,omitempty"`
	Access string        `json:"highlevel_access"`
}

// serveHealth is liveness: it answers 200 while the process lives, with
// the status only; the admin token unlocks the details.
func (b *Bridge) serveHealth(w http.ResponseWriter, r *http.Request) {
	granted, refused := b.adminAccess(r)
	if refused {
		writeStatusJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong admin token"})
		return
	}
	h := b.Health(r.Context())
	if !granted {
		writeStatusJSON(w, http.StatusOK, map[string]string{"status": h.Status})
		return
	}
	d := healthDetails{Health: h, Access: accessName(b.accessMode(r.Context()))}
	var failing []ProbeResult
	d.Ready, failing = b.Ready(r.Context())
	b.ops.mu.Lock()
	d.Probes = append([]ProbeResult(nil), b.ops.probes...)
	b.ops.mu.Unlock()
	if len(d.Probes) == 0 {
		d.Probes = failing
	}
	writeStatusJSON(w, http.StatusOK, d)
}

// serveReady is readiness: 200 when Ready, else 503; the admin token adds
// what fails.
func (b *Bridge) serveReady(w http.ResponseWriter, r *http.Request) {
	granted, refused := b.adminAccess(r)
	if refused {
		writeStatusJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong admin token"})
		return
	}
	ready, failing := b.Ready(r.Context())
	body := struct {
		Status  string        `json:"status"`
		Failing []ProbeResult `json:"failing,omitempty"`
	}{Status: "ready"}
	code := http.StatusOK
	if !ready {
		body.Status, code = "not ready", http.StatusServiceUnavailable
	}
	if granted {
		body.Failing = failing
	}
	writeStatusJSON(w, code, body)
}

func accessName(a access) string {
	switch a {
	case accessReadOnly:
		return "read-only"
	case accessReadWrite:
		return "read-write"
	}
	return "unknown"
}

func writeStatusJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ghlkit bridge"`)
	}
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
