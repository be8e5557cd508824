package mattermost_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

func TestGetUserAndChannelMemberWire(t *testing.T) {
	t.Parallel()
	c, mock := newMockClient(t)
	var users, members wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/users/u1",
		users.script(jsonResp(200, `{"id":"u1","username":"alice","roles":"system_user system_admin","new_field":1}`)))
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/channels/ch1/members/me",
		members.script(jsonResp(200, `{"channel_id":"ch1","user_id":"bot1","roles":"channel_user","scheme_user":true,"scheme_admin":false}`)))
	var missing wire
	mock.RegisterResponder(http.MethodGet, testBase+"/api/v4/channels/ch1/members/u2",
		missing.script(jsonResp(404, `{"id":"app.channel.get_member.missing.app_error","message":"No channel member found","status_code":404}`)))

	u, err := c.GetUser(context.Background(), "u1")
	if err != nil || u.ID != "u1" || u.Username != "alice" || !u.IsSystemAdmin() {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	if r := users.requests(); len(r) != 1 || r[0].Method != "GET" || r[0].URL != testBase+"/api/v4/users/u1" || len(r[0].Body) != 0 {
		t.Errorf("requests: %+v", r)
	} else {
		checkHeaders(t, r[0], false)
	}
	m, err := c.GetChannelMember(context.Background(), "ch1", "me")
	if err != nil || m.UserID != "bot1" || m.IsChannelAdmin() || !m.SchemeUser {
		t.Fatalf("GetChannelMember = %+v, %v", m, err)
	}
	checkHeaders(t, members.requests()[0], false)
	_, err = c.GetChannelMember(context.Background(), "ch1", "u2")
	var apiErr *mattermost.APIError
	if !errors.As(err, &apiErr) || !mattermost.IsNotFound(err) || apiErr.ID != "app.channel.get_member.missing.app_error" {
		t.Errorf("non-member: %v", err)
	}
	for _, bad := range [][2]string{{"", "u"}, {"ch", ""}, {"..", "u"}} {
		if _, err := c.GetChannelMember(context.Background(), bad[0], bad[1]); !errors.Is(err, mattermost.ErrInvalidParam) {
			t.Errorf("GetChannelMember(%q, %q) = %v", bad[0], bad[1], err)
		}
	}
	if _, err := c.GetUser(context.Background(), ""); !errors.Is(err, mattermost.ErrInvalidParam) {
		t.Errorf("GetUser(\"\") = %v", err)
	}
	if (&mattermost.ChannelMember{SchemeAdmin: true}).IsChannelAdmin() != true || (&mattermost.ChannelMember{Roles: "channel_user channel_admin"}).IsChannelAdmin() != true {
		t.Error("IsChannelAdmin")
	}
	if (&mattermost.User{Roles: "system_user not_system_admin"}).IsSystemAdmin() {
		t.Error("IsSystemAdmin matched a part of a role")
	}
}

// The fake answers these calls as the server does.
func TestFakeMembers(t *testing.T) {
	t.Parallel()
	srv := mattermosttest.NewServer()
	defer srv.Close()
	bot, tok := srv.AddBot("bridge")
	alice := srv.AddUser("alice")
	open := srv.AddChannel("town-square")
	private := srv.AddChannel("private", alice.ID)
	srv.SetChannelAdmin(open.ID, alice.ID, true)
	c, err := mattermost.NewClient(srv.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if m, err := c.GetChannelMember(ctx, open.ID, alice.ID); err != nil || !m.IsChannelAdmin() {
		t.Errorf("admin of an open channel: %+v %v", m, err)
	}
	if m, err := c.GetChannelMember(ctx, open.ID, "me"); err != nil || m.UserID != bot.ID || m.IsChannelAdmin() {
		t.Errorf("me: %+v %v", m, err)
	}
	// The bot may not read a private channel it is not in: 403.
	if _, err := c.GetChannelMember(ctx, private.ID, alice.ID); !mattermost.IsForbidden(err) {
		t.Errorf("private channel: %v", err)
	}
	srv.AddMember(private.ID, bot.ID)
	if _, err := c.GetChannelMember(ctx, private.ID, alice.ID); err != nil {
		t.Errorf("private channel, bot a member: %v", err)
	}
	srv.RemoveMember(private.ID, alice.ID)
	if _, err := c.GetChannelMember(ctx, private.ID, alice.ID); !mattermost.IsNotFound(err) {
		t.Errorf("not a member: %v", err)
	}
	if _, err := c.GetChannelMember(ctx, mattermosttest.NewID(), alice.ID); !mattermost.IsNotFound(err) {
		t.Errorf("unknown channel: %v", err)
	}
	if u, err := c.GetUser(ctx, alice.ID); err != nil || u.Username != "alice" || u.IsSystemAdmin() {
		t.Errorf("GetUser: %+v %v", u, err)
	}
	srv.SetSystemAdmin(alice.ID, true)
	if u, _ := c.GetUser(ctx, alice.ID); !u.IsSystemAdmin() {
		t.Errorf("system admin roles: %q", u.Roles)
	}
	if _, err := c.GetUser(ctx, mattermosttest.NewID()); !mattermost.IsNotFound(err) {
		t.Errorf("unknown user: %v", err)
	}
}
