package mattermosttest

import (
	"net/http"
	"slices"

	"github.com/ghlkit/ghl/mattermost"
)

// adminState records who administers what.
type adminState struct {
	system  map[string]bool    // user ID
	channel map[[2]string]bool // {channel ID, user ID}
}

// SetSystemAdmin makes userID a system admin (roles "system_admin
// system_user"), or not.
func (s *Server) SetSystemAdmin(userID string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admins.system == nil {
		s.admins.system = map[string]bool{}
	}
	s.admins.system[userID] = on
}

// SetChannelAdmin makes userID an admin of channelID (scheme_admin), or
// not. It does not make the user a member of a channel with members.
func (s *Server) SetChannelAdmin(channelID, userID string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admins.channel == nil {
		s.admins.channel = map[[2]string]bool{}
	}
	s.admins.channel[[2]string{channelID, userID}] = on
}

// AddMember adds userID to the members of channelID (a channel with
// members: only they may post, read it and see its members).
func (s *Server) AddMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[channelID]; ok && !slices.Contains(c.Members, userID) {
		c.Members = append(c.Members, userID)
	}
}

func (s *Server) memberRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v4/users/{id}", s.auth(s.handleGetUser))
	mux.HandleFunc("GET /api/v4/channels/{id}/members/{user}", s.auth(s.handleChannelMember))
}

// apiUser is u as the API shows it, with its roles.
func (s *Server) apiUser(u User) mattermost.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiUserLocked(u)
}

func (s *Server) apiUserLocked(u User) mattermost.User {
	roles := "system_user"
	if s.admins.system[u.ID] {
		roles = "system_admin system_user"
	}
	return mattermost.User{ID: u.ID, Username: u.Username, IsBot: u.IsBot, Roles: roles}
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request, _ User) {
	s.mu.Lock()
	u, ok := s.users[r.PathValue("id")]
	var out mattermost.User
	if ok {
		out = s.apiUserLocked(*u)
	}
	s.mu.Unlock()
	if !ok {
		appError(w, http.StatusNotFound, "app.user.missing_account.const", "Unable to find the user.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleChannelMember answers as Mattermost does: 404 for an unknown
// channel or a user who is not a member, 403 when the caller may not read
// the channel (not a member of a channel with members, not a system admin).
// A channel without members is open: everyone is a member.
func (s *Server) handleChannelMember(w http.ResponseWriter, r *http.Request, caller User) {
	chID, userID := r.PathValue("id"), r.PathValue("user")
	if userID == "me" {
		userID = caller.ID
	}
	s.mu.Lock()
	c, ok := s.channels[chID]
	var member, readable bool
	var admin bool
	if ok {
		open := len(c.Members) == 0
		readable = open || slices.Contains(c.Members, caller.ID) || s.admins.system[caller.ID]
		_, known := s.users[userID]
		member = known && (open || slices.Contains(c.Members, userID))
		admin = s.admins.channel[[2]string{chID, userID}]
	}
	s.mu.Unlock()
	switch {
	case !ok:
		appError(w, http.StatusNotFound, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
	case !readable:
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
	case !member:
		appError(w, http.StatusNotFound, "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.")
	default:
		roles := "channel_user"
		if admin {
			roles = "channel_user channel_admin"
		}
		writeJSON(w, http.StatusOK, mattermost.ChannelMember{
			ChannelID: chID, UserID: userID, Roles: roles, SchemeUser: true, SchemeAdmin: admin,
		})
	}
}

// RemoveMember removes userID from the members of channelID (a channel
// with members).
func (s *Server) RemoveMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[channelID]; ok {
		c.Members = slices.DeleteFunc(c.Members, func(m string) bool { return m == userID })
	}
}
