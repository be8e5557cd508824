package contacts_test

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
)

const (
	mockBase  = "https://ghl.test"
	mockToken = "tok-secret"
	mockLoc   = "loc1"
)

// sent is one request as it reached the wire.
type sent struct {
	Method string
	URI    string // escaped path and query, as sent
	Header http.Header
	Body   string
}

type reply struct {
	status int
	body   string
	err    error // a transport error instead of a response
}

// mockAPI is an httpmock transport under the ghl client (and so under its
// retry layer) that answers with queued replies and records what was sent.
type mockAPI struct {
	mu      sync.Mutex
	replies []reply
	sent    []sent
}

// newMock returns a Service on a client with the default location mockLoc
// (unless opts say otherwise), millisecond retry waits and no pacing.
func newMock(t testing.TB, opts ...ghl.Option) (*contacts.Service, *mockAPI) {
	t.Helper()
	m := &mockAPI{}
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(m.respond)
	base := []ghl.Option{
		ghl.WithToken(mockToken),
		ghl.WithBaseURL(mockBase),
		ghl.WithHTTPClient(&http.Client{Transport: mt}),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
		ghl.WithoutRateLimit(),
	}
	if opts == nil {
		opts = []ghl.Option{ghl.WithLocationID(mockLoc)}
	}
	c, err := ghl.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return contacts.New(c), m
}

// reply queues answers, used in order; a request beyond them gets a 599.
func (m *mockAPI) reply(status int, body string) *mockAPI {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.replies = append(m.replies, reply{status: status, body: body})
	return m
}

func (m *mockAPI) fail(err error) *mockAPI {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.replies = append(m.replies, reply{err: err})
	return m
}

func (m *mockAPI) respond(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, sent{Method: req.Method, URI: req.URL.RequestURI(), Header: req.Header.Clone(), Body: string(body)})
	if len(m.replies) == 0 {
		return httpmock.NewStringResponse(599, `{"message":"no reply queued"}`), nil
	}
	r := m.replies[0]
	m.replies = m.replies[1:]
	if r.err != nil {
		return nil, r.err
	}
	resp := httpmock.NewStringResponse(r.status, r.body)
	resp.Header.Set("Content-Type", "application/json")
	return resp, nil
}

// requests returns what was sent so far.
func (m *mockAPI) requests() []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sent(nil), m.sent...)
}

// only returns the one request sent, failing the test if there were more.
func (m *mockAPI) only(t testing.TB) sent {
	t.Helper()
	reqs := m.requests()
	if len(reqs) != 1 {
		t.Fatalf("sent %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

// checkWire compares a request with the expected method, URI and body, and
// checks the headers every request carries.
func checkWire(t testing.TB, got sent, method, uri, body string) {
	t.Helper()
	if got.Method != method || got.URI != uri {
		t.Errorf("sent %s %s, want %s %s", got.Method, got.URI, method, uri)
	}
	if got.Body != body {
		t.Errorf("body:\n got %s\nwant %s", got.Body, body)
	}
	if h := got.Header.Get("Authorization"); h != "Bearer "+mockToken {
		t.Errorf("Authorization = %q", h)
	}
	if h := got.Header.Get("Version"); h != ghl.DefaultAPIVersion {
		t.Errorf("Version = %q, want %q", h, ghl.DefaultAPIVersion)
	}
	wantCT := ""
	if body != "" {
		wantCT = "application/json"
	}
	if h := got.Header.Get("Content-Type"); h != wantCT {
		t.Errorf("Content-Type = %q, want %q", h, wantCT)
	}
}
