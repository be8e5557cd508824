package tasks_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/spectest"
	"github.com/ghlkit/ghl/tasks"
)

// exchange is one request and its response, as seen on the wire.
type exchange struct {
	method, url string
	header      http.Header
	body        []byte
	status      int
	respHeader  http.Header
	respBody    []byte
}

// recorder is a RoundTripper that keeps every exchange, so each request
// the package sends can be checked against the spec.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	x := exchange{method: req.Method, url: req.URL.String(), header: req.Header.Clone()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		x.body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	x.status, x.respHeader, x.respBody = resp.StatusCode, resp.Header.Clone(), b
	r.mu.Lock()
	r.log = append(r.log, x)
	r.mu.Unlock()
	return resp, nil
}

// TestConformance runs every operation of the package against ghltest and
// validates each request sent, and each successful response, against the
// official spec ($GHL_SPEC_DIR).
func TestConformance(t *testing.T) {
	t.Parallel()
	spec := spectest.Load(t)
	srv := ghltest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddToken(serverToken, serverLocation, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	contact := srv.AddContact(ghltest.Contact{LocationID: serverLocation, FirstName: "Ada"})
	rec := &recorder{next: http.DefaultTransport}
	c, err := ghl.NewClient(ghl.WithToken(serverToken), ghl.WithBaseURL(srv.URL), ghl.WithTransport(rec), ghl.WithoutRateLimit())
	if err != nil {
		t.Fatal(err)
	}
	s := tasks.New(c)
	ctx := t.Context()
	due := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

	full, err := s.Create(ctx, contact.ID, tasks.CreateParams{Title: "Call", Body: "b", DueDate: due, Completed: true, AssignedTo: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	minimal, err := s.Create(ctx, contact.ID, tasks.CreateParams{Title: "Call", DueDate: due})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { _, err := s.List(ctx, contact.ID); return err },
		func() error { _, err := s.Get(ctx, contact.ID, full.ID); return err },
		func() error {
			_, err := s.Update(ctx, contact.ID, full.ID, tasks.UpdateParams{Title: ghl.Set("T")})
			return err
		},
		func() error {
			_, err := s.Update(ctx, contact.ID, full.ID, tasks.UpdateParams{
				Title: ghl.Set("T"), Body: ghl.Set(""), DueDate: ghl.Set(due.Add(time.Hour)), Completed: ghl.Set(false), AssignedTo: ghl.Set("u2"),
			})
			return err
		},
		func() error { _, err := s.SetCompleted(ctx, contact.ID, minimal.ID, true); return err },
		func() error { _, err := s.SetCompleted(ctx, contact.ID, minimal.ID, false); return err },
		func() error { return s.Delete(ctx, contact.ID, minimal.ID) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}

	prefix := srv.URL + "/contacts/" + contact.ID
	wantOps := []struct{ op, call string }{
		{"POST /contacts/{contactId}/tasks", "POST " + prefix + "/tasks"},
		{"POST /contacts/{contactId}/tasks", "POST " + prefix + "/tasks"},
		{"GET /contacts/{contactId}/tasks", "GET " + prefix + "/tasks"},
		{"GET /contacts/{contactId}/tasks/{taskId}", "GET " + prefix + "/tasks/" + full.ID},
		{"PUT /contacts/{contactId}/tasks/{taskId}", "PUT " + prefix + "/tasks/" + full.ID},
		{"PUT /contacts/{contactId}/tasks/{taskId}", "PUT " + prefix + "/tasks/" + full.ID},
		{"PUT /contacts/{contactId}/tasks/{taskId}/completed", "PUT " + prefix + "/tasks/" + minimal.ID + "/completed"},
		{"PUT /contacts/{contactId}/tasks/{taskId}/completed", "PUT " + prefix + "/tasks/" + minimal.ID + "/completed"},
		{"DELETE /contacts/{contactId}/tasks/{taskId}", "DELETE " + prefix + "/tasks/" + minimal.ID},
	}
	rec.mu.Lock()
	log := append([]exchange(nil), rec.log...)
	rec.mu.Unlock()
	if len(log) != len(wantOps) {
		t.Fatalf("recorded %d exchanges, want %d", len(log), len(wantOps))
	}
	for i, x := range log {
		if got := x.method + " " + x.url; got != wantOps[i].call {
			t.Errorf("exchange %d is %s, want %s", i, got, wantOps[i].call)
		}
		if err := spec.ValidateRequest(x.method, x.url, x.header, x.body); err != nil {
			t.Errorf("%s %s %s: request does not match the spec: %v", x.method, x.url, x.body, err)
		}
		if err := spec.ValidateResponse(x.method, x.url, x.header, x.body, x.status, x.respHeader, x.respBody); err != nil {
			t.Errorf("%s %s: response %d %s does not match the spec: %v", x.method, x.url, x.status, x.respBody, err)
		}
	}

	// Every tasks operation of the spec was exercised.
	covered := map[string]bool{}
	for _, w := range wantOps {
		covered[w.op] = true
	}
	inSpec := 0
	for _, op := range spec.OperationsOf("apps/contacts.json") {
		method, path, _ := strings.Cut(op, " ")
		if !strings.Contains(path, "/tasks") {
			continue
		}
		inSpec++
		if !covered[strings.ToUpper(method)+" "+path] {
			t.Errorf("spec operation %s is not exercised", op)
		}
	}
	if inSpec != len(covered) {
		t.Errorf("the spec has %d tasks operations, the test exercises %d", inSpec, len(covered))
	}

	// The validator must be able to fail: a create without its required
	// fields is refused.
	bad := log[0]
	if err := spec.ValidateRequest(bad.method, bad.url, bad.header, []byte(`{"body":"no title"}`)); err == nil ||
		!strings.Contains(err.Error(), "title") {
		t.Errorf("spec accepted a create without title: %v", err)
	}
}
