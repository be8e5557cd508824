package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
)

// Parts of the bridge a probe checks. The bridge is ready when every probe
// of PartHighLevel, PartMattermost and PartStore passed.
const (
	PartHighLevel  = "highlevel"
	PartMattermost = "mattermost"
	PartStore      = "store"
	PartWebhook    = "webhook"
)

// ProbeResult is the outcome of one check of Probe.
type ProbeResult struct {
	Part   string `json:"part"`
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Hint says what to do about a failure.
	Hint string `json:"hint,omitempty"`
}

// probeTimeout bounds one probe.
const probeTimeout = 10 * time.Second

// Probe checks every part the bridge depends on, actively: HighLevel (the
// token works for the location, and what it may do), Mattermost (the bot's
// token, and its membership of the default channel and of BRIDGE_CHANNELS), the store (it
// answers and takes a write) and the webhook verification. It sends one
// read to HighLevel and two to Mattermost, writes nothing anywhere but the
// store, and never returns a secret. The results update the bridge's
// readiness (/readyz).
func (b *Bridge) Probe(ctx context.Context) []ProbeResult {
	var out []ProbeResult
	out = append(out, b.probeHighLevel(ctx)...)
	out = append(out, b.probeMattermost(ctx)...)
	out = append(out, b.probeStore(ctx), b.probeWebhook())
	b.ops.recordProbes(b.now(), out)
	return out
}

func (b *Bridge) probeHighLevel(ctx context.Context) []ProbeResult {
	if b.one == nil {
		// App mode: tokens are per installed location; there is no one
		// location to probe.
		return []ProbeResult{{Part: PartHighLevel, Name: "HighLevel app", OK: true, Detail: "app mode: each installed location has its own token"}}
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	loc := b.one.locationID
	r := ProbeResult{Part: PartHighLevel, Name: "HighLevel token for location " + loc}
	_, err := b.one.contacts.List(ctx, contacts.ListOptions{Limit: 1})
	_ = b.hlCall("probe", err) // records the outcome for /healthz
	var apiErr *ghl.APIError
	switch {
	case err == nil:
		r.OK, r.Detail = true, "reads contacts"
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		r.Detail = "HighLevel refused the token (401)"
		r.Hint = "check " + EnvGHLToken + " (or reinstall the OAuth app: the refresh token may be revoked)"
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden:
		r.Detail = "the token may not read contacts of this location (403)"
		r.Hint = "check " + EnvLocationID + " and that the token has the contacts.readonly scope for it"
	case errors.As(err, &apiErr):
		r.Detail = "HighLevel answered " + strconv.Itoa(apiErr.StatusCode)
		r.Hint = "HighLevel may be having trouble; check " + EnvGHLBaseURL
	default:
		r.Detail = "HighLevel cannot be reached: " + errorText(err)
		r.Hint = "check " + EnvGHLBaseURL + " and the network (DNS, proxy, firewall)"
	}
	mode := ProbeResult{Part: PartHighLevel, Name: "HighLevel access", OK: true}
	switch b.accessMode(ctx) {
	case accessReadOnly:
		mode.Detail = "read-only: write commands answer that an admin must grant " + ghl.ScopeContactsWrite
	case accessReadWrite:
		mode.Detail = "read-write (" + ghl.ScopeContactsWrite + " granted)"
	default:
		mode.Detail = "read-write assumed: the token does not list its scopes; a refused write switches to read-only"
	}
	return []ProbeResult{r, mode}
}

func (b *Bridge) probeMattermost(ctx context.Context) []ProbeResult {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	r := ProbeResult{Part: PartMattermost, Name: "Mattermost bot token"}
	me, err := b.mm.Me(ctx)
	var apiErr *mattermost.APIError
	switch {
	case err == nil:
		r.OK, r.Detail = true, "the bot is @"+me.Username
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		r.Detail = "Mattermost refused the token (401)"
		r.Hint = "check " + EnvMattermostToken + ": the bot account's access token, not a user's"
	case errors.As(err, &apiErr):
		r.Detail = "Mattermost answered " + strconv.Itoa(apiErr.StatusCode)
		r.Hint = "check " + EnvMattermostURL
	default:
		r.Detail = "Mattermost cannot be reached: " + errorText(err)
		r.Hint = "check " + EnvMattermostURL + " and the network"
	}
	out := []ProbeResult{r}
	b.deliver.observe(b.now(), err)
	if err != nil {
		return out
	}
	for _, ch := range b.probeChannels() {
		c := ProbeResult{Part: PartMattermost, Name: "bot is a member of channel " + ch.id + " (" + ch.variable + ")"}
		_, err := b.mm.GetChannelMember(ctx, ch.id, me.ID)
		switch {
		case err == nil:
			c.OK, c.Detail = true, "member"
		case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusNotFound || apiErr.StatusCode == http.StatusForbidden):
			c.Detail = "the bot is not a member, or the channel does not exist (" + strconv.Itoa(apiErr.StatusCode) + ")"
			c.Hint = "add @" + me.Username + " to the channel, or fix " + ch.variable
		default:
			c.Detail = "membership unknown: " + errorText(err)
			c.Hint = "check " + EnvMattermostURL
		}
		out = append(out, c)
	}
	return out
}

type probeChannel struct{ id, variable string }

// probeChannels are the channels the bot must be a member of.
func (b *Bridge) probeChannels() []probeChannel {
	var out []probeChannel
	if b.cfg.ChannelID != "" {
		out = append(out, probeChannel{b.cfg.ChannelID, EnvChannelID})
	}
	for _, ch := range b.cfg.Channels {
		if ch != b.cfg.ChannelID {
			out = append(out, probeChannel{ch, EnvChannels})
		}
	}
	return out
}

// probeStore checks that the store answers and takes a write: it marks a
// change that no webhook has, checks it, and removes it.
func (b *Bridge) probeStore(ctx context.Context) ProbeResult {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	r := ProbeResult{Part: PartStore, Name: "state store opens and is writable"}
	key := ownKey("probe", strconv.FormatInt(b.now().UnixNano(), 36))
	err := b.store.Ping(ctx)
	if err == nil {
		err = b.store.MarkOwn(ctx, key, b.now().Add(time.Minute))
	}
	if err == nil {
		var ok bool
		if ok, err = b.store.IsOwn(ctx, key); err == nil && !ok {
			err = errors.New("a write did not read back")
		}
		if ferr := b.store.ForgetOwn(ctx, key); err == nil {
			err = ferr
		}
	}
	if err != nil {
		r.Detail = errorText(err)
		r.Hint = "check " + EnvData + " (its directory must be writable by the bridge, and no other process may hold it)"
		return r
	}
	r.OK, r.Detail = true, "read and write work"
	return r
}

func (b *Bridge) probeWebhook() ProbeResult {
	r := ProbeResult{Part: PartWebhook, Name: "webhook verification", OK: true}
	switch {
	case b.cfg.WebhookPublicKey != "" && b.cfg.WebhookLegacyRSA:
		r.Detail = "Ed25519 key parsed; the legacy RSA signature is accepted too"
	case b.cfg.WebhookPublicKey != "":
		r.Detail = "Ed25519 key parsed"
	case b.cfg.WebhookLegacyRSA:
		r.Detail = "legacy RSA signature only (" + EnvWebhookKey + " is not set)"
	default:
		r.Detail = "keys given by the embedding program"
	}
	return r
}

// errorText is an error's message, bounded: probe results are shown to
// operators, who need the gist, not a page.
func errorText(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// ProbeSummary counts the failed results.
func ProbeSummary(results []ProbeResult) (failed int) {
	for _, r := range results {
		if !r.OK {
			failed++
		}
	}
	return failed
}

// String is the result as one line: "ok    name: detail" or
// "FAIL  name: detail; hint: ...".
func (r ProbeResult) String() string {
	if r.OK {
		return fmt.Sprintf("ok    %s: %s", r.Name, r.Detail)
	}
	s := fmt.Sprintf("FAIL  %s: %s", r.Name, r.Detail)
	if r.Hint != "" {
		s += "; hint: " + r.Hint
	}
	return s
}
