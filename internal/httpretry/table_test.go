package httpretry

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var tableMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete,
	http.MethodPost, http.MethodPatch,
}

// safeToRepeat is the policy's definition, written out independently.
func safeToRepeat(method string, marked bool) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return marked
}

// TestCheckRetryStatusTable holds the promise of the policy both the
// HighLevel and the Mattermost clients share, for answers: 429 is always
// retried; 500, 502, 503 and 504 only for a request safe to repeat (never a
// plain POST, which the server may have applied); every other status,
// 501 and 4xx included, never. An answer is never an unknown outcome here
// (the clients turn a create's 5xx into one).
func TestCheckRetryStatusTable(t *testing.T) {
	t.Parallel()
	statuses := []struct {
		code int
		want func(safe bool) bool
	}{
		{200, never}, {201, never}, {204, never}, {304, never},
		{400, never}, {401, never}, {403, never}, {404, never}, {409, never}, {422, never},
		{429, always},
		{500, ifSafe}, {501, never}, {502, ifSafe}, {503, ifSafe}, {504, ifSafe}, {505, never},
	}
	for _, method := range tableMethods {
		for _, marked := range []bool{false, true} {
			ctx := context.Background()
			if marked {
				ctx = MarkIdempotent(ctx)
			}
			safe := safeToRepeat(method, marked)
			for _, st := range statuses {
				req := httptest.NewRequest(method, "https://api.example/x", nil).WithContext(ctx)
				resp := &http.Response{StatusCode: st.code, Request: req, Header: http.Header{}}
				retry, err := CheckRetry(ctx, resp, nil)
				if want := st.want(safe); retry != want || err != nil {
					t.Errorf("%s marked=%v %d: retry %v err %v, want retry %v and no error", method, marked, st.code, retry, err, want)
				}
			}
		}
	}
}

func never(bool) bool        { return false }
func always(bool) bool       { return true }
func ifSafe(s bool) bool     { return s }
func unlessSafe(s bool) bool { return !s }

// TestCheckRetryErrorTable holds the promise for failed connections, with
// the errors net/http really returns on loopback: a failure before the
// request left (dial, TLS handshake, DNS) is retried whatever the method; an
// untrusted certificate never (a retry cannot fix it); a failure after the
// request was sent (timeout awaiting the answer, connection reset) is
// retried only when the request is safe to repeat, and otherwise returns
// an error wrapping ErrOutcomeUnknown and the cause.
func TestCheckRetryErrorTable(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	trusting := tlsSrv.Client().Transport.(*http.Transport).Clone()
	trusting.TLSClientConfig.MaxVersion = tls.VersionTLS12 // the server alerts "protocol version"
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // answers only once the client gave up
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		conn.(*net.TCPConn).SetLinger(0) // RST, after the request was read
		conn.Close()
	}))
	t.Cleanup(reset.Close)
	closed := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	closedURL := closed.URL
	closed.Close() // nothing listens there any more: connection refused

	// Through linkRequest, as NewClient sends.
	client := func(tr *http.Transport) *http.Client { return &http.Client{Transport: linkRequest{tr}} }
	kinds := []struct {
		name    string
		client  *http.Client
		url     string
		retry   func(safe bool) bool
		unknown func(safe bool) bool // ErrOutcomeUnknown?
	}{
		{"dial refused", client(&http.Transport{}), closedURL, always, never},
		{"TLS handshake refused by the server", client(trusting), tlsSrv.URL, always, never},
		{"HTTPS to a plain HTTP server", client(&http.Transport{}), strings.Replace(plain.URL, "http:", "https:", 1), always, never},
		{"TLS untrusted certificate", client(&http.Transport{}), tlsSrv.URL, never, never},
		{"timeout after send", client(&http.Transport{ResponseHeaderTimeout: 20 * time.Millisecond}), hang.URL, ifSafe, unlessSafe},
		{"connection reset", client(&http.Transport{DisableKeepAlives: true}), reset.URL, ifSafe, unlessSafe},
	}
	for _, k := range kinds {
		for _, method := range tableMethods {
			req, err := http.NewRequest(method, k.url+"/x", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp, sendErr := k.client.Do(req)
			if sendErr == nil {
				resp.Body.Close()
				t.Fatalf("%s %s: no error", k.name, method)
			}
			for _, marked := range []bool{false, true} {
				ctx := context.Background()
				if marked {
					ctx = MarkIdempotent(ctx)
				}
				safe := safeToRepeat(method, marked)
				retry, err := CheckRetry(ctx, nil, sendErr)
				if want := k.retry(safe); retry != want {
					t.Errorf("%s %s marked=%v: retry %v, want %v (%v)", k.name, method, marked, retry, want, sendErr)
				}
				if !errors.Is(err, sendErr) {
					t.Errorf("%s %s marked=%v: error %v does not wrap the cause %v", k.name, method, marked, err, sendErr)
				}
				if unknown, want := errors.Is(err, ErrOutcomeUnknown), k.unknown(safe); unknown != want {
					t.Errorf("%s %s marked=%v: outcome unknown %v, want %v (%v)", k.name, method, marked, unknown, want, err)
				}
			}
		}
		k.client.Transport.(linkRequest).next.(*http.Transport).CloseIdleConnections()
	}

	// A DNS failure cannot be produced without a resolver; net/http wraps
	// it as below. Never sent: retried whatever the method.
	dns := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.invalid", IsNotFound: true}}
	for _, method := range tableMethods {
		op := method[:1] + strings.ToLower(method[1:]) // net/http's url.Error.Op
		retry, err := CheckRetry(context.Background(), nil, &url.Error{Op: op, URL: "https://api.invalid/x", Err: dns})
		if !retry || errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("DNS %s: retry %v err %v", method, retry, err)
		}
	}
}
