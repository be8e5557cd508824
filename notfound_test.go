package ghl_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// HighLevel's Contacts API answers 400 with "<Record> not found" where a
// REST API would answer 404 (the spec lists no 404 on those routes).
func TestIsNotFound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"404", 404, `{"statusCode":404,"message":"Task not found"}`, true},
		{"404 without body", 404, ``, true},
		{"400 contact", 400, `{"statusCode":400,"message":"Contact not found"}`, true},
		{"400 task", 400, `{"statusCode":400,"message":"Task not found"}`, true},
		{"400 note", 400, `{"statusCode":400,"message":"Note not found","error":"Bad Request"}`, true},
		{"400 lower case, full stop", 400, `{"statusCode":400,"message":"contact not found."}`, true},
		{"400 with the id", 400, `{"statusCode":400,"message":"Contact with id abc not found"}`, true},
		{"400 bad version", 400, `{"statusCode":400,"message":"Version header is invalid","error":"Bad Request"}`, false},
		{"400 duplicate", 400, `{"statusCode":400,"message":"This location does not allow duplicated contacts."}`, false},
		{"400 other record", 400, `{"statusCode":400,"message":"Calendar not found"}`, false},
		{"400 not found inside", 400, `{"statusCode":400,"message":"Contact not found in the search index, retry"}`, false},
		{"422 contact", 422, `{"statusCode":422,"message":["Contact not found"],"error":"Unprocessable Entity"}`, false},
		{"401", 401, `{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mock := newMocked(t)
			mock.RegisterResponder("GET", "https://ghl.test/contacts/x", httpmock.NewStringResponder(tc.status, tc.body))
			_, err := c.Do(context.Background(), &ghl.Request{Path: "/contacts/x"}, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if got := ghl.IsNotFound(err); got != tc.want {
				t.Errorf("IsNotFound = %v, want %v (%v)", got, tc.want, err)
			}
			if got := errors.Is(err, ghl.ErrNotFound); got != tc.want {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", got, tc.want)
			}
		})
	}
}

// ghltest answers a missing record as HighLevel does, and IsNotFound
// recognises it.
func TestIsNotFoundAgainstGhltest(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer(ghltest.WithoutRateLimit())
	t.Cleanup(srv.Close)
	srv.AddToken("tok", "loc", ghltest.ScopeContactsReadOnly)
	c, err := ghl.NewClient(ghl.WithToken("tok"), ghl.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ct := srv.AddContact(ghltest.Contact{LocationID: "loc"})
	for _, path := range []string{"/contacts/nobody", "/contacts/nobody/tasks", "/contacts/" + ct.ID + "/tasks/nothing", "/contacts/" + ct.ID + "/notes/nothing"} {
		_, err := c.Do(context.Background(), &ghl.Request{Path: path}, nil)
		var apiErr *ghl.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !ghl.IsNotFound(err) {
			t.Errorf("GET %s: %v, want a 400 that IsNotFound", path, err)
		}
	}
}
