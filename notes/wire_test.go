package notes_test

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
	"github.com/ghlkit/ghl/notes"
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
func setupMock(t *testing.T, replies ...reply) (*notes.Service, *mock) {
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
	return notes.New(c), m
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

const noteJSON = `{"id":"n1","body":"Asked for a quote","userId":"u1","dateAdded":"2021-07-08T12:02:11.285Z","contactId":"c1","title":"Follow-up","color":"#FFAA00","pinned":true}`

var wantNote = notes.Note{
	ID:        "n1",
	Body:      "Asked for a quote",
	UserID:    "u1",
	DateAdded: time.Date(2021, 7, 8, 12, 2, 11, 285e6, time.UTC),
	ContactID: "c1",
	Title:     "Follow-up",
	Color:     "#FFAA00",
	Pinned:    true,
}

func TestWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     func(ctx context.Context, s *notes.Service) (any, error)
		response string
		method   string
		path     string
		body     string // "" means no body
		want     any
	}{
		{
			name:     "List",
			call:     func(ctx context.Context, s *notes.Service) (any, error) { return s.List(ctx, "c1") },
			response: `{"notes":[` + noteJSON + `]}`,
			method:   http.MethodGet,
			path:     "/contacts/c1/notes",
			want:     []notes.Note{wantNote},
		},
		{
			name:     "Get",
			call:     func(ctx context.Context, s *notes.Service) (any, error) { return s.Get(ctx, "c1", "n1") },
			response: `{"note":` + noteJSON + `}`,
			method:   http.MethodGet,
			path:     "/contacts/c1/notes/n1",
			want:     &wantNote,
		},
		{
			name: "Create every field",
			call: func(ctx context.Context, s *notes.Service) (any, error) {
				return s.Create(ctx, "c1", notes.CreateParams{
					Body: "Quote <50k> & terms", UserID: "u1", Title: "Follow-up", Color: "#FFAA00", Pinned: true,
				})
			},
			response: `{"note":` + noteJSON + `}`,
			method:   http.MethodPost,
			path:     "/contacts/c1/notes",
			body:     `{"userId":"u1","body":"Quote <50k> & terms","title":"Follow-up","color":"#FFAA00","pinned":true}`,
			want:     &wantNote,
		},
		{
			name: "Create body only",
			call: func(ctx context.Context, s *notes.Service) (any, error) {
				return s.Create(ctx, "c1", notes.CreateParams{Body: "Asked for a quote"})
			},
			response: `{"note":` + noteJSON + `}`,
			method:   http.MethodPost,
			path:     "/contacts/c1/notes",
			body:     `{"body":"Asked for a quote"}`,
			want:     &wantNote,
		},
		{
			name: "Update one field",
			call: func(ctx context.Context, s *notes.Service) (any, error) {
				return s.Update(ctx, "c1", "n1", notes.UpdateParams{Body: ghl.Set("Quote sent")})
			},
			response: `{"note":` + noteJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/notes/n1",
			body:     `{"body":"Quote sent"}`,
			want:     &wantNote,
		},
		{
			name: "Update sends false and empty values that are set",
			call: func(ctx context.Context, s *notes.Service) (any, error) {
				return s.Update(ctx, "c1", "n1", notes.UpdateParams{Pinned: ghl.Set(false), Title: ghl.Set(""), Color: ghl.Set("")})
			},
			response: `{"note":` + noteJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/notes/n1",
			body:     `{"title":"","color":"","pinned":false}`,
			want:     &wantNote,
		},
		{
			name: "Update every field",
			call: func(ctx context.Context, s *notes.Service) (any, error) {
				return s.Update(ctx, "c1", "n1", notes.UpdateParams{
					UserID: ghl.Set("u2"), Body: ghl.Set("B"), Title: ghl.Set("T"), Color: ghl.Set("#000000"), Pinned: ghl.Set(true),
				})
			},
			response: `{"note":` + noteJSON + `}`,
			method:   http.MethodPut,
			path:     "/contacts/c1/notes/n1",
			body:     `{"userId":"u2","body":"B","title":"T","color":"#000000","pinned":true}`,
			want:     &wantNote,
		},
		{
			name: "Delete",
			call: func(ctx context.Context, s *notes.Service) (any, error) {
				return nil, s.Delete(ctx, "c1", "n1")
			},
			response: `{"succeded":true}`,
			method:   http.MethodDelete,
			path:     "/contacts/c1/notes/n1",
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
			switch w := tt.want.(type) {
			case *notes.Note:
				g, ok := got.(*notes.Note)
				if !ok || g == nil {
					t.Fatalf("got %T, want *notes.Note", got)
				}
				assertNote(t, *g, *w)
			case []notes.Note:
				g, ok := got.([]notes.Note)
				if !ok || len(g) != len(w) {
					t.Fatalf("got %#v, want %d notes", got, len(w))
				}
				for i := range w {
					assertNote(t, g[i], w[i])
				}
			}
		})
	}
}

func assertNote(t *testing.T, got, want notes.Note) {
	t.Helper()
	if got.ID != want.ID || got.Body != want.Body || got.UserID != want.UserID || !got.DateAdded.Equal(want.DateAdded) ||
		got.ContactID != want.ContactID || got.Title != want.Title || got.Color != want.Color || got.Pinned != want.Pinned {
		t.Errorf("note\n got %+v\nwant %+v", got, want)
	}
}

func TestValidationSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		param string
		call  func(ctx context.Context, s *notes.Service) error
	}{
		{"List empty contact", "contactID", func(ctx context.Context, s *notes.Service) error { _, err := s.List(ctx, ""); return err }},
		{"List dot contact", "contactID", func(ctx context.Context, s *notes.Service) error { _, err := s.List(ctx, "."); return err }},
		{"Get empty contact", "contactID", func(ctx context.Context, s *notes.Service) error { _, err := s.Get(ctx, "", "n1"); return err }},
		{"Get empty note", "noteID", func(ctx context.Context, s *notes.Service) error { _, err := s.Get(ctx, "c1", ""); return err }},
		{"Get dot-dot note", "noteID", func(ctx context.Context, s *notes.Service) error { _, err := s.Get(ctx, "c1", ".."); return err }},
		{"Create empty contact", "contactID", func(ctx context.Context, s *notes.Service) error {
			_, err := s.Create(ctx, "", notes.CreateParams{Body: "x"})
			return err
		}},
		{"Create empty body", "Body", func(ctx context.Context, s *notes.Service) error {
			_, err := s.Create(ctx, "c1", notes.CreateParams{Title: "only a title"})
			return err
		}},
		{"Create blank body", "Body", func(ctx context.Context, s *notes.Service) error {
			_, err := s.Create(ctx, "c1", notes.CreateParams{Body: "\n "})
			return err
		}},
		{"Update empty note", "noteID", func(ctx context.Context, s *notes.Service) error {
			_, err := s.Update(ctx, "c1", "", notes.UpdateParams{Body: ghl.Set("x")})
			return err
		}},
		{"Update nothing set", "params", func(ctx context.Context, s *notes.Service) error {
			_, err := s.Update(ctx, "c1", "n1", notes.UpdateParams{})
			return err
		}},
		{"Update empty body", "Body", func(ctx context.Context, s *notes.Service) error {
			_, err := s.Update(ctx, "c1", "n1", notes.UpdateParams{Body: ghl.Set("")})
			return err
		}},
		{"Update null color", "Color", func(ctx context.Context, s *notes.Service) error {
			_, err := s.Update(ctx, "c1", "n1", notes.UpdateParams{Body: ghl.Set("b"), Color: ghl.Null[string]()})
			return err
		}},
		{"Delete empty contact", "contactID", func(ctx context.Context, s *notes.Service) error { return s.Delete(ctx, "", "n1") }},
		{"Delete empty note", "noteID", func(ctx context.Context, s *notes.Service) error { return s.Delete(ctx, "c1", "") }},
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
		contactID, noteID string
		wantPath          string
	}{
		{"../x", "a/b", "/contacts/..%2Fx/notes/a%2Fb"},
		{"c1", "../../users", "/contacts/c1/notes/..%2F..%2Fusers"},
		{"c?x=1", "n#frag", "/contacts/c%3Fx=1/notes/n%23frag"},
	}
	for _, tt := range tests {
		t.Run(tt.wantPath, func(t *testing.T) {
			t.Parallel()
			s, m := setupMock(t, reply{status: http.StatusOK, body: `{"succeded":true}`})
			if err := s.Delete(t.Context(), tt.contactID, tt.noteID); err != nil {
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
		s, _ := setupMock(t, reply{status: http.StatusNotFound, body: `{"statusCode":404,"message":"Note not found"}`})
		_, err := s.Get(t.Context(), "c1", "missing")
		if !ghl.IsNotFound(err) {
			t.Fatalf("IsNotFound(%v) = false", err)
		}
		var apiErr *ghl.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != "Note not found" ||
			apiErr.Path != "/contacts/c1/notes/missing" {
			t.Errorf("err = %#v", err)
		}
		if strings.Contains(err.Error(), mockToken) {
			t.Errorf("error leaks the token: %v", err)
		}
	})
	t.Run("delete not confirmed", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusOK, body: `{"succeded":false}`})
		if err := s.Delete(t.Context(), "c1", "n1"); !errors.Is(err, ghl.ErrNotSucceeded) {
			t.Fatalf("err = %v, want ErrNotSucceeded", err)
		}
	})
	t.Run("response without note", func(t *testing.T) {
		t.Parallel()
		s, _ := setupMock(t, reply{status: http.StatusCreated, body: `{}`})
		_, err := s.Create(t.Context(), "c1", notes.CreateParams{Body: "x"})
		if err == nil || !strings.Contains(err.Error(), `no "note"`) {
			t.Fatalf("err = %v, want a missing note error", err)
		}
	})
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := reply{status: http.StatusOK, body: `{"note":` + noteJSON + `}`}
	down := reply{status: http.StatusServiceUnavailable, body: `{"message":"unavailable"}`}
	dropped := reply{err: errors.New("connection reset by peer")}
	create := func(ctx context.Context, s *notes.Service) error {
		_, err := s.Create(ctx, "c1", notes.CreateParams{Body: "x"})
		return err
	}
	tests := []struct {
		name        string
		replies     []reply
		call        func(ctx context.Context, s *notes.Service) error
		wantSent    int
		wantUnknown bool
	}{
		{"Get retried after 503", []reply{down, ok}, func(ctx context.Context, s *notes.Service) error {
			_, err := s.Get(ctx, "c1", "n1")
			return err
		}, 2, false},
		{"Update retried after dropped connection", []reply{dropped, ok}, func(ctx context.Context, s *notes.Service) error {
			_, err := s.Update(ctx, "c1", "n1", notes.UpdateParams{Pinned: ghl.Set(true)})
			return err
		}, 2, false},
		{"Create not retried after 503", []reply{down, ok}, create, 1, true},
		{"Create not retried after dropped connection", []reply{dropped, ok}, create, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, m := setupMock(t, tt.replies...)
			err := tt.call(t.Context(), s)
			if n := len(m.requests()); n != tt.wantSent {
				t.Errorf("sent %d requests, want %d", n, tt.wantSent)
			}
			if tt.wantUnknown != errors.Is(err, ghl.ErrOutcomeUnknown) {
				t.Fatalf("err = %v, want outcome unknown: %v", err, tt.wantUnknown)
			}
			if !tt.wantUnknown && err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestContextCancellation(t *testing.T) {
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
	if _, err := notes.New(c).List(ctx, "c1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := mt.GetTotalCallCount(); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
}

// assertExtra checks the members Note.Extra reports.
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
