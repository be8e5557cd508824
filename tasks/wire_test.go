package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/tasks"
)

const (
	mockBase  = "https://ghl.test"
	mockToken = "tok-secret"
)

// sent is one request as it left the client, captured under the retry layer.
type sent struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// reply is one canned answer; err simulates a connection failure.
type reply struct {
	status int
	body   string
	err    error
}

// mock is an httpmock transport installed under ghl's retry layer, answering
// with the replies in order (the last one repeats) and recording each request.
type mock struct {
	mu      sync.Mutex
	replies []reply
	reqs    []sent
}

func (m *mock) requests() []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sent(nil), m.reqs...)
}

// setupMock returns a Service whose client sends through httpmock, with
// millisecond retry waits so the retry policy runs for real.
func setupMock(t *testing.T, replies ...reply) (*tasks.Service, *mock) {
	t.Helper()
	m := &mock{replies: replies}
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		m.mu.Lock()
		m.reqs = append(m.reqs, sent{
			Method: req.Method,
			Path:   req.URL.EscapedPath(),
			Query:  req.URL.RawQuery,
			Header: req.Header.Clone(),
			Body:   string(body),
		})
		r := reply{status: http.StatusOK, body: `{}`}
		if len(m.replies) > 0 {
			r = m.replies[0]
			if len(m.replies) > 1 {
				m.replies = m.replies[1:]
			}
		}
		m.mu.Unlock()
		if r.err != nil {
			return nil, r.err
		}
		resp := httpmock.NewStringResponse(r.status, r.body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	c, err := ghl.NewClient(
		ghl.WithToken(mockToken),
		ghl.WithBaseURL(mockBase),
		ghl.WithHTTPClient(&http.Client{Transport: mt}),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
		ghl.WithoutRateLimit(),
	)
	if err != nil {
		t.Fatal(err)
	}
	return tasks.New(c), m
}

// checkHeaders asserts the headers every request carries.
func checkHeaders(t *testing.T, got http.Header, hasBody bool) {
	t.Helper()
	want := map[string]string{
		"Authorization": "Bearer " + mockToken,
		"Version":       ghl.DefaultAPIVersion,
		"Accept":        "application/json",
		"User-Agent":    "ghlkit/" + ghl.Version,
	}
	if hasBody {
		want["Content-Type"] = "application/json"
	}
	for k, v := range want {
		if g := got.Values(k); len(g) != 1 || g[0] != v {
			t.Errorf("header %s = %q, want [%q]", k, g, v)
		}
	}
	if !hasBody && got.Get("Content-Type") != "" {
		t.Errorf("Content-Type = %q on a request without body", got.Get("Content-Type"))
	}
}

const taskJSON = `{"id":"t1","title":"Call back","body":"Ask about pricing","assignedTo":"u1","dueDate":"2021-07-08T02:30:00.000Z","completed":false,"contactId":"c1"}`

var wantTask = tasks.Task{
	ID:         "t1",
	Title:      "Call back",
	Body:       "Ask about pricing",
	AssignedTo: "u1",
	DueDate:    time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC),
	ContactID:  "c1",
}

func TestWire(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CEST", 2*60*60)
	due := time.Date(2020, 10, 25, 13, 0, 0, 0, berlin) // 11:00 UTC
	tests := []struct {
		name     string
		call     func(ctx context.Context, s *tasks.Service) (any, error)
		response string
		method   string
		path     string
		body     string // "" means no body
		want     any
	}{
		{
			name:     "List",
			call:     func(ctx context.Context, s *tasks.Service) (any, error) { return s.List(ctx, "c1") },
			response: `{"tasks":[` + taskJSON + `]}`,
			method:   http.MethodGet,
			path:     "/contacts/c1/tasks",
			want:     []tasks.Task{wantTask},
		},
		{
			name:     "Get",
			call:     func(ctx context.Context, s *tasks.Service) (any, error) { return s.Get(ctx, "c1", "t1") },
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodGet,
			path:     "/contacts/c1/tasks/t1",
			want:     &wantTask,
		},
		{
			name: "Create every field",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return s.Create(ctx, "c1", tasks.CreateParams{
					Title:      "Call back",
					Body:       "Ask about <pricing> & terms",
					DueDate:    due,
					Completed:  true,
					AssignedTo: "u1",
				})
			},
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodPost,
			path:     "/contacts/c1/tasks",
			body:     `{"title":"Call back","body":"Ask about <pricing> & terms","dueDate":"2020-10-25T11:00:00.000Z","completed":true,"assignedTo":"u1"}`,
			want:     &wantTask,
		},
		{
			name: "Create required fields only",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return s.Create(ctx, "c1", tasks.CreateParams{Title: "Call back", DueDate: due.Add(123 * time.Millisecond)})
			},
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodPost,
			path:     "/contacts/c1/tasks",
			body:     `{"title":"Call back","dueDate":"2020-10-25T11:00:00.123Z","completed":false}`,
			want:     &wantTask,
		},
		{
			name: "Update one field",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return s.Update(ctx, "c1", "t1", tasks.UpdateParams{Title: ghl.Set("New title")})
			},
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/tasks/t1",
			body:     `{"title":"New title"}`,
			want:     &wantTask,
		},
		{
			name: "Update sends false and empty values that are set",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return s.Update(ctx, "c1", "t1", tasks.UpdateParams{Completed: ghl.Set(false), Body: ghl.Set(""), AssignedTo: ghl.Set("")})
			},
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/tasks/t1",
			body:     `{"body":"","completed":false,"assignedTo":""}`,
			want:     &wantTask,
		},
		{
			name: "Update every field",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return s.Update(ctx, "c1", "t1", tasks.UpdateParams{
					Title: ghl.Set("T"), Body: ghl.Set("B"), DueDate: ghl.Set(due), Completed: ghl.Set(true), AssignedTo: ghl.Set("u2"),
				})
			},
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/tasks/t1",
			body:     `{"title":"T","body":"B","dueDate":"2020-10-25T11:00:00.000Z","completed":true,"assignedTo":"u2"}`,
			want:     &wantTask,
		},
		{
			name: "SetCompleted true",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return s.SetCompleted(ctx, "c1", "t1", true)
			},
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/tasks/t1/completed",
			body:     `{"completed":true}`,
			want:     &wantTask,
		},
		{
			name: "SetCompleted false",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return s.SetCompleted(ctx, "c1", "t1", false)
			},
			response: `{"task":` + taskJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/tasks/t1/completed",
			body:     `{"completed":false}`,
			want:     &wantTask,
		},
		{
			name: "Delete",
			call: func(ctx context.Context, s *tasks.Service) (any, error) {
				return nil, s.Delete(ctx, "c1", "t1")
			},
			response: `{"succeded":true}`,
			method:   http.MethodDelete,
			path:     "/contacts/c1/tasks/t1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, m := setupMock(t, reply{status: http.StatusOK, body: tt.response})
			got, err := tt.call(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			reqs := m.requests()
			if len(reqs) != 1 {
				t.Fatalf("sent %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.Path != tt.path || r.Query != "" {
				t.Errorf("sent %s %s?%s, want %s %s", r.Method, r.Path, r.Query, tt.method, tt.path)
			}
			if r.Body != tt.body {
				t.Errorf("body\n got %s\nwant %s", r.Body, tt.body)
			}
			checkHeaders(t, r.Header, tt.body != "")
			if tt.want != nil {
				assertEqualJSONish(t, got, tt.want)
			}
		})
	}
}

// assertEqualJSONish compares results field by field through their Go
// representation; Task holds a map, so == does not apply.
func assertEqualJSONish(t *testing.T, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case *tasks.Task:
		g, ok := got.(*tasks.Task)
		if !ok || g == nil {
			t.Fatalf("got %T %v, want *tasks.Task", got, got)
		}
		assertTask(t, *g, *w)
	case []tasks.Task:
		g, ok := got.([]tasks.Task)
		if !ok || len(g) != len(w) {
			t.Fatalf("got %#v, want %d tasks", got, len(w))
		}
		for i := range w {
			assertTask(t, g[i], w[i])
		}
	default:
		t.Fatalf("unexpected want type %T", want)
	}
}

func assertTask(t *testing.T, got, want tasks.Task) {
	t.Helper()
	if got.ID != want.ID || got.Title != want.Title || got.Body != want.Body || got.AssignedTo != want.AssignedTo ||
		!got.DueDate.Equal(want.DueDate) || got.Completed != want.Completed || got.ContactID != want.ContactID {
		t.Errorf("task\n got %+v\nwant %+v", got, want)
	}
}

func TestValidationSendsNothing(t *testing.T) {
	t.Parallel()
	due := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		param string
		call  func(ctx context.Context, s *tasks.Service) error
	}{
		{"List empty contact", "contactID", func(ctx context.Context, s *tasks.Service) error { _, err := s.List(ctx, ""); return err }},
		{"List dot-dot contact", "contactID", func(ctx context.Context, s *tasks.Service) error { _, err := s.List(ctx, ".."); return err }},
		{"Get empty contact", "contactID", func(ctx context.Context, s *tasks.Service) error { _, err := s.Get(ctx, "", "t1"); return err }},
		{"Get empty task", "taskID", func(ctx context.Context, s *tasks.Service) error { _, err := s.Get(ctx, "c1", ""); return err }},
		{"Get dot task", "taskID", func(ctx context.Context, s *tasks.Service) error { _, err := s.Get(ctx, "c1", "."); return err }},
		{"Create empty contact", "contactID", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Create(ctx, "", tasks.CreateParams{Title: "x", DueDate: due})
			return err
		}},
		{"Create empty title", "Title", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Create(ctx, "c1", tasks.CreateParams{DueDate: due})
			return err
		}},
		{"Create blank title", "Title", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Create(ctx, "c1", tasks.CreateParams{Title: " \t", DueDate: due})
			return err
		}},
		{"Create zero due date", "DueDate", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Create(ctx, "c1", tasks.CreateParams{Title: "x"})
			return err
		}},
		{"Update empty task", "taskID", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Update(ctx, "c1", "", tasks.UpdateParams{Title: ghl.Set("x")})
			return err
		}},
		{"Update nothing set", "params", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Update(ctx, "c1", "t1", tasks.UpdateParams{})
			return err
		}},
		{"Update empty title", "Title", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Update(ctx, "c1", "t1", tasks.UpdateParams{Title: ghl.Set("")})
			return err
		}},
		{"Update zero due date", "DueDate", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Update(ctx, "c1", "t1", tasks.UpdateParams{DueDate: ghl.Set(time.Time{})})
			return err
		}},
		{"Update null title", "Title", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Update(ctx, "c1", "t1", tasks.UpdateParams{Title: ghl.Null[string]()})
			return err
		}},
		{"Update null assignee", "AssignedTo", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Update(ctx, "c1", "t1", tasks.UpdateParams{Completed: ghl.Set(true), AssignedTo: ghl.Null[string]()})
			return err
		}},
		{"SetCompleted empty contact", "contactID", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.SetCompleted(ctx, "", "t1", true)
			return err
		}},
		{"SetCompleted empty task", "taskID", func(ctx context.Context, s *tasks.Service) error {
			_, err := s.SetCompleted(ctx, "c1", "", true)
			return err
		}},
		{"Delete empty contact", "contactID", func(ctx context.Context, s *tasks.Service) error { return s.Delete(ctx, "", "t1") }},
		{"Delete dot-dot task", "taskID", func(ctx context.Context, s *tasks.Service) error { return s.Delete(ctx, "c1", "..") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, m := setupMock(t)
			err := tt.call(t.Context(), s)
			if !errors.Is(err, ghl.ErrInvalidParam) {
				t.Fatalf("err = %v, want ghl.ErrInvalidParam", err)
			}
			var pe *ghl.ParamError
			if !errors.As(err, &pe) || pe.Param != tt.param {
				t.Errorf("err = %#v, want *ghl.ParamError for %s", err, tt.param)
			}
			if n := len(m.requests()); n != 0 {
				t.Errorf("sent %d requests for invalid input", n)
			}
		})
	}
}

func TestPathEscaping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contactID, taskID string
		wantPath          string
	}{
		{"../x", "a/b", "/contacts/..%2Fx/tasks/a%2Fb"},
		{"c1", "../../users", "/contacts/c1/tasks/..%2F..%2Fusers"},
		{"c?x=1", "t#frag", "/contacts/c%3Fx=1/tasks/t%23frag"},
		{"c 1", "%2F", "/contacts/c%201/tasks/%252F"},
	}
	for _, tt := range tests {
		t.Run(tt.wantPath, func(t *testing.T) {
			t.Parallel()
			s, m := setupMock(t, reply{status: http.StatusOK, body: `{"task":` + taskJSON + `}`})
			if _, err := s.Get(t.Context(), tt.contactID, tt.taskID); err != nil {
				t.Fatal(err)
			}
			reqs := m.requests()
			if len(reqs) != 1 || reqs[0].Path != tt.wantPath || reqs[0].Query != "" {
				t.Fatalf("sent %+v, want path %s and no query", reqs, tt.wantPath)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	t.Run("404 is not found", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusNotFound, body: `{"statusCode":404,"message":"Task not found"}`})
		_, err := s.Get(t.Context(), "c1", "missing")
		if !ghl.IsNotFound(err) {
			t.Fatalf("IsNotFound(%v) = false", err)
		}
		var apiErr *ghl.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != "Task not found" ||
			apiErr.Method != http.MethodGet || apiErr.Path != "/contacts/c1/tasks/missing" {
			t.Errorf("err = %#v", err)
		}
		if strings.Contains(err.Error(), mockToken) {
			t.Errorf("error leaks the token: %v", err)
		}
	})
	t.Run("422 messages", func(t *testing.T) {
		t.Parallel()
		s, m := setupMock(t, reply{status: http.StatusUnprocessableEntity, body: `{"statusCode":422,"message":["title must be a string","dueDate must be a date"],"error":"Unprocessable Entity"}`})
		_, err := s.Create(t.Context(), "c1", tasks.CreateParams{Title: "x", DueDate: time.Now()})
		var apiErr *ghl.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 422 || len(apiErr.Messages) != 2 {
			t.Fatalf("err = %#v", err)
		}
		if errors.Is(err, ghl.ErrOutcomeUnknown) {
			t.Error("a 422 is a definite answer, not an unknown outcome")
		}
		if n := len(m.requests()); n != 1 {
			t.Errorf("sent %d requests, want 1", n)
		}
	})
	t.Run("delete not confirmed", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusOK, body: `{"succeded":false}`})
		err := s.Delete(t.Context(), "c1", "t1")
		if !errors.Is(err, ghl.ErrNotSucceeded) {
			t.Fatalf("err = %v, want ErrNotSucceeded", err)
		}
	})
	t.Run("delete without result body", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusOK, body: ``})
		if err := s.Delete(t.Context(), "c1", "t1"); err != nil {
			t.Fatalf("err = %v, want nil for a 200 with empty body", err)
		}
	})
	t.Run("response without task", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusOK, body: `{"tsak":{}}`})
		_, err := s.Get(t.Context(), "c1", "t1")
		if err == nil || !strings.Contains(err.Error(), `no "task"`) {
			t.Fatalf("err = %v, want a missing task error", err)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusOK, body: `{"tasks":[{"id":`})
		if _, err := s.List(t.Context(), "c1"); err == nil {
			t.Fatal("decoded a truncated body")
		}
	})
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := reply{status: http.StatusOK, body: `{"task":` + taskJSON + `}`}
	down := reply{status: http.StatusBadGateway, body: `{"message":"bad gateway"}`}
	dropped := reply{err: errors.New("connection reset by peer")}
	due := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	create := func(ctx context.Context, s *tasks.Service) error {
		_, err := s.Create(ctx, "c1", tasks.CreateParams{Title: "x", DueDate: due})
		return err
	}
	tests := []struct {
		name        string
		replies     []reply
		call        func(ctx context.Context, s *tasks.Service) error
		wantSent    int
		wantUnknown bool
	}{
		{"Get retried after 502", []reply{down, ok}, func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Get(ctx, "c1", "t1")
			return err
		}, 2, false},
		{"Update retried after dropped connection", []reply{dropped, ok}, func(ctx context.Context, s *tasks.Service) error {
			_, err := s.Update(ctx, "c1", "t1", tasks.UpdateParams{Completed: ghl.Set(true)})
			return err
		}, 2, false},
		{"SetCompleted retried after 502", []reply{down, ok}, func(ctx context.Context, s *tasks.Service) error {
			_, err := s.SetCompleted(ctx, "c1", "t1", true)
			return err
		}, 2, false},
		{"Create not retried after 502", []reply{down, ok}, create, 1, true},
		{"Create not retried after dropped connection", []reply{dropped, ok}, create, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, m := setupMock(t, tt.replies...)
			err := tt.call(t.Context(), s)
			reqs := m.requests()
			if len(reqs) != tt.wantSent {
				t.Errorf("sent %d requests, want %d", len(reqs), tt.wantSent)
			}
			if tt.wantUnknown {
				if !errors.Is(err, ghl.ErrOutcomeUnknown) {
					t.Fatalf("err = %v, want ghl.ErrOutcomeUnknown", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(reqs); i++ {
				if reqs[i].Body != reqs[0].Body || reqs[i].Path != reqs[0].Path {
					t.Errorf("retry %d sent %+v, want the same request as %+v", i, reqs[i], reqs[0])
				}
			}
		})
	}
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	t.Run("already canceled", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusOK, body: `{"tasks":[]}`})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.List(ctx, "c1"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("canceled in flight", func(t *testing.T) {
		t.Parallel()
		started := make(chan struct{})
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
			close(started)
			<-req.Context().Done()
			return nil, req.Context().Err()
		})
		c, err := ghl.NewClient(ghl.WithToken(mockToken), ghl.WithBaseURL(mockBase),
			ghl.WithHTTPClient(&http.Client{Transport: mt}), ghl.WithoutRateLimit())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-started; cancel() }()
		_, err = tasks.New(c).Create(ctx, "c1", tasks.CreateParams{Title: "x", DueDate: time.Now()})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Errorf("sent %d requests, want 1", n)
		}
	})
}

// assertExtra checks the members Task.Extra reports.
func assertExtra(t *testing.T, got, want map[string]json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Extra = %s, want %s", got, want)
	}
	for k, v := range want {
		if string(got[k]) != string(v) {
			t.Errorf("Extra[%q] = %s, want %s", k, got[k], v)
		}
	}
}

// Tasks of a response decode in the response's one pass; an odd value fails
// neither the task nor the list, and Extra finds each task's own members in
// the body when asked.
func TestListKeepsExtraAndToleratesOddValues(t *testing.T) {
	t.Parallel()
	s, _ := setupMock(t, reply{status: 200, body: `{"tasks":[` +
		`{"id":"t1","title":"A","dueDate":"someday","deleted":false},` +
		`{"id":"t2","title":"B","completed":"yes","permissions":{"x":1}}],"traceId":"tr"}`})
	got, err := s.List(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d tasks", len(got))
	}
	assertTask(t, got[0], tasks.Task{ID: "t1", Title: "A"})
	assertTask(t, got[1], tasks.Task{ID: "t2", Title: "B"})
	assertExtra(t, got[0].Extra(), map[string]json.RawMessage{"dueDate": json.RawMessage(`"someday"`), "deleted": json.RawMessage(`false`)})
	assertExtra(t, got[1].Extra(), map[string]json.RawMessage{"completed": json.RawMessage(`"yes"`), "permissions": json.RawMessage(`{"x":1}`)})

	s, _ = setupMock(t, reply{status: 200, body: `{"task":{"id":"t1","title":"A","labels":["x"]}}`})
	one, err := s.Get(t.Context(), "c1", "t1")
	if err != nil {
		t.Fatal(err)
	}
	assertExtra(t, one.Extra(), map[string]json.RawMessage{"labels": json.RawMessage(`["x"]`)})
}
