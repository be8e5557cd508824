package bridge

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/webhook"
)

// eventPosts routes a HighLevel event (r: the store's Route for it) and
// renders its posts: task and note
// events go to the contact's thread when it has one, else to the channels
// subscribed to the contact, else to the default channel; contact events go
// to the subscribed channels, else the default channel. Suspended
// destinations are left out. No route: no posts.
//
// In app mode only the channels linked to the event's location count: a
// thread or subscription in a channel since linked to another location, or
// to none, is passed over, and the channels linked to the location stand
// in for the default channel.
func (b *Bridge) eventPosts(ctx context.Context, e webhook.Event, r Route) []*mattermost.Post {
	if u, ok := e.(*webhook.AppUninstall); ok {
		return b.uninstallPosts(u, r)
	}
	threaded := false
	switch e.(type) {
	case *webhook.TaskCreate, *webhook.TaskComplete, *webhook.NoteCreate, *webhook.NoteUpdate:
		threaded = true
	}
	linked := r.Linked
	routable := func(ch string) bool {
		return !slices.Contains(r.Suspended, ch) && b.channelAllowed(ch) && (b.apps == nil || slices.Contains(linked, ch))
	}
	if threaded {
		if th := r.Thread; r.HasThread && th.RootID != "" && routable(th.ChannelID) {
			msg, ok := b.renderEvent(ctx, th.ChannelID, e)
			if !ok {
				return nil
			}
			return []*mattermost.Post{msg.Post(th.ChannelID, th.RootID)}
		}
	}
	var channels []string
	for _, ch := range r.Subscribers {
		if routable(ch) {
			channels = append(channels, ch)
		}
	}
	if len(channels) == 0 {
		if b.apps != nil {
			for _, ch := range linked {
				if routable(ch) {
					channels = append(channels, ch)
				}
			}
		} else if b.cfg.ChannelID != "" {
			channels = []string{b.cfg.ChannelID}
		}
	}
	posts := make([]*mattermost.Post, 0, len(channels))
	for _, ch := range channels {
		p, ok := b.eventPost(ctx, e, ch)
		if !ok {
			return nil
		}
		posts = append(posts, p)
	}
	return posts
}

// routeLocation is the location whose linked channels an event's Route
// reads: in app mode the event's own; none otherwise.
func (b *Bridge) routeLocation(e webhook.Event) string {
	if b.apps == nil {
		return ""
	}
	return e.EventMeta().LocationID
}

// uninstallPosts tells every channel linked to an uninstalled location
// (app mode) what that means for it and how to reconnect. The links are
// kept, so that the channel's commands can explain too.
func (b *Bridge) uninstallPosts(u *webhook.AppUninstall, r Route) []*mattermost.Post {
	loc := u.EventMeta().LocationID
	if b.apps == nil || loc == "" {
		return nil
	}
	reinstall := "install the app again at " + b.publicURL(PathInstall)
	text := "⚠️ The HighLevel app was uninstalled from location **" + mattermost.EscapeInline(loc) + "**. " +
		"Its events are no longer posted here, and commands in this channel answer that the app is not installed there. " +
		"To reconnect, " + reinstall + "; to unlink this channel, use `" + b.trigger + " disconnect`."
	var posts []*mattermost.Post
	for _, ch := range r.Linked {
		if !slices.Contains(r.Suspended, ch) && b.channelAllowed(ch) {
			posts = append(posts, mattermost.Message{Text: text}.Post(ch, ""))
		}
	}
	return posts
}

// eventPost renders e for a channel (its buttons are valid there only).
func (b *Bridge) eventPost(ctx context.Context, e webhook.Event, channelID string) (*mattermost.Post, bool) {
	msg, ok := b.renderEvent(ctx, channelID, e)
	if !ok {
		return nil, false
	}
	return msg.Post(channelID, ""), true
}

// nameCache remembers contact names seen in commands and contact events, so
// that task and note events (which carry only the contact ID) can name the
// contact without a HighLevel call per event.
type nameCache struct {
	mu sync.Mutex
	m  map[string]string
}

const (
	nameCacheMax = 10_000
	// nameLookupTimeout bounds looking a name up for an event, and
	// nameLookupPause is how long lookups stop after one failed.
	nameLookupTimeout = 2 * time.Second
	nameLookupPause   = time.Minute
)

// lookupPause stops a location's name lookups for nameLookupPause after
// one failed, so that events are not held up by a HighLevel in trouble. It
// is kept per location: one location's outage leaves the others' names.
type lookupPause struct {
	mu        sync.Mutex
	failedAt  time.Time
	hasFailed bool
}

// mayLookUp reports whether names may be looked up in HighLevel now.
func (p *lookupPause) mayLookUp(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.hasFailed || now.Sub(p.failedAt) >= nameLookupPause
}

func (p *lookupPause) failed(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failedAt, p.hasFailed = now, true
}

func (c *nameCache) put(id, name string) {
	if id == "" || name == "" || name == id {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if len(c.m) >= nameCacheMax {
		for k := range c.m { // drop an arbitrary entry
			delete(c.m, k)
			break
		}
	}
	c.m[id] = name
}

func (c *nameCache) get(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}
