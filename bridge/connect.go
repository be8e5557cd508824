package bridge

import (
	"context"
	"errors"
	"strings"

	"github.com/ghlkit/ghl/mattermost"
)

// Channels and locations (app mode). A channel acts on one HighLevel
// location, the one it is connected to with `/ghl connect`: its commands,
// buttons and forms read and write that location only, through the
// location's own client and token (locations.go), and the location's
// events are posted in its connected channels. A single-location bridge
// (GHL_LOCATION_ID) has one location for every channel and no connect.

// locationFree are the commands that run without a location: they are what
// connects one.
var locationFree = map[string]bool{"connect": true, "disconnect": true, "status": true}

// channelServices returns the services of the location channelID acts on,
// or a *mattermost.UserError telling the user why there is none: the
// channel is not connected, or the app is no longer installed in its
// location.
func (b *Bridge) channelServices(ctx context.Context, channelID string) (*services, error) {
	if b.apps == nil {
		return b.one, nil
	}
	loc, ok, err := b.store.ChannelLocation(ctx, channelID)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, mattermost.UserErrorf("This channel is not connected to a HighLevel location. A system admin or a bridge admin connects it with `%s connect <locationId>`.", b.trigger)
	}
	s, err := b.apps.services(ctx, loc)
	if errors.Is(err, errNotInstalled) {
		return nil, b.notInstalled(loc)
	}
	return s, err
}

// notInstalled is the answer in a channel whose location uninstalled the
// app: nothing can be read or written there until it is installed again.
func (b *Bridge) notInstalled(locationID string) error {
	return &mattermost.UserError{
		Message: "The HighLevel app is not installed in location " + code(locationID) + ", which this channel is connected to, so nothing can be read or changed there. " +
			"An admin of that location installs it again at " + b.publicURL(PathInstall) + ", or `" + b.trigger + " disconnect` disconnects this channel.",
		Err: errNotInstalled,
	}
}

// authorizeConnect lets only system admins and bridge admins connect a
// channel to a location: any Mattermost user may create a channel and
// administer it, and a connected channel reads and writes the whole
// location's contacts, so channel admins may not grant that to themselves.
func (b *Bridge) authorizeConnect(ctx context.Context, userID string) error {
	if admin, err := b.isAdmin(ctx, userID); admin || err != nil {
		return err
	}
	return &mattermost.UserError{Message: "Only a system admin or a bridge admin (`" + EnvAdmins + "`) may connect a channel to a HighLevel location: the channel then reads and changes that location's contacts.", Err: errNotAuthorized}
}

func (b *Bridge) cmdConnect(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	sc := inv.Request
	loc := strings.TrimSpace(inv.Arg("locationId"))
	if !plausibleID(loc) {
		return nil, mattermost.UserErrorf("%s is not a HighLevel location ID.", code(loc))
	}
	if err := b.authorizeConnect(ctx, sc.UserID); err != nil {
		return nil, err
	}
	if err := b.checkDestination(ctx, sc.ChannelID); err != nil {
		return nil, err
	}
	if installed, err := b.apps.isInstalled(ctx, loc); err != nil {
		return nil, err
	} else if !installed {
		return nil, mattermost.UserErrorf("The HighLevel app is not installed in location %s. An admin of that location installs it at %s first.", code(loc), b.publicURL(PathInstall))
	}
	previous, err := b.store.LinkChannel(ctx, sc.ChannelID, loc)
	if err != nil {
		return nil, err
	}
	if err := b.resumeDestination(ctx, sc.ChannelID); err != nil {
		return nil, err
	}
	switch previous {
	case loc:
		return mattermost.Ephemeral("This channel is already connected to HighLevel location " + code(loc) + "."), nil
	case "":
		return mattermost.InChannel(mention(sc.UserName) + " connected this channel to HighLevel location " + code(loc) + ": its commands act on that location, and its events are posted here."), nil
	}
	return mattermost.InChannel(mention(sc.UserName) + " connected this channel to HighLevel location " + code(loc) + " instead of " + code(previous) + ": its commands now act on " + code(loc) + ", and the events of " + code(previous) + " are no longer posted here."), nil
}

func (b *Bridge) cmdDisconnect(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	sc := inv.Request
	// Taking access away is safe: a channel admin may do it too.
	if err := b.authorize(ctx, sc.UserID, sc.ChannelID); err != nil {
		return nil, err
	}
	loc, err := b.store.UnlinkChannel(ctx, sc.ChannelID)
	if err != nil {
		return nil, err
	}
	if loc == "" {
		return mattermost.Ephemeral("This channel is not connected to a HighLevel location."), nil
	}
	return mattermost.InChannel(mention(sc.UserName) + " disconnected this channel from HighLevel location " + code(loc) + ": its events are no longer posted here, and its commands answer nothing until the channel is connected again."), nil
}

func (b *Bridge) cmdStatus(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if b.apps == nil {
		return mattermost.Ephemeral("This bridge serves HighLevel location " + code(b.cfg.LocationID) + " in every channel it answers in."), nil
	}
	loc, ok, err := b.store.ChannelLocation(ctx, inv.Request.ChannelID)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return mattermost.Ephemeral("This channel is not connected to a HighLevel location. A system admin or a bridge admin connects it with `" + b.trigger + " connect <locationId>`."), nil
	}
	switch installed, err := b.apps.isInstalled(ctx, loc); {
	case err != nil:
		return nil, err
	case !installed:
		return nil, b.notInstalled(loc)
	}
	channels, err := b.store.LocationChannels(ctx, loc)
	if err != nil {
		return nil, err
	}
	msg := "This channel is connected to HighLevel location " + code(loc) + ", where the app is installed: its commands act on that location, and its events are posted here."
	if n := len(channels) - 1; n > 0 {
		msg += " " + plural(n, "other channel is", "other channels are") + " connected to it too."
	}
	return mattermost.Ephemeral(msg), nil
}
