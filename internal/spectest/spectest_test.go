package spectest

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

var good = hdr("Authorization", "Bearer tok", "Version", "2021-07-28", "Content-Type", "application/json")

func TestValidateRequest(t *testing.T) {
	t.Parallel()
	s := Load(t)
	base := "http://127.0.0.1:1234"
	tests := []struct {
		name    string
		method  string
		path    string
		header  http.Header
		body    string
		wantErr string // substring; "" means valid
	}{
		{"task list", "GET", "/contacts/abc/tasks", good, "", ""},
		{"missing Version", "GET", "/contacts/abc/tasks", hdr("Authorization", "Bearer tok"), "", "Version"},
		{"wrong Version", "GET", "/contacts/abc/tasks", hdr("Authorization", "Bearer tok", "Version", "2021-04-15"), "", "Version"},
		{"no token", "GET", "/contacts/abc/tasks", hdr("Version", "2021-07-28"), "", "bearer"},
		{"create task", "POST", "/contacts/abc/tasks", good, `{"title":"t","dueDate":"2020-10-25T11:00:00Z","completed":false}`, ""},
		{"create task without title", "POST", "/contacts/abc/tasks", good, `{"dueDate":"2020-10-25T11:00:00Z","completed":false}`, "title"},
		{"create task with a number title", "POST", "/contacts/abc/tasks", good, `{"title":1,"dueDate":"x","completed":false}`, "title"},
		{"list without trailing slash", "GET", "/contacts?locationId=loc", good, "", ""},
		{"list without locationId", "GET", "/contacts/", good, "", "locationId"},
		{"contact with a string birth date", "POST", "/contacts/", good, `{"locationId":"loc","dateOfBirth":"1990-09-25"}`, ""},
		{"bulk tags", "POST", "/contacts/bulk/tags/update/add", good, `{"contacts":["a"],"tags":["x"],"locationId":"loc"}`, ""},
		{"unknown path", "GET", "/nope", good, "", "no matching operation"},
		{"oauth token", "POST", "/oauth/token", hdr("Content-Type", "application/x-www-form-urlencoded"), "client_id=a&client_secret=b&grant_type=refresh_token&refresh_token=r", ""},
		{"oauth token without client", "POST", "/oauth/token", hdr("Content-Type", "application/x-www-form-urlencoded"), "grant_type=refresh_token", "client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			err := s.ValidateRequest(tt.method, base+tt.path, tt.header, body)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want one mentioning %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	t.Parallel()
	s := Load(t)
	u := "http://127.0.0.1:1234/contacts/abc/tasks"
	req := []byte(`{"title":"t","dueDate":"2020-10-25T11:00:00Z","completed":false}`)
	js := hdr("Content-Type", "application/json; charset=utf-8")
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"created", 201, `{"task":{"id":"x","title":"t","dueDate":"2020-10-25T11:00:00.000Z","completed":false,"contactId":"abc"}}`, ""},
		{"wrong type", 201, `{"task":{"id":"x","completed":"yes"}}`, "completed"},
		{"undeclared 2xx", 200, `{"task":{}}`, "does not declare"},
		{"undeclared error status", 404, `{"statusCode":404,"message":"Contact not found","error":"Not Found"}`, ""},
		{"422 with a list", 422, `{"statusCode":422,"message":["title should not be empty"],"error":"Unprocessable Entity"}`, ""},
		{"422 with a string", 422, `{"statusCode":422,"message":"bad","error":"Unprocessable Entity"}`, "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateResponse("POST", u, good, req, tt.status, js, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want one mentioning %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
	// The bulk tags response holds objects, as HighLevel returns.
	bulkReq := []byte(`{"contacts":["a"],"tags":["x"],"locationId":"loc"}`)
	bulkResp := []byte(`{"succeded":true,"errorCount":0,"responses":[{"contactId":"a","message":"Tags updated","type":"success"}]}`)
	if err := s.ValidateResponse("POST", "http://h/contacts/bulk/tags/update/add", good, bulkReq, 201, js, bulkResp); err != nil {
		t.Fatal(err)
	}
}

func TestLoadResolvesRelativeDir(t *testing.T) {
	t.Parallel()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		t.Skip(EnvVar + " not set")
	}
	abs := dir
	if !filepath.IsAbs(dir) {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		abs = filepath.Join(root, dir)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := loadDir(rel)
	if err != nil {
		t.Fatalf("relative %q: %v", rel, err)
	}
	ops := s.OperationsOf("apps/contacts.json")
	if len(ops) != 32 || !slices.Contains(ops, "GET /contacts/") || slices.Contains(ops, "POST /oauth/token") {
		t.Fatalf("operations %v", ops)
	}
	if !slices.Contains(s.Operations(), "POST /oauth/token") {
		t.Fatalf("oauth.json not loaded: %v", s.Operations())
	}
	if _, err := loadDir("does/not/exist"); err == nil {
		t.Fatal("loading a missing directory succeeded")
	}
}
