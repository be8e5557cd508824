package ghltest_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

// send makes one request on a fresh connection, so net/http's Transport
// never resends it on its own after a dropped connection.
func send(t *testing.T, srv *ghltest.Server, method, path, body string) (*http.Response, error) {
	t.Helper()
	var rd *bytes.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(method, srv.URL+path, rd)
	} else {
		req, err = http.NewRequest(method, srv.URL+path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokRW)
	req.Header.Set("Version", ghltest.APIVersion)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

const taskBody = `{"title":"t","dueDate":"2025-01-01T00:00:00Z","completed":false}`

func TestFaultStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      ghltest.Fault
		want       string
		retryAfter string
	}{
		{"503", ghltest.Fault{Status: 503}, `{"statusCode":503,"message":"Service Unavailable","error":"Service Unavailable"}`, ""},
		{"500", ghltest.Fault{Status: 500}, `{"statusCode":500,"message":"Internal Server Error","error":"Internal Server Error"}`, ""},
		{"502", ghltest.Fault{Status: 502}, `{"statusCode":502,"message":"Bad Gateway","error":"Bad Gateway"}`, ""},
		{"429 with Retry-After", ghltest.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond}, `{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests"}`, "2"},
		{"429 without delay", ghltest.Fault{Status: 429}, `{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests"}`, "0"},
		{"503 with Retry-After", ghltest.Fault{Status: 503, RetryAfter: time.Second}, `{"statusCode":503,"message":"Service Unavailable","error":"Service Unavailable"}`, "1"},
		{"custom body", ghltest.Fault{Status: 500, Body: `{"oops":true}`}, `{"oops":true}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			c := srv.AddContact(ghltest.Contact{LocationID: loc})
			f := tt.fault
			f.Method, f.Path, f.Count = "POST", "/contacts/*/tasks", 2
			srv.Fail(f)
			path := "/contacts/" + c.ID + "/tasks"
			// GET on the same path is not affected.
			wantStatus(t, do(t, srv, "GET", path, tokRW, nil), 200)
			for range 2 {
				r := do(t, srv, "POST", path, tokRW, taskBody)
				wantJSON(t, r, f.Status, tt.want)
				if got := r.header.Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
				}
			}
			wantStatus(t, do(t, srv, "POST", path, tokRW, taskBody), 201)
			if n := len(srv.Tasks(c.ID)); n != 1 {
				t.Errorf("%d tasks stored, want 1 (failed requests must not write)", n)
			}
			if n := len(srv.Requests()); n != 4 {
				t.Errorf("%d requests logged, want 4", n)
			}
		})
	}
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Fail(ghltest.Fault{Method: "POST", Path: "/contacts", Count: 1, Drop: true})
	if resp, err := send(t, srv, "POST", "/contacts/", `{"locationId":"loc1","firstName":"A"}`); err == nil {
		t.Fatalf("dropped request got a response: %s", resp.Status)
	}
	if n := srv.ContactCount(loc); n != 0 {
		t.Fatalf("a dropped create stored %d contacts", n)
	}
	resp, err := send(t, srv, "POST", "/contacts/", `{"locationId":"loc1","firstName":"A"}`)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("second create: %v %v", resp, err)
	}
}

func TestFaultAfterWrite(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.AddContact(ghltest.Contact{LocationID: loc})
	srv.Fail(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", Count: 1, AfterWrite: true})
	if resp, err := send(t, srv, "POST", "/contacts/"+c.ID+"/tasks", taskBody); err == nil {
		t.Fatalf("AfterWrite request got a response: %s", resp.Status)
	}
	if tasks := srv.Tasks(c.ID); len(tasks) != 1 || tasks[0].Title != "t" {
		t.Fatalf("AfterWrite must apply the write; tasks = %+v", tasks)
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Fail(ghltest.Fault{Path: "/contacts/**", Count: 1, Latency: 5 * time.Millisecond})
	start := time.Now()
	wantStatus(t, do(t, srv, "GET", "/contacts/nope", tokRW, nil), 400)
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Fatalf("request took %v, want at least 5ms", d)
	}
}

func TestFaultPersistentAndPatterns(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.AddContact(ghltest.Contact{LocationID: loc})
	srv.Fail(ghltest.Fault{Path: "/contacts/*/notes", Status: 500}) // Count 0: until cleared
	for range 3 {
		wantStatus(t, do(t, srv, "GET", "/contacts/"+c.ID+"/notes", tokRW, nil), 500)
	}
	wantStatus(t, do(t, srv, "GET", "/contacts/"+c.ID+"/tasks", tokRW, nil), 200)
	wantStatus(t, do(t, srv, "GET", "/contacts/"+c.ID, tokRW, nil), 200)
	srv.ClearFaults()
	wantStatus(t, do(t, srv, "GET", "/contacts/"+c.ID+"/notes", tokRW, nil), 200)

	srv.Fail(ghltest.Fault{Method: "get", Path: "/contacts/**", Count: 1, Status: 502})
	wantStatus(t, do(t, srv, "GET", "/contacts/"+c.ID+"/notes/x", tokRW, nil), 502)
	srv.Fail(ghltest.Fault{Path: "/contacts/", Count: 1, Status: 502}) // trailing slash ignored
	wantStatus(t, do(t, srv, "GET", "/contacts?locationId=loc1", tokRW, nil), 502)
	srv.Fail(ghltest.Fault{Count: 1, Status: 503}) // any path
	wantStatus(t, do(t, srv, "GET", "/anything", tokRW, nil), 503)
	wantStatus(t, do(t, srv, "GET", "/anything", tokRW, nil), 404)
}

func TestFaultRatio(t *testing.T) {
	t.Parallel()
	pattern := func() string {
		srv := newServer(t, ghltest.WithSeed(42))
		srv.Fail(ghltest.Fault{Path: "/contacts/x", Ratio: 0.3, Status: 500})
		var b strings.Builder
		for range 100 {
			if do(t, srv, "GET", "/contacts/x", tokRW, nil).status == 500 {
				b.WriteByte('F')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := pattern(), pattern()
	if a != b {
		t.Fatalf("same seed, different failures:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "F"); n < 10 || n > 50 {
		t.Fatalf("%d of 100 failed with ratio 0.3: %s", n, a)
	}

	// Ratio with Count: only failures count.
	srv := newServer(t)
	srv.Fail(ghltest.Fault{Path: "/contacts/x", Ratio: 0.5, Count: 3, Status: 500})
	failed := 0
	for range 100 {
		if do(t, srv, "GET", "/contacts/x", tokRW, nil).status == 500 {
			failed++
		}
	}
	if failed != 3 {
		t.Fatalf("%d failures, want 3", failed)
	}
}

func TestFailPanicsOnNonsense(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, f := range []ghltest.Fault{
		{},
		{Status: 200},
		{Status: 500, Drop: true},
		{Drop: true, AfterWrite: true},
		{Status: 500, Ratio: 2},
		{Status: 500, Count: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Fail(%+v) did not panic", f)
				}
			}()
			srv.Fail(f)
		}()
	}
}
