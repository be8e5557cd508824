package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/tasks"
)

// newExampleClient starts a fake HighLevel with one contact. In production,
// ghl.NewClient(ghl.WithToken(token)) talks to HighLevel itself.
func newExampleClient() (*ghltest.Server, *ghl.Client, string) {
	srv := ghltest.NewServer()
	srv.AddToken("example-token", "loc1", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	contact := srv.AddContact(ghltest.Contact{LocationID: "loc1", FirstName: "Ada"})
	c, err := ghl.NewClient(ghl.WithToken("example-token"), ghl.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	return srv, c, contact.ID
}

func Example() {
	srv, client, contactID := newExampleClient()
	defer srv.Close()
	ctx := context.Background()
	svc := tasks.New(client)

	task, err := svc.Create(ctx, contactID, tasks.CreateParams{
		Title:   "Call back",
		Body:    "Ask about pricing",
		DueDate: time.Date(2025, 3, 14, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(task.Title, "due", task.DueDate.Format(time.RFC3339))

	// Only the fields set in UpdateParams are sent.
	task, err = svc.Update(ctx, contactID, task.ID, tasks.UpdateParams{Title: ghl.Set("Call back about pricing")})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := svc.SetCompleted(ctx, contactID, task.ID, true); err != nil {
		log.Fatal(err)
	}

	list, err := svc.List(ctx, contactID)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range list {
		fmt.Printf("%s (%s) completed=%v\n", t.Title, t.Body, t.Completed)
	}

	if err := svc.Delete(ctx, contactID, task.ID); err != nil {
		log.Fatal(err)
	}
	_, err = svc.Get(ctx, contactID, task.ID)
	fmt.Println("after delete, not found:", ghl.IsNotFound(err))
	// Output:
	// Call back due 2025-03-14T09:00:00Z
	// Call back about pricing (Ask about pricing) completed=true
	// after delete, not found: true
}

// When the connection fails after a create was sent, the task may or may not
// exist. ghlkit does not repeat the create (that could duplicate it); the
// caller looks before trying again.
func ExampleService_Create_outcomeUnknown() {
	srv, client, contactID := newExampleClient()
	defer srv.Close()
	ctx := context.Background()
	svc := tasks.New(client)

	// The fake stores the task, then drops the connection.
	srv.Fail(ghltest.Fault{Method: http.MethodPost, Path: "/contacts/*/tasks", Count: 1, AfterWrite: true})

	params := tasks.CreateParams{Title: "Send contract", DueDate: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	_, err := svc.Create(ctx, contactID, params)
	if errors.Is(err, ghl.ErrOutcomeUnknown) {
		list, err := svc.List(ctx, contactID)
		if err != nil {
			log.Fatal(err)
		}
		for _, t := range list {
			if t.Title == params.Title && t.DueDate.Equal(params.DueDate) {
				fmt.Println("already created:", t.Title)
				return
			}
		}
		// Not there: creating again is safe.
	}
	fmt.Println("err:", err)
	// Output:
	// already created: Send contract
}
