// Command tasks lists a contact's tasks in HighLevel.
//
//	GHL_TOKEN=pit-... go run ./examples/tasks <contactID>
//
// GHL_TOKEN is a Private Integration Token or a location access token with
// the contacts.readonly scope; GHL_BASE_URL overrides the API server. Without
// GHL_TOKEN it lists the tasks of a demo contact on an in-process ghltest
// server, so it runs anywhere.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/tasks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tasks:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, args []string, out io.Writer) error {
	token, baseURL := getenv("GHL_TOKEN"), getenv("GHL_BASE_URL")
	if len(args) > 1 {
		return errors.New("usage: tasks <contactID>")
	}
	var contactID string
	if len(args) == 1 {
		contactID = args[0]
	}
	if token == "" {
		// Demo: a fake HighLevel with one contact and its tasks.
		srv := ghltest.NewServer()
		defer srv.Close()
		srv.AddToken("demo-token", "demo-location", ghltest.ScopeContactsReadOnly)
		c := srv.AddContact(ghltest.Contact{LocationID: "demo-location", FirstName: "Ada", LastName: "Lovelace"})
		due := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		srv.AddTask(ghltest.Task{ContactID: c.ID, Title: "Send the quote", DueDate: due})
		srv.AddTask(ghltest.Task{ContactID: c.ID, Title: "Book the demo call", DueDate: due.AddDate(0, 0, 7), Completed: true})
		token, baseURL, contactID = "demo-token", srv.URL, c.ID
		fmt.Fprintf(out, "(demo: no GHL_TOKEN set, using an in-process ghltest server)\n")
	}
	if contactID == "" {
		return errors.New("usage: tasks <contactID>")
	}
	opts := []ghl.Option{ghl.WithToken(token)}
	if baseURL != "" {
		if u, err := url.Parse(baseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return fmt.Errorf("GHL_BASE_URL=%q is not an absolute http or https URL such as %s", baseURL, ghl.DefaultBaseURL)
		}
		opts = append(opts, ghl.WithBaseURL(baseURL))
	}
	client, err := ghl.NewClient(opts...)
	if err != nil {
		return err
	}
	list, err := tasks.New(client).List(ctx, contactID)
	if err != nil {
		return explain(err, contactID)
	}
	fmt.Fprintf(out, "%d task(s) for contact %s\n", len(list), contactID)
	for _, t := range list {
		mark := "[ ]"
		if t.Completed {
			mark = "[x]"
		}
		fmt.Fprintf(out, "%s %s  (due %s, id %s)\n", mark, t.Title, t.DueDate.Format("2006-01-02"), t.ID)
	}
	return nil
}

// explain turns HighLevel's answers into sentences that name what to fix;
// the error is kept for errors.Is and errors.As.
func explain(err error, contactID string) error {
	var apiErr *ghl.APIError
	switch {
	case ghl.IsNotFound(err):
		return fmt.Errorf("no contact %s in HighLevel (check the ID): %w", contactID, err)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("HighLevel refused GHL_TOKEN (401): check the token, and that it has the contacts.readonly scope: %w", err)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden:
		return fmt.Errorf("GHL_TOKEN may not read contact %s (403): the contact belongs to another location than the token's: %w", contactID, err)
	case errors.Is(err, ghl.ErrInvalidParam):
		return fmt.Errorf("%q is not a contact ID: %w", contactID, err)
	case errors.As(err, &apiErr):
		return fmt.Errorf("HighLevel answered %d: %w", apiErr.StatusCode, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("HighLevel cannot be reached at GHL_BASE_URL (or its default): %w", err)
}
