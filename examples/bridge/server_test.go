package main

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestServerRefusesHugeHeaders(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), slog.New(slog.DiscardHandler))
	go srv.Serve(ln)
	defer srv.Close()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("server without timeouts: %+v", srv)
	}
	for _, tt := range []struct {
		size int
		want int
	}{
		{1 << 10, http.StatusOK},
		{900 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{100 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/healthz", nil)
		req.Header.Set("X-Big", strings.Repeat("a", tt.size))
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatalf("%d-byte header: %v", tt.size, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%d-byte header: %d, want %d", tt.size, resp.StatusCode, tt.want)
		}
	}
}
