package ghl_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
)

const benchBody = `{"tasks":[{"id":"lJpzYrWdpkC2hX6t2yue","title":"Call back","body":"About the quote","assignedTo":"hxHGVRb1YJUscrCB8eXK","dueDate":"2021-07-08T02:30:00.000Z","completed":false,"contactId":"lJpzYrWdpkC2hX6t2yue"}]}`

type benchTasks struct {
	Tasks []struct {
		ID        string `json:"id"`
		Title     string `json:"title"`
		Body      string `json:"body"`
		DueDate   string `json:"dueDate"`
		Completed bool   `json:"completed"`
	} `json:"tasks"`
}

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(benchBody))
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkGet measures one GET through ghl.Client: auth, pacing, the retry
// layer, path escaping and JSON decoding.
func BenchmarkGet(b *testing.B) {
	srv := benchServer(b)
	c, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL(srv.URL), ghl.WithRateLimit(1000, time.Nanosecond))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := ghl.Path("/contacts/%s/tasks", "lJpzYrWdpkC2hX6t2yue")
		if err != nil {
			b.Fatal(err)
		}
		var out benchTasks
		if _, err := c.Do(ctx, &ghl.Request{Path: p}, &out); err != nil || len(out.Tasks) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetHandWritten is the same call written by hand with net/http,
// the baseline for BenchmarkGet.
func BenchmarkGetHandWritten(b *testing.B) {
	srv := benchServer(b)
	hc := &http.Client{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/contacts/lJpzYrWdpkC2hX6t2yue/tasks", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Version", ghl.DefaultAPIVersion)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out benchTasks
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(out.Tasks) != 1 {
			b.Fatal(err)
		}
	}
}
