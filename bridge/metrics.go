package bridge

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/webhook"
)

// PathMetrics serves the Prometheus metrics.
const PathMetrics = "/metrics"

// Webhook results of ghlkit_webhooks_total.
const (
	webhookAccepted      = "accepted"
	webhookDuplicate     = "duplicate"
	webhookBadSignature  = "bad_signature"
	webhookStale         = "stale"
	webhookMalformed     = "malformed"
	webhookWrongLocation = "wrong_location"
	webhookError         = "error" // the bridge could not store it: HighLevel retries
)

// metrics are the bridge's Prometheus metrics, in a registry of their own
// (nothing global), served by MetricsHandler.
type metrics struct {
	reg             *prometheus.Registry
	webhooks        *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	deliverySeconds prometheus.Histogram
	commands        *prometheus.CounterVec
	hlRequests      *prometheus.CounterVec
	hlRetries       prometheus.Counter
	mmRequests      *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ghlkit_webhooks_total",
			Help: "HighLevel webhook deliveries by event type and result (accepted, duplicate, bad_signature, stale, malformed, wrong_location, error).",
		}, []string{"type", "result"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ghlkit_deliveries_total",
			Help: "Attempts to post an outbox event to Mattermost by result (delivered, retry, dead, deferred).",
		}, []string{"result"}),
		deliverySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ghlkit_delivery_seconds",
			Help:    "Time from a webhook's arrival to its post in Mattermost.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ghlkit_commands_total",
			Help: "Slash commands, button clicks and dialog submissions by command and result (ok, refused, read_only, error).",
		}, []string{"command", "result"}),
		hlRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ghlkit_highlevel_requests_total",
			Help: "Request attempts to HighLevel by method and HTTP status (\"error\": no answer).",
		}, []string{"method", "code"}),
		hlRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ghlkit_highlevel_retries_total",
			Help: "Request attempts to HighLevel that were retries.",
		}),
		mmRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ghlkit_mattermost_requests_total",
			Help: "Request attempts to Mattermost by method and HTTP status (\"error\": no answer).",
		}, []string{"method", "code"}),
	}
	m.reg.MustRegister(m.webhooks, m.deliveries, m.deliverySeconds, m.commands, m.hlRequests, m.hlRetries, m.mmRequests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// register adds the gauges read from the bridge at scrape time.
func (m *metrics) register(b *Bridge) {
	m.reg.MustRegister(&outboxCollector{b: b},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ghlkit_highlevel_rate_remaining",
			Help: "Requests left in HighLevel's current rate-limit window, from its latest response (-1: unknown).",
		}, func() float64 { return float64(b.rateLimit().Remaining) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ghlkit_highlevel_daily_remaining",
			Help: "Requests left today at HighLevel, from its latest response (-1: unknown).",
		}, func() float64 { return float64(b.rateLimit().DailyRemaining) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ghlkit_ready",
			Help: "1 when the last probes of HighLevel, Mattermost and the store passed.",
		}, func() float64 {
			if f, probed := b.ops.failing(); probed && len(f) == 0 {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "ghlkit_webhooks_ignored_total",
			Help:        "Verified webhooks answered but not posted, by reason (see Bridge.IgnoredWebhooks).",
			ConstLabels: prometheus.Labels{"reason": "no_location"},
		}, func() float64 { return float64(b.IgnoredWebhooks().NoLocation) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "ghlkit_webhooks_ignored_total",
			Help:        "Verified webhooks answered but not posted, by reason (see Bridge.IgnoredWebhooks).",
			ConstLabels: prometheus.Labels{"reason": "other_location"},
		}, func() float64 { return float64(b.IgnoredWebhooks().OtherLocation) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "ghlkit_webhooks_ignored_total",
			Help:        "Verified webhooks answered but not posted, by reason (see Bridge.IgnoredWebhooks).",
			ConstLabels: prometheus.Labels{"reason": "other_type"},
		}, func() float64 { return float64(b.IgnoredWebhooks().OtherType) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "ghlkit_webhooks_ignored_total",
			Help:        "Verified webhooks answered but not posted, by reason (see Bridge.IgnoredWebhooks).",
			ConstLabels: prometheus.Labels{"reason": "not_installed"},
		}, func() float64 { return float64(b.IgnoredWebhooks().NotInstalled) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ghlkit_highlevel_read_only",
			Help: "1 when the bridge has read-only access to HighLevel.",
		}, func() float64 {
			if b.ops.readOnly.Load() {
				return 1
			}
			return 0
		}),
	)
}

// outboxCollector reads the outbox counts and the suspended destinations
// once per scrape.
type outboxCollector struct{ b *Bridge }

var (
	outboxPendingDesc = prometheus.NewDesc("ghlkit_outbox_pending", "HighLevel events waiting to be posted to Mattermost.", nil, nil)
	outboxDeadDesc    = prometheus.NewDesc("ghlkit_outbox_dead", "HighLevel events Mattermost refused for good (see the dead subcommands).", nil, nil)
	suspendedDesc     = prometheus.NewDesc("ghlkit_destinations_suspended", "Channels whose events are held back after repeated refusals (see Bridge.Suspensions).", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxDeadDesc
	ch <- suspendedDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.b.store.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxPendingDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(outboxDeadDesc, prometheus.GaugeValue, float64(st.Dead))
	if sus, err := c.b.Suspensions(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(suspendedDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(suspendedDesc, prometheus.GaugeValue, float64(len(sus)))
	}
}

func statusLabel(status int) string {
	if status == 0 {
		return "error"
	}
	return strconv.Itoa(status)
}

func (m *metrics) observeHighLevel(ri ghl.RequestInfo) {
	m.hlRequests.WithLabelValues(ri.Method, statusLabel(ri.Status)).Inc()
	if ri.Attempt > 1 {
		m.hlRetries.Inc()
	}
}

func (m *metrics) observeMattermost(ri mattermost.RequestInfo) {
	m.mmRequests.WithLabelValues(ri.Method, statusLabel(ri.Status)).Inc()
}

// webhookTypes bounds the type label: only types HighLevel documents.
var webhookTypes = map[string]bool{
	webhook.TypeTaskCreate: true, webhook.TypeTaskComplete: true, webhook.TypeNoteCreate: true,
	webhook.TypeNoteUpdate: true, webhook.TypeContactCreate: true, webhook.TypeContactUpdate: true,
	webhook.TypeContactTagUpdate: true,
}

// webhookOutcome counts one webhook delivery (webhook.WithOutcome).
func (b *Bridge) webhookOutcome(ctx context.Context, e webhook.Event, err error) {
	typ := "unknown"
	if e != nil {
		typ = "other"
		if t := e.EventMeta().Type; webhookTypes[t] {
			typ = t
		}
	}
	var result string
	switch {
	case err == nil && e != nil && e.EventMeta().LocationID != b.cfg.LocationID:
		result = webhookWrongLocation
	case err == nil:
		result = webhookAccepted
	case errors.Is(err, webhook.ErrDuplicate), errors.Is(err, webhook.ErrInProgress):
		result = webhookDuplicate
	case errors.Is(err, webhook.ErrTooOld):
		result = webhookStale
	case errors.Is(err, webhook.ErrNoSignature), errors.Is(err, webhook.ErrMalformedSignature),
		errors.Is(err, webhook.ErrBadSignature), errors.Is(err, webhook.ErrNoKey):
		result = webhookBadSignature
	case e == nil:
		// Not a webhook: a malformed payload, an oversized body, a GET.
		result = webhookMalformed
	default:
		result = webhookError
	}
	b.ops.metrics.webhooks.WithLabelValues(typ, result).Inc()
}

// delivery counts one delivery attempt; ok is false when it was not made.
func (m *metrics) delivery(now time.Time, ev OutboxEvent, o Outcome, ok bool) {
	switch {
	case !ok:
	case o.Delivered:
		m.deliveries.WithLabelValues("delivered").Inc()
		m.deliverySeconds.Observe(now.Sub(ev.Received).Seconds())
	case o.Dead:
		m.deliveries.WithLabelValues("dead").Inc()
	case o.Deferred:
		m.deliveries.WithLabelValues("deferred").Inc()
	default:
		m.deliveries.WithLabelValues("retry").Inc()
	}
}

// command counts one command's outcome.
func (m *metrics) command(name string, err error) {
	result := "ok"
	var ue *mattermost.UserError
	switch {
	case errors.Is(err, errReadOnly):
		result = "read_only"
	case errors.As(err, &ue):
		result = "refused"
	case err != nil:
		result = "error"
	}
	m.commands.WithLabelValues(name, result).Inc()
}

// MetricsHandler serves the bridge's Prometheus metrics. The bridge serves
// it at PathMetrics itself unless Config.MetricsAddr is set, for the
// program to serve it there; on the bridge's own listener it asks for the
// admin token when one is configured.
func (b *Bridge) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(b.ops.metrics.reg, promhttp.HandlerOpts{})
}

// serveMetrics is PathMetrics on the main listener.
func (b *Bridge) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if b.cfg.AdminToken != "" {
		if granted, _ := b.adminAccess(r); !granted {
			writeStatusJSON(w, http.StatusUnauthorized, map[string]string{"error": "the metrics need the admin token"})
			return
		}
	}
	b.MetricsHandler().ServeHTTP(w, r)
}
