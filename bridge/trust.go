package bridge

import (
	"context"
	"sync/atomic"

	"github.com/ghlkit/ghl/mattermost"
)

// verifyUse checks a verified button context or dialog state (the Token
// the mattermost handlers set on ActionRequest and DialogSubmission)
// against the channel and user of the click or submission, and spends its
// one-time nonce, if it has one, in the store. Call it once the request is
// known to be well formed and before writing anything.
//
// A refusal is a *mattermost.UserError: its Message tells the user why,
// and errors.Is matches mattermost.ErrWrongChannel, ErrWrongUser or
// ErrAlreadyUsed. Other errors are the store's.
func (b *Bridge) verifyUse(ctx context.Context, tok *mattermost.Token, channelID, userID string) error {
	if tok == nil {
		return &mattermost.UserError{Message: "This request is not signed by the bridge.", Err: mattermost.ErrUnsigned}
	}
	if err := tok.Check(channelID, userID); err != nil {
		return &mattermost.UserError{Message: mattermost.RefusalText(err), Err: err}
	}
	key := tok.NonceKey()
	if key == "" {
		return nil
	}
	fresh, err := b.store.UseNonce(ctx, key, tok.Expires)
	if err != nil {
		return err
	}
	if !fresh {
		return &mattermost.UserError{Message: mattermost.RefusalText(mattermost.ErrAlreadyUsed), Err: mattermost.ErrAlreadyUsed}
	}
	return nil
}

// bind is bind with, in app mode, the location ctx acts on as its scope: a
// button or form made while a channel acted on one location is refused
// once the channel is connected to another (checkScope).
func (b *Bridge) bind(ctx context.Context, bind mattermost.Binding) mattermost.Binding {
	if s, ok := b.location(ctx); ok && b.apps != nil {
		bind.Scope = s.locationID
	}
	return bind
}

// checkScope refuses, in app mode, a button or form made for another
// location than the one its channel now acts on (see bind).
func (b *Bridge) checkScope(ctx context.Context, tok *mattermost.Token) error {
	if b.apps == nil || tok == nil {
		return nil
	}
	if s, ok := b.location(ctx); !ok || tok.Scope != s.locationID {
		return mattermost.UserErrorf("This was made while this channel was connected to another HighLevel location; nothing was done. Run the command again.")
	}
	return nil
}

// IgnoredWebhooks counts the verified webhooks the bridge answered but did
// not post, by reason, since it started (for metrics).
type IgnoredWebhooks struct {
	NoLocation    int64 `json:"no_location"`    // no locationId
	OtherLocation int64 `json:"other_location"` // another location's
	OtherType     int64 `json:"other_type"`     // a type the bridge does not post
	// NotInstalled counts, in app mode, the events of locations where the
	// app is not installed (never, or uninstalled since).
	NotInstalled int64 `json:"not_installed"`
}

type ignoredCounters struct {
	noLocation, otherLocation, otherType, notInstalled atomic.Int64
}

// IgnoredWebhooks returns the counts of webhooks answered but not posted.
func (b *Bridge) IgnoredWebhooks() IgnoredWebhooks {
	return IgnoredWebhooks{
		NoLocation:    b.ignored.noLocation.Load(),
		OtherLocation: b.ignored.otherLocation.Load(),
		OtherType:     b.ignored.otherType.Load(),
		NotInstalled:  b.ignored.notInstalled.Load(),
	}
}
