package mattermost

import (
	"context"
	"net/http"
)

// ChannelMember is a user's membership of a channel.
type ChannelMember struct {
	ChannelID string `json:"channel_id"`
	UserID    string `json:"user_id"`
	// Roles are the member's roles, space-separated ("channel_user
	// channel_admin").
	Roles string `json:"roles"`
	// SchemeAdmin is true for a channel admin.
	SchemeAdmin bool `json:"scheme_admin"`
	SchemeUser  bool `json:"scheme_user"`
}

// GetChannelMember returns userID's membership of channelID
// (GET /api/v4/channels/{channel_id}/members/{user_id}). Mattermost answers
// 404 (an *APIError) when the user is not a member, and 403 when the
// caller may not read the channel.
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
