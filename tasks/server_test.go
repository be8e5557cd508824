package tasks_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/tasks"
)

const (
	serverToken    = "test-token"
	serverLocation = "loc-1"
)

// setupServer starts a ghltest server with one contact and returns a
// Service talking to it over loopback, with millisecond retry waits.
func setupServer(t *testing.T) (*ghltest.Server, *tasks.Service, ghltest.Contact) {
	t.Helper()
	srv := ghltest.NewServer()
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
	return srv, tasks.New(c), contact
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	ctx := t.Context()
	due := time.Date(2025, 3, 14, 11, 0, 0, 0, time.FixedZone("CET", 3600))

	created, err := s.Create(ctx, contact.ID, tasks.CreateParams{Title: "Call back", Body: "Pricing", DueDate: due, AssignedTo: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	want := tasks.Task{ID: created.ID, Title: "Call back", Body: "Pricing", AssignedTo: "u1", DueDate: due, ContactID: contact.ID}
	assertTask(t, *created, want)
	if created.ID == "" {
		t.Fatal("created task has no ID")
	}
	stored := srv.Tasks(contact.ID)
	if len(stored) != 1 || stored[0].ID != created.ID || !stored[0].DueDate.Equal(due) || stored[0].Title != "Call back" {
		t.Fatalf("server holds %+v", stored)
	}

	got, err := s.Get(ctx, contact.ID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertTask(t, *got, want)

	// A partial update changes only the fields set.
	updated, err := s.Update(ctx, contact.ID, created.ID, tasks.UpdateParams{Title: ghl.Set("Call back today")})
	if err != nil {
		t.Fatal(err)
	}
	want.Title = "Call back today"
	assertTask(t, *updated, want)

	done, err := s.SetCompleted(ctx, contact.ID, created.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	want.Completed = true
	assertTask(t, *done, want)

	list, err := s.List(ctx, contact.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("List = %+v, want one task", list)
	}
	assertTask(t, list[0], want)

	if err := s.Delete(ctx, contact.ID, created.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Tasks(contact.ID)); n != 0 {
		t.Fatalf("server still holds %d tasks after Delete", n)
	}
	if _, err := s.Get(ctx, contact.ID, created.ID); !ghl.IsNotFound(err) {
		t.Fatalf("Get after Delete: err = %v, want not found", err)
	}
	if list, err := s.List(ctx, contact.ID); err != nil || len(list) != 0 {
		t.Fatalf("List after Delete = %v, %v; want empty", list, err)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	ctx := t.Context()
	task := srv.AddTask(ghltest.Task{ContactID: contact.ID, Title: "x", DueDate: time.Now()})
	calls := map[string]func() error{
		"Get missing task": func() error { _, err := s.Get(ctx, contact.ID, "missing"); return err },
		"Update missing task": func() error {
			_, err := s.Update(ctx, contact.ID, "missing", tasks.UpdateParams{Title: ghl.Set("y")})
			return err
		},
		"SetCompleted missing task": func() error { _, err := s.SetCompleted(ctx, contact.ID, "missing", true); return err },
		"Delete missing task":       func() error { return s.Delete(ctx, contact.ID, "missing") },
		"List missing contact":      func() error { _, err := s.List(ctx, "missing"); return err },
		"Get on missing contact":    func() error { _, err := s.Get(ctx, "missing", task.ID); return err },
		"Create on missing contact": func() error {
			_, err := s.Create(ctx, "missing", tasks.CreateParams{Title: "x", DueDate: time.Now()})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		var apiErr *ghl.APIError
		// HighLevel answers 400 "... not found", never 404, on these routes.
		if !ghl.IsNotFound(err) || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: err = %v, want a 400 not-found *ghl.APIError", name, err)
		}
	}
	if got := srv.Tasks(contact.ID); len(got) != 1 || got[0].Title != "x" {
		t.Errorf("server tasks changed: %+v", got)
	}
}

// TestCreateOutcomeUnknown: HighLevel stores the task but the connection
// drops before the answer. The create must not be repeated (that would
// store a duplicate) and the caller must learn the outcome is unknown.
func TestCreateOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	srv.Fail(ghltest.Fault{Method: http.MethodPost, Path: "/contacts/*/tasks", Count: 1, AfterWrite: true})

	_, err := s.Create(t.Context(), contact.ID, tasks.CreateParams{Title: "Call back", DueDate: time.Now()})
	if !errors.Is(err, ghl.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ghl.ErrOutcomeUnknown", err)
	}
	if got := srv.Tasks(contact.ID); len(got) != 1 {
		t.Fatalf("server holds %d tasks, want exactly 1 (applied once, not repeated)", len(got))
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

	// What the caller should do next: look before creating again.
	list, err := s.List(t.Context(), contact.ID)
	if err != nil || len(list) != 1 || list[0].Title != "Call back" {
		t.Fatalf("List = %+v, %v; want the one stored task", list, err)
	}
}

// TestUpdateRetried: a PUT is idempotent, so the retry layer repeats it
// after a dropped connection and the caller sees success.
func TestUpdateRetried(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	task := srv.AddTask(ghltest.Task{ContactID: contact.ID, Title: "x", DueDate: time.Now()})
	srv.Fail(ghltest.Fault{Method: http.MethodPut, Path: "/contacts/*/tasks/*/completed", Count: 1, AfterWrite: true})

	got, err := s.SetCompleted(t.Context(), contact.ID, task.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Completed || !srv.Tasks(contact.ID)[0].Completed {
		t.Errorf("task not completed: %+v", got)
	}
}

// TestIDsStayInTheirSegment: an ID that contains "/" or ".." must reach
// the server as one segment, not walk to another task or endpoint.
func TestIDsStayInTheirSegment(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	ctx := t.Context()
	victim := srv.AddTask(ghltest.Task{ContactID: contact.ID, Title: "keep me", DueDate: time.Now()})

	for _, id := range []string{"x/../" + victim.ID, "../tasks/" + victim.ID, "a/b", victim.ID + "/completed"} {
		if err := s.Delete(ctx, contact.ID, id); !ghl.IsNotFound(err) {
			t.Errorf("Delete(%q): err = %v, want not found", id, err)
		}
		if _, err := s.SetCompleted(ctx, contact.ID, id, true); !ghl.IsNotFound(err) {
			t.Errorf("SetCompleted(%q): err = %v, want not found", id, err)
		}
	}
	if _, err := s.Get(ctx, "../"+contact.ID, victim.ID); !ghl.IsNotFound(err) {
		t.Errorf("Get with contact ID ../: err = %v, want not found", err)
	}
	got := srv.Tasks(contact.ID)
	if len(got) != 1 || got[0].Completed {
		t.Fatalf("server tasks = %+v; an escaped ID reached the victim task", got)
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodDelete && r.Path == "/contacts/"+contact.ID+"/tasks/"+victim.ID {
			t.Errorf("a request was routed to the victim: %+v", r)
		}
	}
}

func TestContextCanceledAgainstServer(t *testing.T) {
	t.Parallel()
	srv, s, contact := setupServer(t)
	srv.Fail(ghltest.Fault{Method: http.MethodGet, Path: "/contacts/*/tasks", Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	if _, err := s.List(ctx, contact.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}
