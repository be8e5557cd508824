package bridge_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/ghlkit/ghl/bridge"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// Example wires a Bridge to a fake HighLevel and a fake Mattermost, lists a
// contact's tasks with the slash command and completes one with its
// button.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bridge-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	hl := ghltest.NewServer()
	defer hl.Close()
	hl.AddToken("pit-token", "loc1", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	ada := hl.AddContact(ghltest.Contact{LocationID: "loc1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"})
	task := hl.AddTask(ghltest.Task{ContactID: ada.ID, Title: "Call back", DueDate: time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)})

	mm := mattermosttest.NewServer()
	defer mm.Close()
	_, botToken := mm.AddBot("ghl-bridge")
	alice := mm.AddUser("alice")
	crm := mm.AddChannel("crm")

	// The bridge is an http.Handler; serve it where Mattermost and
	// HighLevel reach it.
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	pub, _ := ghltest.WebhookPublicKeys()
	cfg := bridge.Config{
		GHLToken:         "pit-token",
		LocationID:       "loc1",
		GHLBaseURL:       hl.URL,
		WebhookPublicKey: base64.StdEncoding.EncodeToString(pub),
		MattermostURL:    mm.URL,
		MattermostToken:  bridge.Secret(botToken),
		ChannelID:        crm.ID,
		CommandTokens:    []bridge.Secret{bridge.Secret(mm.AddCommand("ghl", srv.URL+bridge.PathCommand))},
		PublicURL:        srv.URL,
		Secret:           "an example secret, at least 32 characters long",
		DataPath:         filepath.Join(dir, "bridge.db"),
	}
	b, err := bridge.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	mux.Handle("/", b)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go b.Run(runCtx)

	if _, err := mm.As(alice.ID).SlashCommand(ctx, crm.ID, "/ghl tasks ada@example.com"); err != nil {
		log.Fatal(err)
	}
	list := mm.Posts(crm.ID)[0]
	for _, a := range list.Props.Attachments {
		for _, button := range a.Actions {
			fmt.Println("button:", button.Name)
		}
	}
	if _, err := mm.As(alice.ID).ClickButton(ctx, list.ID, "complete"+task.ID); err != nil {
		log.Fatal(err)
	}
	updated, _ := mm.Post(list.ID)
	fmt.Println("buttons left:", len(updated.Props.Attachments))
	fmt.Println("completed in HighLevel:", hl.Tasks(ada.ID)[0].Completed)
	// Output:
	// button: ✔ Call back
	// button: Edit a task…
	// buttons left: 1
	// completed in HighLevel: true
}
