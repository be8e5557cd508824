package notes_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/notes"
)

func Example() {
	// A fake HighLevel with one contact. In production,
	// ghl.NewClient(ghl.WithToken(token)) talks to HighLevel itself.
	srv := ghltest.NewServer()
	defer srv.Close()
	srv.AddToken("example-token", "loc1", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	contact := srv.AddContact(ghltest.Contact{LocationID: "loc1", FirstName: "Ada"})
	client, err := ghl.NewClient(ghl.WithToken("example-token"), ghl.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	svc := notes.New(client)

	note, err := svc.Create(ctx, contact.ID, notes.CreateParams{Body: "Asked for a quote", Title: "Call summary"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s (pinned=%v)\n", note.Title, note.Body, note.Pinned)

	// Only the fields set in UpdateParams are sent.
	note, err = svc.Update(ctx, contact.ID, note.ID, notes.UpdateParams{Pinned: ghl.Set(true), Color: ghl.Set("#FFAA00")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s (pinned=%v, color %s)\n", note.Title, note.Body, note.Pinned, note.Color)

	list, err := svc.List(ctx, contact.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(list), "note(s)")

	if err := svc.Delete(ctx, contact.ID, note.ID); err != nil {
		log.Fatal(err)
	}
	_, err = svc.Get(ctx, contact.ID, note.ID)
	fmt.Println("after delete, not found:", ghl.IsNotFound(err))
	// Output:
	// Call summary: Asked for a quote (pinned=false)
	// Call summary: Asked for a quote (pinned=true, color #FFAA00)
	// 1 note(s)
	// after delete, not found: true
}
