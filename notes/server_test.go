package notes_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/notes"
)

const (
	serverToken    = "test-token"
	serverLocation = "loc-1"
)

// setupServer starts a ghltest server with one contact and returns a
// Service talking to it over loopback, with millisecond retry waits.
func setupServer(t *testing.T, opts ...ghltest.Option) (*ghltest.Server, *notes.Service, ghltest.Contact) {
	t.Helper()
	srv := ghltest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddToken(serverToken, serverLocation, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	contact := srv.AddContact(ghltest.Contact{LocationID: serverLocation, FirstName: "Ada"})
	c, err := ghl.NewClient(
		ghl.WithToken(serverToken),
		ghl.WithBaseURL(srv.URL),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
		ghl.WithoutRateLimit(),
	)
	if err != nil {
		t.Fatal(err)
	}
	return srv, notes.New(c), contact
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 14, 9, 26, 53, 589e6, time.UTC)
	srv, s, contact := setupServer(t, ghltest.WithClock(func() time.Time { return now }))
	ctx := t.Context()

	created, err := s.Create(ctx, contact.ID, notes.CreateParams{Body: "Asked for a quote", Title: "Call", Color: "#FFAA00", UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" {
		t.Fatal("created note has no ID")
	}
	want := notes.Note{
		ID: created.ID, Body: "Asked for a quote", UserID: "u1", DateAdded: now,
		ContactID: contact.ID, Title: "Call", Color: "#FFAA00",
	}
	assertNote(t, *created, want)
	if stored := srv.Notes(contact.ID); len(stored) != 1 || stored[0].ID != created.ID || stored[0].Body != want.Body {
		t.Fatalf("server holds %+v", stored)
	}

	got, err := s.Get(ctx, contact.ID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertNote(t, *got, want)

	// A partial update changes only the fields set.
	updated, err := s.Update(ctx, contact.ID, created.ID, notes.UpdateParams{Pinned: ghl.Set(true)})
	if err != nil {
		t.Fatal(err)
	}
	want.Pinned = true
	assertNote(t, *updated, want)

	list, err := s.List(ctx, contact.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("List = %+v, want one note", list)
	}
	assertNote(t, list[0], want)

	if err := s.Delete(ctx, contact.ID, created.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Notes(contact.ID)); n != 0 {
		t.Fatalf("server still holds %d notes after Delete", n)
	}
	if _, err := s.Get(ctx, contact.ID, created.ID); !ghl.IsNotFound(err) {
		t.Fatalf("Get after Delete: err = %v, want not found", err)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	ctx := t.Context()
	note := srv.AddNote(ghltest.Note{ContactID: contact.ID, Body: "x"})
	calls := map[string]func() error{
		"Get missing note": func() error { _, err := s.Get(ctx, contact.ID, "missing"); return err },
		"Update missing note": func() error {
			_, err := s.Update(ctx, contact.ID, "missing", notes.UpdateParams{Body: ghl.Set("y")})
			return err
		},
		"Delete missing note":       func() error { return s.Delete(ctx, contact.ID, "missing") },
		"List missing contact":      func() error { _, err := s.List(ctx, "missing"); return err },
		"Get on missing contact":    func() error { _, err := s.Get(ctx, "missing", note.ID); return err },
		"Create on missing contact": func() error { _, err := s.Create(ctx, "missing", notes.CreateParams{Body: "x"}); return err },
	}
	for name, call := range calls {
		err := call()
		var apiErr *ghl.APIError
		// HighLevel answers 400 "... not found", never 404, on these routes.
		if !ghl.IsNotFound(err) || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: err = %v, want a 400 not-found *ghl.APIError", name, err)
		}
	}
	if got := srv.Notes(contact.ID); len(got) != 1 || got[0].Body != "x" {
		t.Errorf("server notes changed: %+v", got)
	}
}

// TestCreateOutcomeUnknown: HighLevel stores the note but the connection
// drops before the answer. The create must not be repeated (that would
// store a duplicate) and the caller must learn the outcome is unknown.
func TestCreateOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	srv.Fail(ghltest.Fault{Method: http.MethodPost, Path: "/contacts/*/notes", Count: 1, AfterWrite: true})

	_, err := s.Create(t.Context(), contact.ID, notes.CreateParams{Body: "Asked for a quote"})
	if !errors.Is(err, ghl.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ghl.ErrOutcomeUnknown", err)
	}
	if got := srv.Notes(contact.ID); len(got) != 1 {
		t.Fatalf("server holds %d notes, want exactly 1 (applied once, not repeated)", len(got))
	}
	posts := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("sent %d POSTs, want 1", posts)
	}
}

// TestCreateServerError: a 5xx answer to a create is also an unknown
// outcome, and it is not retried.
func TestCreateServerError(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	srv.Fail(ghltest.Fault{Method: http.MethodPost, Path: "/contacts/*/notes", Count: 1, Status: http.StatusBadGateway})

	_, err := s.Create(t.Context(), contact.ID, notes.CreateParams{Body: "x"})
	var apiErr *ghl.APIError
	if !errors.Is(err, ghl.ErrOutcomeUnknown) || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v, want a 502 *ghl.APIError with ghl.ErrOutcomeUnknown", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// TestIDsStayInTheirSegment: an ID that contains "/" or ".." must reach
// the server as one segment, not walk to another note or endpoint.
func TestIDsStayInTheirSegment(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	ctx := t.Context()
	victim := srv.AddNote(ghltest.Note{ContactID: contact.ID, Body: "keep me"})
	for _, id := range []string{"x/../" + victim.ID, "../notes/" + victim.ID, "a/b"} {
		if err := s.Delete(ctx, contact.ID, id); !ghl.IsNotFound(err) {
			t.Errorf("Delete(%q): err = %v, want not found", id, err)
		}
		if _, err := s.Update(ctx, contact.ID, id, notes.UpdateParams{Body: ghl.Set("overwritten")}); !ghl.IsNotFound(err) {
			t.Errorf("Update(%q): err = %v, want not found", id, err)
		}
	}
	if got := srv.Notes(contact.ID); len(got) != 1 || got[0].Body != "keep me" {
		t.Fatalf("server notes = %+v; an escaped ID reached the victim note", got)
	}
}

func TestContextCanceledAgainstServer(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	srv.Fail(ghltest.Fault{Method: http.MethodPost, Path: "/contacts/*/notes", Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	if _, err := s.Create(ctx, contact.ID, notes.CreateParams{Body: "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}
