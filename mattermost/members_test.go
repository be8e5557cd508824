package mattermost_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

func TestGetChannelMember(t *testing.T) {
	t.Parallel()
	srv := mattermosttest.NewServer()
	defer srv.Close()
	bot, token := srv.AddBot("bridge")
	alice := srv.AddUser("alice")
	in := srv.AddChannel("crm", bot.ID)
	out := srv.AddChannel("private", alice.ID)
	c, err := mattermost.NewClient(srv.URL, token, mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: -1}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := c.GetChannelMember(ctx, in.ID, bot.ID)
	if err != nil || m.ChannelID != in.ID || m.UserID != bot.ID {
		t.Errorf("member: %+v %v", m, err)
	}
	status := func(err error) int {
		var apiErr *mattermost.APIError
		if errors.As(err, &apiErr) {
			return apiErr.StatusCode
		}
		return -1
	}
	if _, err := c.GetChannelMember(ctx, in.ID, alice.ID); status(err) != http.StatusNotFound {
		t.Errorf("not a member: %v", err)
	}
	if _, err := c.GetChannelMember(ctx, out.ID, bot.ID); status(err) != http.StatusForbidden {
		t.Errorf("channel the bot cannot read: %v", err)
	}
	if _, err := c.GetChannelMember(ctx, "", bot.ID); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("empty channel: %v", err)
	}
	reqs := srv.Requests()
	if last := reqs[len(reqs)-1]; last.Method != http.MethodGet || last.Path != "/api/v4/channels/"+out.ID+"/members/"+bot.ID {
		t.Errorf("wire: %s %s", last.Method, last.Path)
	}
}
