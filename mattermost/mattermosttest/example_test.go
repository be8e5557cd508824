package mattermosttest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// A create whose connection drops after Mattermost stored the post is
// retried with the same pending_post_id and returns the same post.
func ExampleServer_Fail() {
	srv := mattermosttest.NewServer()
	defer srv.Close()
	_, token := srv.AddBot("ghlbot")
	channel := srv.AddChannel("sales")
	srv.Fail(mattermosttest.Fault{Method: http.MethodPost, Path: "/api/v4/posts", AfterWrite: true})

	c, err := mattermost.NewClient(srv.URL, token, mattermost.WithRetry(mattermost.RetryPolicy{MinWait: 10 * time.Millisecond}))
	if err != nil {
		log.Fatal(err)
	}
	p, err := c.CreatePost(context.Background(), &mattermost.Post{ChannelID: channel.ID, Message: "once"})
	if err != nil {
		log.Fatal(err)
	}
	posts := srv.Posts(channel.ID)
	fmt.Println(len(posts), posts[0].ID == p.ID, len(srv.Requests()))
	// Output:
	// 1 true 2
}
