package mattermost

import (
	"context"
	"net/http"
	"strings"
)

// ChannelMember is a user's membership of a channel (GET
// /api/v4/channels/{channel_id}/members/{user_id}).
type ChannelMember struct {
	ChannelID string `json:"channel_id"`
	UserID    string `json:"user_id"`
	// Roles lists explicit roles, space-separated; with permission
	// schemes, SchemeAdmin is what makes a channel admin.
	Roles       string `json:"roles"`
	SchemeGuest bool   `json:"scheme_guest"`
	SchemeUser  bool   `json:"scheme_user"`
	SchemeAdmin bool   `json:"scheme_admin"`
}

// IsChannelAdmin reports whether the member administers the channel.
func (m *ChannelMember) IsChannelAdmin() bool {
	return m.SchemeAdmin || hasRole(m.Roles, "channel_admin")
}

// IsSystemAdmin reports whether the user is a system admin (its roles
// include system_admin).
func (u *User) IsSystemAdmin() bool { return hasRole(u.Roles, "system_admin") }

func hasRole(roles, role string) bool {
	for _, r := range strings.Fields(roles) {
		if r == role {
			return true
		}
	}
	return false
}

// GetUser returns a user by ID (GET /api/v4/users/{user_id}), with its
// roles. A user that does not exist is an *APIError with status 404.
func (c *Client) GetUser(ctx context.Context, userID string) (*User, error) {
	id, err := pathSegment("userID", userID)
	if err != nil {
		return nil, err
	}
	var out User
	if err := c.do(ctx, http.MethodGet, "/users/"+id, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetChannelMember returns userID's membership of channelID (GET
// /api/v4/channels/{channel_id}/members/{user_id}; userID "me" is the
// token's user). Mattermost answers 404 when the user is not a member, or
// the channel does not exist, and 403 when the token's user may not read
// the channel (IsNotFound, IsForbidden).
func (c *Client) GetChannelMember(ctx context.Context, channelID, userID string) (*ChannelMember, error) {
	ch, err := pathSegment("channelID", channelID)
	if err != nil {
		return nil, err
	}
	u, err := pathSegment("userID", userID)
	if err != nil {
		return nil, err
	}
	var out ChannelMember
	if err := c.do(ctx, http.MethodGet, "/channels/"+ch+"/members/"+u, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}
