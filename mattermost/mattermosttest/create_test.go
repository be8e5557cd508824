package mattermosttest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/mattermost"
)

// createPost sends body to POST /api/v4/posts as the bot and returns the
// status, the error id of a refusal and the post of a success.
func (f *fixture) createPost(t *testing.T, body string) (status int, errID string, post mattermost.Post) {
	t.Helper()
	status, b := f.do(t, http.MethodPost, "/api/v4/posts", body)
	if status == http.StatusCreated {
		if err := json.Unmarshal(b, &post); err != nil {
			t.Fatalf("%d %s: %v", status, b, err)
		}
		return status, "", post
	}
	var e struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%d %s: %v", status, b, err)
	}
	return status, e.ID, post
}

// TestCreatePostBody: the body is read as Mattermost reads it, with a
// json.Decoder: the first JSON value counts and whatever follows is
// ignored; anything else that does not decode into a post is refused.
func TestCreatePostBody(t *testing.T) {
	t.Parallel()
	f := setup(t)
	post := func(msg string) string { return `{"channel_id":"` + f.channel.ID + `","message":"` + msg + `"}` }
	const invalid = "api.context.invalid_body_param.app_error"
	for _, tt := range []struct {
		body    string
		status  int
		errID   string
		message string
	}{
		{post("plain"), 201, "", "plain"},
		{" \n" + post("spaced") + " \n", 201, "", "spaced"},
		{post("trailing") + " garbage", 201, "", "trailing"},
		{post("first") + post("second"), 201, "", "first"},
		{post("unfinished") + `{"channel_id":`, 201, "", "unfinished"},
		{``, 400, invalid, ""},
		{`not json`, 400, invalid, ""},
		{`{"channel_id":"` + f.channel.ID + `","message":`, 400, invalid, ""},
		{`{"channel_id":"` + f.channel.ID + `","message":5}`, 400, invalid, ""},
		{`{"channel_id":"` + f.channel.ID + `","message":5} trailing`, 400, invalid, ""},
		{`{"channel_id":"` + f.channel.ID + `","props":[]}`, 400, invalid, ""},
		{`[]`, 400, invalid, ""},
		{`null`, 403, "api.context.permissions.app_error", ""}, // an empty post: no channel
	} {
		status, errID, p := f.createPost(t, tt.body)
		if status != tt.status || errID != tt.errID || p.Message != tt.message {
			t.Errorf("%.60q: %d %q %q, want %d %q %q", tt.body, status, errID, p.Message, tt.status, tt.errID, tt.message)
		}
		if status == 201 {
			if stored, ok := f.srv.Post(p.ID); !ok || stored.Message != tt.message {
				t.Errorf("%.60q: stored %+v", tt.body, stored)
			}
		}
	}
	// Attachment fields are read loosely, as everywhere.
	status, _, p := f.createPost(t, `{"channel_id":"`+f.channel.ID+`","props":{"attachments":[{"fields":[{"title":1,"value":true,"short":"1"},{"title":"a\u0062","value":null}]}]}}`)
	want := []mattermost.AttachmentField{{Title: "1", Value: "true", Short: true}, {Title: "ab"}}
	stored, _ := f.srv.Post(p.ID)
	if status != 201 || len(stored.Props.Attachments) != 1 || !equalFields(stored.Props.Attachments[0].Fields, want) {
		t.Errorf("loose fields: %d, stored %+v", status, stored.Props)
	}
}

func equalFields(a, b []mattermost.AttachmentField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCreatePostPropsLimit: props are measured as the server encodes them,
// HTML escaping included ('<' counts six characters), up to MaxPropsRunes
// inclusive; the limit is answered after the dedupe and the permission
// check and before the root check, as Mattermost orders them.
func TestCreatePostPropsLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const tooLong = "model.post.is_valid.props.app_error"
	// {"k":"…"} is 8 characters besides its value.
	body := func(channelID, value string, extra string) string {
		return `{"channel_id":"` + channelID + `","message":"m","props":{"k":"` + value + `"}` + extra + `}`
	}
	escapedAt := strings.Repeat("<", (mattermost.MaxPropsRunes-8)/6)
	escapedOver := escapedAt + "<"
	plainAt := strings.Repeat("a", mattermost.MaxPropsRunes-8)
	plainOver := plainAt + "a"
	for _, tt := range []struct {
		name, body string
		status     int
		errID      string
	}{
		{"escaped at the limit", body(f.channel.ID, escapedAt, ""), 201, ""},
		{"escaped over the limit", body(f.channel.ID, escapedOver, ""), 400, tooLong},
		{"plain at the limit", body(f.channel.ID, plainAt, ""), 201, ""},
		{"plain over the limit", body(f.channel.ID, plainOver, ""), 400, tooLong},
		{"over the limit where the bot may not post", body("nope", escapedOver, ""), 403, "api.context.permissions.app_error"},
		{"over the limit with a missing root", body(f.channel.ID, escapedOver, `,"root_id":"nope"`), 400, tooLong},
		{"within the limit with a missing root", body(f.channel.ID, "x", `,"root_id":"nope"`), 400, "api.post.create_post.root_id.app_error"},
	} {
		if status, errID, _ := f.createPost(t, tt.body); status != tt.status || errID != tt.errID {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, errID, tt.status, tt.errID)
		}
	}
	// A repeat of a create within the dedupe window gets the first post,
	// whatever it holds.
	first := `{"channel_id":"` + f.channel.ID + `","message":"first","pending_post_id":"u:1"}`
	_, _, a := f.createPost(t, first)
	status, errID, b := f.createPost(t, body(f.channel.ID, escapedOver, `,"pending_post_id":"u:1"`))
	if status != 201 || errID != "" || b.ID != a.ID || b.Message != "first" {
		t.Errorf("repeat over the limit: %d %q %+v, want the first post %s", status, errID, b, a.ID)
	}
}
