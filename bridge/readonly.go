package bridge

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/mattermost"
)

// ReadOnlyMessage is the answer to a write command while the bridge has
// read-only access to HighLevel.
const ReadOnlyMessage = "This bridge has read-only access to HighLevel; ask an admin to grant " + ghl.ScopeContactsWrite + "."

// writeCommands are the slash commands that write to HighLevel.
var writeCommands = map[string]bool{
	"task add": true, "task done": true, "task edit": true, "task reopen": true, "task delete": true,
	"note add": true, "note edit": true, "note delete": true,
	"contact set": true, "contact add": true, "contact delete": true, "tag add": true, "tag remove": true,
}

// errReadOnly answers a write command in read-only mode.
var errReadOnly = &mattermost.UserError{Message: ReadOnlyMessage}

// readOnlyFor is how long a refused write keeps the bridge read-only
// before a write is tried again: an admin may have granted the scope.
const readOnlyFor = 10 * time.Minute

// writeRefused reports an error that says the token may not write: a
// scope the token lacks, or HighLevel's 401/403 to a write.
func writeRefused(err error) bool {
	var scopeErr *ghl.ScopeError
	var apiErr *ghl.APIError
	switch {
	case errors.As(err, &scopeErr):
		return true
	case errors.As(err, &apiErr):
		return apiErr.Method != http.MethodGet && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden)
	}
	return false
}

// learnReadOnly switches to read-only mode for readOnlyFor: the whole
// bridge with one location, the location ctx acts on in app mode (one
// location's refused write leaves the others writing).
func (b *Bridge) learnReadOnly(ctx context.Context, err error) {
	until := b.now().Add(readOnlyFor)
	if b.apps != nil {
		if s, ok := b.location(ctx); ok && s.readOnly.learn(b.now(), until) {
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: HighLevel refused a write; the location's write commands are answered as read-only",
				slog.String("locationId", s.locationID), slog.String("error", errorText(err)), slog.Time("retry_writes_after", until))
		}
		return
	}
	if !b.ops.readOnly.Swap(true) {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: HighLevel refused a write; write commands are answered as read-only",
			slog.String("error", errorText(err)), slog.Time("retry_writes_after", until))
	}
	b.ops.mu.Lock()
	b.ops.readOnlyUntil = until
	b.ops.mu.Unlock()
}

// readOnlyNow reports read-only mode, ending a learnt one once it expired.
func (b *Bridge) readOnlyNow(ctx context.Context) bool {
	if b.apps != nil {
		s, ok := b.location(ctx)
		return ok && s.readOnly.now(b.now())
	}
	if b.accessMode(ctx) != accessReadOnly {
		return false
	}
	if b.oauthTS != nil {
		if tok, err := b.oauthTS.Current(); err == nil && len(tok.Scopes) > 0 {
			return !tok.HasScope(ghl.ScopeContactsWrite)
		}
	}
	b.ops.mu.Lock()
	expired := !b.ops.readOnlyUntil.IsZero() && !b.now().Before(b.ops.readOnlyUntil)
	b.ops.mu.Unlock()
	if expired {
		b.ops.readOnly.Store(false)
		return false
	}
	return true
}

// handle wraps what runs a command, a click or a dialog: it counts the
// outcome in the metrics and, for one that writes to HighLevel, answers
// ReadOnlyMessage in read-only mode (sending nothing), and switches to it
// when HighLevel refuses the write.
func handle[Req, Resp any](b *Bridge, name string, writes bool, fn func(context.Context, Req) (Resp, error)) func(context.Context, Req) (Resp, error) {
	return func(ctx context.Context, req Req) (Resp, error) {
		var resp Resp
		var err error
		if writes && b.readOnlyNow(ctx) {
			err = errReadOnly
		} else {
			resp, err = fn(ctx, req)
			if writes && writeRefused(err) {
				b.learnReadOnly(ctx, err)
				var zero Resp
				resp, err = zero, errReadOnly
			}
		}
		b.ops.metrics.command(name, err)
		return resp, err
	}
}

// readOnlyState is one location's learnt read-only mode (app mode).
type readOnlyState struct {
	mu    sync.Mutex
	until time.Time
}

// learn makes the location read-only until until; it reports whether the
// location was writing until now.
func (r *readOnlyState) learn(now, until time.Time) (first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first = !now.Before(r.until)
	r.until = until
	return first
}

func (r *readOnlyState) now(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return now.Before(r.until)
}
