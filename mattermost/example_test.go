package mattermost_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
	"github.com/ghlkit/ghl/tasks"
)

func ExampleClient_CreatePost() {
	srv := mattermosttest.NewServer()
	defer srv.Close()
	_, token := srv.AddBot("ghlbot")
	channel := srv.AddChannel("sales")

	c, err := mattermost.NewClient(srv.URL, token)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	root, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: channel.ID, Message: "New lead: **Jane Doe**"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: channel.ID, RootID: root.ID, Message: "Assigned to Sam"}); err != nil {
		log.Fatal(err)
	}
	thread, err := c.GetThread(ctx, root.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range thread.Chronological() {
		fmt.Println(p.Message)
	}
	// Output:
	// New lead: **Jane Doe**
	// Assigned to Sam
}

func ExampleFormatter_TaskList() {
	f := mattermost.Formatter{
		Location: time.FixedZone("CEST", 2*60*60),
		Now:      func() time.Time { return time.Date(2024, 7, 10, 9, 0, 0, 0, time.UTC) },
	}
	contact := &contacts.Contact{ID: "ct1", LocationID: "loc1", FirstName: "Jane", LastName: "Doe"}
	msgs := f.TaskList(contact, []tasks.Task{
		{ID: "t1", Title: "Call back @channel", DueDate: time.Date(2024, 7, 8, 7, 30, 0, 0, time.UTC)},
		{ID: "t2", Title: "Send *quote*", Completed: true},
	})
	// The zero-width space that disarms "@channel" is shown as [ZWSP].
	fmt.Println(strings.ReplaceAll(msgs[0].Text, "\u200b", "[ZWSP]"))
	// Output:
	// **Tasks for [Jane Doe](https://app.gohighlevel.com/v2/location/loc1/contacts/detail/ct1)** · 1 open, 1 done, 1 overdue
	//
	// - ⬜ **Call back @[ZWSP]channel** · due Mon 8 Jul 2024 09:30 CEST · ⚠️ **overdue** · `t1`
	// - ✅ ~~Send \*quote\*~~ · `t2`
}

func ExampleEscapeMarkdown() {
	fmt.Printf("%q\n", mattermost.EscapeMarkdown("# Hi @all, see [this](http://x.example)\n- jane_doe@example.com"))
	// Output:
	// "\\# Hi @\u200ball, see \\[this\\](http://x.example)\n\\- jane\\_doe@example.com"
}

func ExampleParseCommand() {
	pc, err := mattermost.ParseCommand(`task add ct1 "Call John back" --due 2024-07-01 --urgent`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q %q\n", pc.Args, pc.Flags)
	// Output:
	// ["task" "add" "ct1" "Call John back"] map["due":"2024-07-01" "urgent":"true"]
}

func ExampleSplitMessage() {
	parts := mattermost.SplitMessage("**Tasks**", "_(continued)_", []string{"- one", "- two", "- three", "- four"}, 30)
	for _, p := range parts {
		fmt.Printf("%q\n", p)
	}
	// Output:
	// "**Tasks**\n- one\n- two\n- three"
	// "_(continued)_\n- four"
}

// A slash command served by CommandSet, typed by a user of the fake server.
func ExampleCommandSet() {
	srv := mattermosttest.NewServer()
	defer srv.Close()
	alice := srv.AddUser("alice")
	channel := srv.AddChannel("sales")
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()
	token := srv.AddCommand("ghl", app.URL+"/command")

	set := mattermost.NewCommandSet("/ghl")
	err := set.Add(mattermost.Command{
		Name: "task add", Help: "Create a task.",
		Args:  []mattermost.ArgSpec{{Name: "contact-id"}, {Name: "title", Rest: true}},
		Flags: []mattermost.FlagSpec{{Name: "due", Placeholder: "date"}},
		Run: func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
			due, _ := inv.Flag("due")
			return mattermost.InChannel(fmt.Sprintf("@%s created %q for %s, due %s",
				inv.Request.UserName, inv.Arg("title"), inv.Arg("contact-id"), due)), nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	h, err := mattermost.NewSlashHandler([]string{token}, set.Dispatch)
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/command", h)

	ctx := context.Background()
	if _, err := srv.As(alice.ID).SlashCommand(ctx, channel.ID, "/ghl task add ct1 Call John --due 2024-07-01"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.Posts(channel.ID)[0].Message)
	res, err := srv.As(alice.ID).SlashCommand(ctx, channel.ID, "/ghl help")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Response.Text)
	// Output:
	// @alice created "Call John" for ct1, due 2024-07-01
	// **/ghl** commands:
	// - `/ghl task add <contact-id> <title...> [--due <date>]` — Create a task.
	// - `/ghl help [command]` — Show this help.
}

// A "Complete" button whose context is signed, clicked by a user.
func ExampleActionHandler() {
	srv := mattermosttest.NewServer()
	defer srv.Close()
	_, botToken := srv.AddBot("ghlbot")
	alice := srv.AddUser("alice")
	channel := srv.AddChannel("sales")
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()

	signer, err := mattermost.NewSigner([]byte("an example secret of 32+ bytes!!"))
	if err != nil {
		log.Fatal(err)
	}
	actions, err := mattermost.NewActionHandler(signer)
	if err != nil {
		log.Fatal(err)
	}
	var f mattermost.Formatter
	actions.Handle("complete", func(ctx context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		// Complete req.Values["task"] in HighLevel here.
		done := f.TaskCompleted(tasks.Task{ID: req.Values["task"], Title: "Call John"}, req.UserName)
		return &mattermost.ActionResponse{
			Update:        &mattermost.PostUpdate{Message: done.Text, Props: mattermost.Props{Attachments: done.Attachments}},
			EphemeralText: "Done.",
		}, nil
	})
	mux.Handle("/action", actions)

	in, err := signer.Integration(app.URL+"/action", "complete", map[string]string{"task": "t1"}, mattermost.Binding{ChannelID: channel.ID})
	if err != nil {
		log.Fatal(err)
	}
	msg := f.Task(tasks.Task{ID: "t1", Title: "Call John"})
	msg.Attachments[0].Actions = []mattermost.Action{{ID: "complete", Name: "Complete", Style: "primary", Integration: in}}
	c, err := mattermost.NewClient(srv.URL, botToken)
	if err != nil {
		log.Fatal(err)
	}
	post, err := c.CreatePost(context.Background(), msg.Post(channel.ID, ""))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := srv.As(alice.ID).ClickButton(context.Background(), post.ID, "Complete"); err != nil {
		log.Fatal(err)
	}
	updated, _ := srv.Post(post.ID)
	fmt.Println(updated.Message)
	fmt.Println(srv.Ephemeral(alice.ID)[0].Post.Message)
	// Output:
	// ✅ Completed by @alice: ~~Call John~~
	// Done.
}

func ExampleWebhookPoster() {
	srv := mattermosttest.NewServer()
	defer srv.Close()
	channel := srv.AddChannel("alerts")
	hookURL := srv.AddWebhook(channel.ID)

	wp, err := mattermost.NewWebhookPoster(hookURL)
	if err != nil {
		log.Fatal(err)
	}
	if err := wp.Post(context.Background(), &mattermost.WebhookMessage{Text: "Contact **Jane Doe** was updated", Username: "HighLevel"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.Posts(channel.ID)[0].Message)
	fmt.Println(strings.HasSuffix(wp.String(), "/hooks/[REDACTED]"))
	// Output:
	// Contact **Jane Doe** was updated
	// true
}
