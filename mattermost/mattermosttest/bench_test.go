package mattermosttest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// BenchmarkCreatePost is one post the bridge makes for a task (an
// attachment with four fields and two signed buttons), created through the
// client against the fake: the JSON both sides encode and decode, and the
// HTTP round trip, all in this process. Compare it before and after a
// change with -count and benchstat.
func BenchmarkCreatePost(b *testing.B) {
	srv := mattermosttest.NewServer()
	defer srv.Close()
	_, token := srv.AddBot("bot")
	ch := srv.AddChannel("c")
	c, err := mattermost.NewClient(srv.URL, token, mattermost.WithHTTPClient(&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}))
	if err != nil {
		b.Fatal(err)
	}
	sig := "v1." + strings.Repeat("eyJrIjoiYWN0aW9uIiwibiI6ImNvbXBsZXRlIiwidiI6", 5) + ".fYPTJrBSnX467-4MSId7ZVFpvwCqbSIiDA4rurIZUT4"
	act := func(name, style string) mattermost.Action {
		return mattermost.Action{Type: mattermost.ActionTypeButton, Name: name, Style: style, Integration: &mattermost.Integration{
			URL: "http://127.0.0.1:42633/mattermost/action", Context: map[string]any{"ghlkit_sig": sig}}}
	}
	post := &mattermost.Post{
		ChannelID: ch.ID,
		Message:   "➕ New task in HighLevel for [Contact8](https://app.gohighlevel.com/v2/location/loc1/contacts/detail/9wqMagPgzLxiU8ZHQXVK): **bench8**",
		Props: mattermost.Props{
			Attachments: []mattermost.Attachment{{
				Fallback: "Task: bench8 (Open)", Color: "#607D8B", Title: "⬜ bench8",
				Fields: []mattermost.AttachmentField{
					{Title: "Status", Value: "Open", Short: true},
					{Title: "Due", Value: "Tue 1 Jan 2030 09:00 UTC", Short: true},
					{Title: "Task ID", Value: "`bench-task8`", Short: true},
					{Title: "Contact ID", Value: "`9wqMagPgzLxiU8ZHQXVK`", Short: true},
				},
				Actions: []mattermost.Action{act("Complete", "primary"), act("Edit", "")},
			}},
			Other: map[string]json.RawMessage{"ghlkit_event": json.RawMessage(`"ghlkit:1796188421990:c379d497609fd87b"`)},
		},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreatePost(ctx, post); err != nil {
			b.Fatal(err)
		}
	}
}
