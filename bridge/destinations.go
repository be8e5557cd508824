package bridge

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/ghlkit/ghl/mattermost"
)

// suspendAfter is how many posts in a row a destination may refuse (403,
// 404) before the bridge stops routing events to it.
const suspendAfter = 3

// destinationRefused reports Mattermost refusing a post because of its
// channel: the bot may not post there (403) or the channel is gone (404).
// Posting elsewhere may still work, so the event is not held back.
func destinationRefused(err error) bool {
	var apiErr *mattermost.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusForbidden || apiErr.StatusCode == http.StatusNotFound)
}

// destFailures counts the consecutive refusals of each destination
// channel. It is kept in memory: after a restart a destination gets
// suspendAfter more tries, and only a suspension is stored.
type destFailures struct {
	mu sync.Mutex
	m  map[string]int
}

func (d *destFailures) fail(channelID string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = make(map[string]int)
	}
	d.m[channelID]++
	return d.m[channelID]
}

func (d *destFailures) ok(channelID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, channelID)
}

// destinationFailed records a refused post to channelID and suspends the
// destination after suspendAfter refusals in a row.
func (b *Bridge) destinationFailed(ctx context.Context, channelID string, err error) {
	n := b.destFail.fail(channelID)
	reason := err.Error()
	var apiErr *mattermost.APIError
	if errors.As(err, &apiErr) {
		reason = http.StatusText(apiErr.StatusCode) + " (" + apiErr.ID + ")"
	}
	b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: Mattermost refused a post in a destination channel; posting elsewhere",
		slog.String("channelId", channelID), slog.Int("refusals", n), slog.String("error", reason))
	if n < suspendAfter {
		return
	}
	sp := Suspension{ChannelID: channelID, Since: b.now(), Failures: n, Reason: reason}
	if serr := b.store.SuspendDestination(context.WithoutCancel(ctx), sp); serr != nil {
		b.log.LogAttrs(ctx, slog.LevelError, "bridge: recording a suspended destination failed", slog.String("channelId", channelID), slog.String("error", serr.Error()))
		return
	}
	b.destFail.ok(channelID)
	b.log.LogAttrs(ctx, slog.LevelError, "bridge: destination suspended: its events now go to the other routes or the default channel; a subscribe there resumes it",
		slog.String("channelId", channelID), slog.Int("refusals", n), slog.String("error", reason))
}

// Suspensions returns the destinations the bridge stopped posting to (see
// Suspension), for health reports.
func (b *Bridge) Suspensions(ctx context.Context) ([]Suspension, error) {
	return b.store.Suspensions(ctx)
}

// resumeDestination routes events to channelID again, if it was suspended.
func (b *Bridge) resumeDestination(ctx context.Context, channelID string) error {
	resumed, err := b.store.ResumeDestination(ctx, channelID)
	if err == nil && resumed {
		b.destFail.ok(channelID)
		b.log.LogAttrs(ctx, slog.LevelInfo, "bridge: destination resumed", slog.String("channelId", channelID))
	}
	return err
}
