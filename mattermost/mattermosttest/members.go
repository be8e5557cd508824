package mattermosttest

import (
	"net/http"
	"slices"

	"github.com/ghlkit/ghl/mattermost"
)

// handleChannelMember answers GET /api/v4/channels/{id}/members/{user_id}
// as Mattermost does: 404 for an unknown channel or a user who is not a
// member (a channel without a member list has everyone as member), 403
// when the caller is neither a member nor reading its own membership of an
// open channel.
func (s *Server) handleChannelMember(w http.ResponseWriter, r *http.Request, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[r.PathValue("id")]
	if !ok {
		appError(w, http.StatusNotFound, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
		return
	}
	member := func(id string) bool { return len(c.Members) == 0 || slices.Contains(c.Members, id) }
	if !member(u.ID) {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	uid := r.PathValue("user_id")
	if _, known := s.users[uid]; !known || !member(uid) {
		appError(w, http.StatusNotFound, "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.")
		return
	}
	writeJSON(w, http.StatusOK, mattermost.ChannelMember{ChannelID: c.ID, UserID: uid, Roles: "channel_user", SchemeUser: true})
}

// AddChannelMember makes userID a member of channelID (a channel created
// with members; one without a member list already admits everyone).
func (s *Server) AddChannelMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[channelID]; ok && len(c.Members) > 0 && !slices.Contains(c.Members, userID) {
		c.Members = append(c.Members, userID)
	}
}
