package bridge

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ghlkit/ghl/mattermost"
)

// Who may act where: the bridge's authorization policy.
//
//   - BRIDGE_CHANNELS (Config.Channels), when set, lists the channels the
//     bridge answers in at all (the default channel always counts).
//   - Routing changes (subscribe, unsubscribe, moving a contact's notes
//     thread) need a channel admin of that channel or a system admin in
//     Mattermost, or a user listed in BRIDGE_ADMINS (Config.Admins).
//   - Events are only routed to channels whose bot membership was checked.
//
// Every refusal is a *mattermost.UserError: the user sees why, ephemerally.

// errNotAuthorized is the cause of a refused routing change.
var errNotAuthorized = errors.New("bridge: not authorized")

// channelAllowed reports whether the bridge answers in, and posts to,
// channelID.
func (b *Bridge) channelAllowed(channelID string) bool {
	return len(b.cfg.Channels) == 0 || channelID == b.cfg.ChannelID || slices.Contains(b.cfg.Channels, channelID)
}

// refuseChannel is the answer in a channel outside BRIDGE_CHANNELS.
func (b *Bridge) refuseChannel() error {
	return &mattermost.UserError{Message: "The HighLevel bridge does not answer in this channel (an admin lists its channels in `" + EnvChannels + "`).", Err: errNotAuthorized}
}

// slashInChannels wraps the slash command dispatcher with the channel
// check.
func (b *Bridge) slashInChannels(fn mattermost.SlashFunc) mattermost.SlashFunc {
	return func(ctx context.Context, sc *mattermost.SlashCommand) (*mattermost.CommandResponse, error) {
		if !b.channelAllowed(sc.ChannelID) {
			return nil, b.refuseChannel()
		}
		return fn(ctx, sc)
	}
}

// action wraps a button handler: the channel check, the channel's location
// (app mode), then handle (metrics, read-only mode) in that location.
func (b *Bridge) action(name string, writes bool, fn mattermost.ActionFunc) mattermost.ActionFunc {
	run := handle(b, name, writes, fn)
	return func(ctx context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		ctx, err := b.locate(ctx, name, req.ChannelID, req.Token)
		if err != nil {
			return nil, err
		}
		return run(ctx, req)
	}
}

// dialog wraps a dialog handler as action does a button's. A cancellation
// is passed on as it is: it reads and writes nothing.
func (b *Bridge) dialog(name string, writes bool, fn mattermost.DialogFunc) mattermost.DialogFunc {
	run := handle(b, name, writes, fn)
	return func(ctx context.Context, sub *mattermost.DialogSubmission) (*mattermost.DialogResponse, error) {
		if !sub.Cancelled {
			var err error
			if ctx, err = b.locate(ctx, name, sub.ChannelID, sub.Token); err != nil {
				return nil, err
			}
		}
		return run(ctx, sub)
	}
}

// command wraps a slash command as action does a button's; the commands
// that connect a location (locationFree) run outside any.
func (b *Bridge) command(name string, writes bool, fn mattermost.CommandFunc) mattermost.CommandFunc {
	run := handle(b, name, writes, fn)
	if locationFree[name] {
		return run
	}
	return func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		ctx, err := b.locate(ctx, name, inv.Request.ChannelID, nil)
		if err != nil {
			return nil, err
		}
		return run(ctx, inv)
	}
}

// locate checks that the bridge answers in channelID and returns ctx acting
// on the channel's location; the token of a button or form, when given,
// must be of that location (checkScope). A refusal is counted in the
// metrics under name.
func (b *Bridge) locate(ctx context.Context, name, channelID string, tok *mattermost.Token) (context.Context, error) {
	var err error
	if !b.channelAllowed(channelID) {
		err = b.refuseChannel()
	}
	var s *services
	if err == nil {
		s, err = b.channelServices(ctx, channelID)
	}
	if err == nil {
		ctx = withServices(ctx, s)
		err = b.checkScope(ctx, tok)
	}
	if err != nil {
		b.ops.metrics.command(name, err)
	}
	return ctx, err
}

// authorize returns nil when userID may change where events go in
// channelID (subscribe, unsubscribe, move a notes thread; `edits` also
// uses it for contact delete): the user is listed in BRIDGE_ADMINS (by ID
// or username), is a system admin, or an admin of channelID, as Mattermost
// says over REST. Otherwise it returns a *mattermost.UserError telling the
// user why (errors.Is(err, errNotAuthorized) for a refusal; other causes
// are Mattermost failures).
func (b *Bridge) authorize(ctx context.Context, userID, channelID string) error {
	if admin, err := b.isAdmin(ctx, userID); admin || err != nil {
		return err
	}
	m, err := b.mm.GetChannelMember(ctx, channelID, userID)
	switch {
	case mattermost.IsNotFound(err):
		return &mattermost.UserError{Message: "Only members of this channel who administer it may change where HighLevel events go, and you are not a member.", Err: errNotAuthorized}
	case mattermost.IsForbidden(err):
		return &mattermost.UserError{Message: "The bridge cannot see your role in this channel (its bot is not a member); ask a bridge admin.", Err: errNotAuthorized}
	case err != nil:
		return mattermostUserError("Checking your permissions", err)
	case m.IsChannelAdmin():
		return nil
	}
	return &mattermost.UserError{Message: "Only a channel admin, a system admin or a bridge admin (`" + EnvAdmins + "`) may change where HighLevel events go.", Err: errNotAuthorized}
}

// isAdmin reports whether userID is a bridge admin (BRIDGE_ADMINS, by ID
// or username) or a system admin, as Mattermost says over REST. Its errors
// are *mattermost.UserError.
func (b *Bridge) isAdmin(ctx context.Context, userID string) (bool, error) {
	if userID == "" {
		return false, &mattermost.UserError{Message: "Mattermost did not say who you are, so the bridge cannot check your permissions.", Err: errNotAuthorized}
	}
	if slices.Contains(b.cfg.Admins, userID) {
		return true, nil
	}
	u, err := b.mm.GetUser(ctx, userID)
	if err != nil {
		return false, mattermostUserError("Checking your permissions", err)
	}
	return slices.Contains(b.cfg.Admins, strings.ToLower(u.Username)) || u.IsSystemAdmin(), nil
}

// checkDestination returns nil when the bridge may send events to
// channelID: the channel is allowed and the bot is a member (so it can
// post there). Otherwise a *mattermost.UserError says why.
func (b *Bridge) checkDestination(ctx context.Context, channelID string) error {
	if !b.channelAllowed(channelID) {
		return b.refuseChannel()
	}
	_, err := b.mm.GetChannelMember(ctx, channelID, "me")
	switch {
	case mattermost.IsNotFound(err), mattermost.IsForbidden(err):
		return &mattermost.UserError{Message: "The bridge's bot is not a member of this channel, so it cannot post here. Add it to the channel first (`/invite @` and the bot's name).", Err: err}
	case err != nil:
		return mattermostUserError("Checking that the bridge can post here", err)
	}
	return nil
}

// clickUser returns the user who clicked, as Mattermost knows them: the
// request's user_name is not trusted, and a user who is not a member of the
// channel cannot have clicked in it.
func (b *Bridge) clickUser(ctx context.Context, userID, channelID string) (*mattermost.User, error) {
	if userID == "" {
		return nil, mattermost.UserErrorf("Mattermost did not say who clicked.")
	}
	u, err := b.mm.GetUser(ctx, userID)
	if err != nil {
		if mattermost.IsNotFound(err) {
			return nil, &mattermost.UserError{Message: "Mattermost does not know the user who clicked.", Err: errNotAuthorized}
		}
		return nil, mattermostUserError("Checking who clicked", err)
	}
	if _, err := b.mm.GetChannelMember(ctx, channelID, userID); err != nil {
		if mattermost.IsNotFound(err) || mattermost.IsForbidden(err) {
			return nil, &mattermost.UserError{Message: "Only members of this channel may use its buttons.", Err: errNotAuthorized}
		}
		return nil, mattermostUserError("Checking who clicked", err)
	}
	return u, nil
}

// mayThreadHere reports whether the contact's notes thread may be posted
// in channelID without an admin: it is there already, or the contact has
// none yet and its events already go to channelID (a subscribed channel,
// or the default channel when it has no subscription), so starting it
// there changes nothing about who sees what.
func (b *Bridge) mayThreadHere(ctx context.Context, contactID, channelID string) (bool, error) {
	th, ok, err := b.store.Thread(ctx, contactID)
	if err != nil {
		return false, err
	}
	if ok && th.RootID != "" {
		return th.ChannelID == channelID, nil
	}
	subs, err := b.store.Subscribers(ctx, contactID)
	if err != nil {
		return false, err
	}
	if len(subs) == 0 && b.apps != nil {
		// App mode: the contact's events go to every channel connected to
		// its location; a thread in one of them takes them from the
		// others, unless it is the only one.
		s, ok := b.location(ctx)
		if !ok {
			return false, nil
		}
		channels, err := b.store.LocationChannels(ctx, s.locationID)
		return len(channels) == 1 && channels[0] == channelID, err
	}
	if len(subs) == 0 {
		return channelID == b.cfg.ChannelID, nil
	}
	return slices.Contains(subs, channelID), nil
}

// routeHere checks a change that sends events to channelID (subscribe,
// notes --move): userID may make it there, and the bot can post there; a
// suspended destination is then resumed.
func (b *Bridge) routeHere(ctx context.Context, userID, channelID string) error {
	if err := b.authorize(ctx, userID, channelID); err != nil {
		return err
	}
	if err := b.checkDestination(ctx, channelID); err != nil {
		return err
	}
	return b.resumeDestination(ctx, channelID)
}
