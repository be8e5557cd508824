package ghltest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddToken("no-contacts", loc, "calendars.readonly")
	srv.AddToken("write-only", loc, ghltest.ScopeContactsWrite)
	c := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Ada"})
	path := "/contacts/" + c.ID
	const invalid = `{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`
	const scope = `{"statusCode":401,"message":"The token is not authorized for this scope.","error":"Unauthorized"}`
	tests := []struct {
		name   string
		method string
		tok    string
		opts   []reqOpt
		body   any
		status int
		want   string
	}{
		{"missing token", "GET", "", nil, nil, 401, invalid},
		{"unknown token", "GET", "nope", nil, nil, 401, invalid},
		{"basic scheme", "GET", "", []reqOpt{header("Authorization", "Basic "+tokRW)}, nil, 401, invalid},
		{"lower-case bearer", "GET", "", []reqOpt{header("Authorization", "bearer "+tokRW)}, nil, 200, ""},
		{"read-only token reads", "GET", tokRO, nil, nil, 200, ""},
		{"read-only token writes", "PUT", tokRO, nil, map[string]any{"firstName": "B"}, 401, scope},
		{"read-only token searches", "POST", tokRO, nil, nil, 200, ""},
		{"read-write token reads", "GET", tokRW, nil, nil, 200, ""},
		// The scopes are separate: contacts.write alone does not read.
		{"write-only token reads", "GET", "write-only", nil, nil, 401, scope},
		{"write-only token searches", "POST", "write-only", nil, nil, 401, scope},
		{"write-only token writes", "PUT", "write-only", nil, map[string]any{"lastName": "L"}, 200, ""},
		{"token without contacts scopes", "GET", "no-contacts", nil, nil, 401, scope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := path
			if tt.method == "POST" {
				p = "/contacts/search"
				tt.body = map[string]any{"locationId": loc}
			}
			r := do(t, srv, tt.method, p, tt.tok, tt.body, tt.opts...)
			if tt.want != "" {
				wantJSON(t, r, tt.status, tt.want)
			} else {
				wantStatus(t, r, tt.status)
			}
		})
	}
	if got, _ := srv.Contact(c.ID); got.FirstName != "Ada" {
		t.Errorf("read-only write changed the contact: %+v", got)
	}
}

func TestVersionHeader(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := do(t, srv, "GET", "/contacts/x", tokRW, nil, noVersion)
	wantJSON(t, r, 400, `{"statusCode":400,"message":"Version header was not found","error":"Bad Request"}`)
	r = do(t, srv, "GET", "/contacts/x", tokRW, nil, header("Version", "2021-04-15"))
	wantJSON(t, r, 400, `{"statusCode":400,"message":"Version header is invalid","error":"Bad Request"}`)
	// Authentication comes first.
	r = do(t, srv, "GET", "/contacts/x", "", nil, noVersion)
	wantStatus(t, r, 401)
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	wantJSON(t, do(t, srv, "GET", "/nope", tokRW, nil), 404, `{"statusCode":404,"message":"Cannot GET /nope","error":"Not Found"}`)
	wantJSON(t, do(t, srv, "PATCH", "/contacts/abc", tokRW, nil), 404, `{"statusCode":404,"message":"Cannot PATCH /contacts/abc","error":"Not Found"}`)
	wantStatus(t, do(t, srv, "GET", "/contacts//tasks", tokRW, nil), 404)
}

func TestLocationAccess(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	other := srv.AddContact(ghltest.Contact{LocationID: "loc2", FirstName: "Other"})
	const forbidden = `{"statusCode":403,"message":"The token does not have access to this location.","error":"Forbidden"}`
	wantJSON(t, do(t, srv, "GET", "/contacts/"+other.ID, tokRW, nil), 403, forbidden)
	wantJSON(t, do(t, srv, "GET", "/contacts/"+other.ID+"/tasks", tokRW, nil), 403, forbidden)
	wantJSON(t, do(t, srv, "GET", "/contacts/?locationId=loc2", tokRW, nil), 403, forbidden)
	wantJSON(t, do(t, srv, "POST", "/contacts/", tokRW, map[string]any{"locationId": "loc2", "firstName": "X"}), 403, forbidden)
	wantJSON(t, do(t, srv, "POST", "/contacts/search", tokRW, map[string]any{"locationId": "loc2"}), 403, forbidden)
	if n := srv.ContactCount("loc2"); n != 1 {
		t.Errorf("loc2 has %d contacts, want 1", n)
	}
}

func TestTasks(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now))
	c := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Ada"})
	base := "/contacts/" + c.ID + "/tasks"

	r := do(t, srv, "POST", base, tokRW, map[string]any{"title": "Call", "body": "about x", "dueDate": "2025-01-02T15:00:00Z", "completed": false, "assignedTo": "u1"})
	wantStatus(t, r, http.StatusCreated)
	id := r.obj(t)["task"].(map[string]any)["id"].(string)
	task := fmt.Sprintf(`{"id":%q,"title":"Call","body":"about x","assignedTo":"u1","dueDate":"2025-01-02T15:00:00.000Z","completed":false,"contactId":%q}`, id, c.ID)
	wantJSON(t, r, 201, `{"task":`+task+`}`)
	want := ghltest.Task{ID: id, ContactID: c.ID, Title: "Call", Body: "about x", AssignedTo: "u1",
		DueDate: time.Date(2025, 1, 2, 15, 0, 0, 0, time.UTC), DateAdded: clk.Now()}
	if got := srv.Tasks(c.ID); len(got) != 1 || got[0] != want {
		t.Fatalf("stored tasks = %+v, want [%+v]", got, want)
	}

	wantJSON(t, do(t, srv, "GET", base+"/"+id, tokRO, nil), 200, `{"task":`+task+`}`)
	wantJSON(t, do(t, srv, "GET", base, tokRO, nil), 200, `{"tasks":[`+task+`]}`)

	r = do(t, srv, "PUT", base+"/"+id, tokRW, map[string]any{"title": "Call back", "dueDate": "2025-01-03T09:30:00.000Z"})
	wantJSON(t, r, 200, fmt.Sprintf(`{"task":{"id":%q,"title":"Call back","body":"about x","assignedTo":"u1","dueDate":"2025-01-03T09:30:00.000Z","completed":false,"contactId":%q}}`, id, c.ID))

	r = do(t, srv, "PUT", base+"/"+id+"/completed", tokRW, map[string]any{"completed": true})
	wantStatus(t, r, 200)
	if done := r.obj(t)["task"].(map[string]any)["completed"]; done != true {
		t.Fatalf("completed = %v", done)
	}
	if got := srv.Tasks(c.ID); !got[0].Completed || got[0].Title != "Call back" {
		t.Fatalf("stored task = %+v", got[0])
	}

	wantJSON(t, do(t, srv, "DELETE", base+"/"+id, tokRW, nil), 200, `{"succeded":true}`)
	if got := srv.Tasks(c.ID); len(got) != 0 {
		t.Fatalf("tasks after delete = %+v", got)
	}
	wantJSON(t, do(t, srv, "GET", base+"/"+id, tokRO, nil), 400, `{"statusCode":400,"message":"Task not found"}`)
	wantJSON(t, do(t, srv, "GET", "/contacts/nope/tasks", tokRO, nil), 400, `{"statusCode":400,"message":"Contact not found"}`)

	// A task is only found under its own contact.
	c2 := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Bob"})
	t2 := srv.AddTask(ghltest.Task{ContactID: c2.ID, Title: "x"})
	wantStatus(t, do(t, srv, "GET", base+"/"+t2.ID, tokRO, nil), 400)
	wantStatus(t, do(t, srv, "GET", "/contacts/"+c2.ID+"/tasks/"+t2.ID, tokRO, nil), 200)
}

func TestTaskValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.AddContact(ghltest.Contact{LocationID: loc})
	tk := srv.AddTask(ghltest.Task{ContactID: c.ID, Title: "t"})
	base := "/contacts/" + c.ID + "/tasks"
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		want   string
	}{
		{"create empty", "POST", base, map[string]any{}, 422,
			`{"statusCode":422,"message":["title should not be empty","title must be a string","dueDate must be a valid ISO 8601 date string","completed must be a boolean value"],"error":"Unprocessable Entity"}`},
		{"create wrong types", "POST", base, map[string]any{"title": 1, "dueDate": "tomorrow", "completed": "yes"}, 422,
			`{"statusCode":422,"message":["title must be a string","dueDate must be a valid ISO 8601 date string","completed must be a boolean value"],"error":"Unprocessable Entity"}`},
		{"create unknown property", "POST", base, map[string]any{"title": "a", "dueDate": "2025-01-01T00:00:00Z", "completed": false, "due": "x"}, 422,
			`{"statusCode":422,"message":["property due should not exist"],"error":"Unprocessable Entity"}`},
		{"create malformed JSON", "POST", base, "{", 400,
			`{"statusCode":400,"message":"Unexpected token in JSON body","error":"Bad Request"}`},
		{"update empty title", "PUT", base + "/" + tk.ID, map[string]any{"title": ""}, 422,
			`{"statusCode":422,"message":["title should not be empty"],"error":"Unprocessable Entity"}`},
		{"complete without completed", "PUT", base + "/" + tk.ID + "/completed", map[string]any{}, 422,
			`{"statusCode":422,"message":["completed must be a boolean value"],"error":"Unprocessable Entity"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, do(t, srv, tt.method, tt.path, tokRW, tt.body), tt.status, tt.want)
		})
	}
	if got := srv.Tasks(c.ID); len(got) != 1 || got[0].Title != "t" {
		t.Errorf("invalid requests changed tasks: %+v", got)
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now))
	c := srv.AddContact(ghltest.Contact{LocationID: loc})
	base := "/contacts/" + c.ID + "/notes"

	r := do(t, srv, "POST", base, tokRW, map[string]any{"body": "hello", "userId": "u1", "title": "T", "color": "#FFAA00", "pinned": true})
	wantStatus(t, r, 201)
	id := r.obj(t)["note"].(map[string]any)["id"].(string)
	note := fmt.Sprintf(`{"id":%q,"body":"hello","userId":"u1","dateAdded":"2024-05-06T07:08:09.000Z","contactId":%q,"title":"T","color":"#FFAA00","pinned":true}`, id, c.ID)
	wantJSON(t, r, 201, `{"note":`+note+`}`)
	wantJSON(t, do(t, srv, "GET", base+"/"+id, tokRO, nil), 200, `{"note":`+note+`}`)
	wantJSON(t, do(t, srv, "GET", base, tokRO, nil), 200, `{"notes":[`+note+`]}`)

	r = do(t, srv, "PUT", base+"/"+id, tokRW, map[string]any{"body": "changed", "pinned": false})
	wantJSON(t, r, 200, fmt.Sprintf(`{"note":{"id":%q,"body":"changed","userId":"u1","dateAdded":"2024-05-06T07:08:09.000Z","contactId":%q,"title":"T","color":"#FFAA00","pinned":false}}`, id, c.ID))
	if got := srv.Notes(c.ID); len(got) != 1 || got[0].Body != "changed" || got[0].Pinned {
		t.Fatalf("stored notes = %+v", got)
	}
	wantJSON(t, do(t, srv, "POST", base, tokRW, map[string]any{"title": "x"}), 422,
		`{"statusCode":422,"message":["body should not be empty","body must be a string"],"error":"Unprocessable Entity"}`)
	wantJSON(t, do(t, srv, "PUT", base+"/"+id, tokRW, map[string]any{"pinned": "yes"}), 422,
		`{"statusCode":422,"message":["pinned must be a boolean value"],"error":"Unprocessable Entity"}`)
	wantJSON(t, do(t, srv, "DELETE", base+"/"+id, tokRW, nil), 200, `{"succeded":true}`)
	wantJSON(t, do(t, srv, "GET", base+"/"+id, tokRO, nil), 400, `{"statusCode":400,"message":"Note not found"}`)
	wantJSON(t, do(t, srv, "GET", base, tokRO, nil), 200, `{"notes":[]}`)
}

func TestContactCRUD(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now))
	r := do(t, srv, "POST", "/contacts/", tokRW, map[string]any{
		"locationId": loc, "firstName": "Ada", "lastName": "Lovelace", "email": "Ada@Example.com",
		"phone": "(555) 123-4567", "tags": []string{" VIP ", "vip", "Lead"}, "dateOfBirth": "1990-09-25",
		"customFields": []map[string]any{{"id": "cf1", "field_value": "blue"}},
		"dndSettings":  map[string]any{"SMS": map[string]any{"status": "active"}},
	})
	wantStatus(t, r, 201)
	id := r.obj(t)["contact"].(map[string]any)["id"].(string)
	wantJSON(t, r, 201, fmt.Sprintf(`{"contact":{"id":%q,"name":"Ada Lovelace","locationId":"loc1","firstName":"Ada","lastName":"Lovelace",
		"firstNameLowerCase":"ada","lastNameLowerCase":"lovelace","fullNameLowerCase":"ada lovelace","email":"Ada@Example.com",
		"emailLowerCase":"ada@example.com","phone":"+15551234567","type":"lead","dateOfBirth":"1990-09-25T00:00:00.000Z","dnd":false,
		"dndSettings":{"SMS":{"status":"active"}},"tags":["vip","lead"],"customFields":[{"id":"cf1","value":"blue"}],
		"dateAdded":"2024-05-06T07:08:09.000Z","dateUpdated":"2024-05-06T07:08:09.000Z"}}`, id))

	got := do(t, srv, "GET", "/contacts/"+id, tokRO, nil)
	wantStatus(t, got, 200)
	if got.obj(t)["contact"].(map[string]any)["phone"] != "+15551234567" {
		t.Fatalf("GET contact = %s", got.body)
	}

	clk.Advance(time.Minute)
	r = do(t, srv, "PUT", "/contacts/"+id, tokRW, map[string]any{"firstName": "Augusta", "tags": []string{"new"}, "email": nil})
	wantStatus(t, r, 200)
	m := r.obj(t)
	if m["succeded"] != true {
		t.Fatalf("update = %s", r.body)
	}
	stored, _ := srv.Contact(id)
	if stored.FirstName != "Augusta" || stored.Name != "Augusta Lovelace" || stored.Email != "" ||
		!slices.Equal(stored.Tags, []string{"new"}) || !stored.DateUpdated.Equal(clk.Now()) {
		t.Fatalf("stored after update = %+v", stored)
	}
	wantJSON(t, do(t, srv, "PUT", "/contacts/"+id, tokRW, map[string]any{"locationId": loc}), 422,
		`{"statusCode":422,"message":["property locationId should not exist"],"error":"Unprocessable Entity"}`)
	// UpdateContactDto has no companyName or gender, though the create DTO
	// has: HighLevel refuses them on update, and nothing changes.
	wantJSON(t, do(t, srv, "PUT", "/contacts/"+id, tokRW, map[string]any{"companyName": "Engines Ltd", "gender": "female", "firstName": "X"}), 422,
		`{"statusCode":422,"message":["property companyName should not exist","property gender should not exist"],"error":"Unprocessable Entity"}`)
	if got, _ := srv.Contact(id); got.FirstName != "Augusta" || got.CompanyName != stored.CompanyName {
		t.Fatalf("refused update changed the contact: %+v", got)
	}

	wantJSON(t, do(t, srv, "DELETE", "/contacts/"+id, tokRW, nil), 200, `{"succeded":true}`)
	if _, ok := srv.Contact(id); ok {
		t.Fatal("contact still stored after delete")
	}
	wantJSON(t, do(t, srv, "GET", "/contacts/"+id, tokRO, nil), 400, `{"statusCode":400,"message":"Contact not found"}`)
}

func TestContactValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		name string
		body any
		want string
	}{
		{"no location", map[string]any{"firstName": "A"}, `["locationId should not be empty","locationId must be a string"]`},
		{"bad email", map[string]any{"locationId": loc, "email": "nope"}, `["email must be an email"]`},
		{"unknown field", map[string]any{"locationId": loc, "nickname": "x"}, `["property nickname should not exist"]`},
		{"bad dnd status", map[string]any{"locationId": loc, "dndSettings": map[string]any{"SMS": map[string]any{"status": "on"}}},
			`["dndSettings.SMS.status must be one of the following values: active, inactive, permanent"]`},
		{"bad birth date", map[string]any{"locationId": loc, "dateOfBirth": "soon"}, `["dateOfBirth must be a valid date"]`},
		{"tags not strings", map[string]any{"locationId": loc, "tags": []any{1}}, `["each value in tags must be a string"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, do(t, srv, "POST", "/contacts/", tokRW, tt.body), 422,
				`{"statusCode":422,"message":`+tt.want+`,"error":"Unprocessable Entity"}`)
		})
	}
	if n := srv.ContactCount(loc); n != 0 {
		t.Errorf("%d contacts created by invalid requests", n)
	}
}

func TestDuplicateContacts(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	first := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Ada", LastName: "L", Email: "ada@example.com", Phone: "+15550001111"})
	dup := fmt.Sprintf(`{"statusCode":400,"message":"This location does not allow duplicated contacts.","error":"Bad Request","meta":{"contactName":"Ada L","contactId":%q,"matchingField":"%%s"}}`, first.ID)
	wantJSON(t, do(t, srv, "POST", "/contacts/", tokRW, map[string]any{"locationId": loc, "email": "ADA@example.com"}), 400, fmt.Sprintf(dup, "email"))
	wantJSON(t, do(t, srv, "POST", "/contacts/", tokRW, map[string]any{"locationId": loc, "phone": "555-000-1111"}), 400, fmt.Sprintf(dup, "phone"))
	other := srv.AddContact(ghltest.Contact{LocationID: loc, Email: "b@example.com"})
	wantJSON(t, do(t, srv, "PUT", "/contacts/"+other.ID, tokRW, map[string]any{"email": "ada@example.com"}), 400, fmt.Sprintf(dup, "email"))

	// Lookup.
	r := do(t, srv, "GET", "/contacts/search/duplicate?locationId=loc1&email=Ada%40example.com", tokRO, nil)
	wantStatus(t, r, 200)
	if r.obj(t)["contact"].(map[string]any)["id"] != first.ID {
		t.Fatalf("duplicate by email = %s", r.body)
	}
	r = do(t, srv, "GET", "/contacts/search/duplicate?locationId=loc1&number=%2B15550001111", tokRO, nil)
	if r.obj(t)["contact"].(map[string]any)["id"] != first.ID {
		t.Fatalf("duplicate by number = %s", r.body)
	}
	wantJSON(t, do(t, srv, "GET", "/contacts/search/duplicate?locationId=loc1&email=zed%40example.com", tokRO, nil), 200, `{"contact":null}`)
	wantStatus(t, do(t, srv, "GET", "/contacts/search/duplicate?email=zed%40example.com", tokRO, nil), 422)

	// A location that allows duplicates.
	srv.AddLocation(ghltest.Location{ID: loc, AllowDuplicateContacts: true})
	wantStatus(t, do(t, srv, "POST", "/contacts/", tokRW, map[string]any{"locationId": loc, "email": "ada@example.com"}), 201)
	if n := srv.ContactCount(loc); n != 3 {
		t.Fatalf("contacts = %d, want 3", n)
	}
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	existing := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Ada", Email: "ada@example.com"})
	r := do(t, srv, "POST", "/contacts/upsert", tokRW, map[string]any{"locationId": loc, "email": "ada@example.com", "lastName": "Lovelace"})
	wantStatus(t, r, 200)
	m := r.obj(t)
	if m["new"] != false || m["contact"].(map[string]any)["id"] != existing.ID || m["traceId"] == "" {
		t.Fatalf("upsert existing = %s", r.body)
	}
	if c, _ := srv.Contact(existing.ID); c.LastName != "Lovelace" || c.FirstName != "Ada" {
		t.Fatalf("stored = %+v", c)
	}
	r = do(t, srv, "POST", "/contacts/upsert", tokRW, map[string]any{"locationId": loc, "phone": "+15559998888", "firstName": "New"})
	wantStatus(t, r, 200)
	m = r.obj(t)
	if m["new"] != true || m["contact"].(map[string]any)["phone"] != "+15559998888" {
		t.Fatalf("upsert new = %s", r.body)
	}
	if n := srv.ContactCount(loc); n != 2 {
		t.Fatalf("contacts = %d, want 2", n)
	}
	// createNewIfDuplicateAllowed only matters when the location allows it.
	srv.AddLocation(ghltest.Location{ID: loc, AllowDuplicateContacts: true})
	r = do(t, srv, "POST", "/contacts/upsert", tokRW, map[string]any{"locationId": loc, "email": "ada@example.com", "createNewIfDuplicateAllowed": true})
	if r.obj(t)["new"] != true || srv.ContactCount(loc) != 3 {
		t.Fatalf("upsert with createNewIfDuplicateAllowed = %s", r.body)
	}
}

func TestTagsFollowersCampaignsWorkflows(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.AddContact(ghltest.Contact{LocationID: loc, Tags: []string{"a"}})
	p := "/contacts/" + c.ID
	wantJSON(t, do(t, srv, "POST", p+"/tags", tokRW, map[string]any{"tags": []string{"B", "a", "c"}}), 201, `{"tags":["a","b","c"]}`)
	wantJSON(t, do(t, srv, "DELETE", p+"/tags", tokRW, map[string]any{"tags": []string{"a", "zzz"}}), 200, `{"tags":["b","c"]}`)
	wantJSON(t, do(t, srv, "POST", p+"/tags", tokRW, map[string]any{}), 422, `{"statusCode":422,"message":["tags must be an array"],"error":"Unprocessable Entity"}`)

	wantJSON(t, do(t, srv, "POST", p+"/followers", tokRW, map[string]any{"followers": []string{"u1", "u2"}}), 201, `{"followers":["u1","u2"],"followersAdded":["u1","u2"]}`)
	wantJSON(t, do(t, srv, "POST", p+"/followers", tokRW, map[string]any{"followers": []string{"u2", "u3"}}), 201, `{"followers":["u1","u2","u3"],"followersAdded":["u3"]}`)
	wantJSON(t, do(t, srv, "DELETE", p+"/followers", tokRW, map[string]any{"followers": []string{"u1"}}), 200, `{"followers":["u2","u3"],"followersRemoved":["u1"]}`)
	if got, _ := srv.Contact(c.ID); !slices.Equal(got.Followers, []string{"u2", "u3"}) || !slices.Equal(got.Tags, []string{"b", "c"}) {
		t.Fatalf("stored = %+v", got)
	}

	wantJSON(t, do(t, srv, "POST", p+"/campaigns/camp1", tokRW, map[string]any{}), 201, `{"succeded":true}`)
	wantJSON(t, do(t, srv, "POST", p+"/campaigns/camp2", tokRW, map[string]any{}), 201, `{"succeded":true}`)
	wantJSON(t, do(t, srv, "DELETE", p+"/campaigns/camp1", tokRW, nil), 200, `{"succeded":true}`)
	if got := srv.Campaigns(c.ID); !slices.Equal(got, []string{"camp2"}) {
		t.Fatalf("campaigns = %v", got)
	}
	wantJSON(t, do(t, srv, "DELETE", p+"/campaigns/removeAll", tokRW, nil), 200, `{"succeded":true}`)
	if got := srv.Campaigns(c.ID); len(got) != 0 {
		t.Fatalf("campaigns after removeAll = %v", got)
	}

	wantJSON(t, do(t, srv, "POST", p+"/workflow/wf1", tokRW, map[string]any{"eventStartTime": "2021-06-23T03:30:00+01:00"}), 200, `{"succeded":true}`)
	wantJSON(t, do(t, srv, "POST", p+"/workflow/wf1", tokRW, map[string]any{"eventStartTime": "later"}), 422,
		`{"statusCode":422,"message":["eventStartTime must be a valid ISO 8601 date string"],"error":"Unprocessable Entity"}`)
	if got := srv.Workflows(c.ID); !slices.Equal(got, []string{"wf1"}) {
		t.Fatalf("workflows = %v", got)
	}
	wantJSON(t, do(t, srv, "DELETE", p+"/workflow/wf1", tokRW, map[string]any{}), 200, `{"succeded":true}`)
	if got := srv.Workflows(c.ID); len(got) != 0 {
		t.Fatalf("workflows after delete = %v", got)
	}
}

func TestAppointmentsAndBusiness(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	biz := srv.AddBusiness(ghltest.Business{LocationID: loc, Name: "Acme"})
	c := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Ada", BusinessID: biz.ID})
	srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Bob"})
	start := time.Date(2021, 7, 16, 11, 0, 0, 0, time.UTC)
	a := srv.AddAppointment(ghltest.Appointment{ContactID: c.ID, CalendarID: "cal1", Title: "Demo", Status: "booked",
		AppointmentStatus: "confirmed", StartTime: start, EndTime: start.Add(30 * time.Minute), DateAdded: start, Users: []string{"u1"}})
	wantJSON(t, do(t, srv, "GET", "/contacts/"+c.ID+"/appointments", tokRO, nil), 200, fmt.Sprintf(`{"events":[{"id":%q,"calendarId":"cal1",
		"status":"booked","title":"Demo","startTime":"2021-07-16T11:00:00.000Z","endTime":"2021-07-16T11:30:00.000Z","locationId":"loc1",
		"contactId":%q,"appointmentStatus":"confirmed","users":["u1"],"dateAdded":"2021-07-16T11:00:00.000Z","dateUpdated":"2021-07-16T11:00:00.000Z"}]}`, a.ID, c.ID))

	r := do(t, srv, "GET", "/contacts/business/"+biz.ID+"?locationId=loc1", tokRO, nil)
	wantStatus(t, r, 200)
	m := r.obj(t)
	if m["count"] != 1.0 || len(m["contacts"].([]any)) != 1 || m["contacts"].([]any)[0].(map[string]any)["id"] != c.ID {
		t.Fatalf("contacts by business = %s", r.body)
	}

	// Bulk: move both into another business, then out of any.
	bob := srv.Contacts(loc)[1]
	r = do(t, srv, "POST", "/contacts/bulk/business", tokRW, map[string]any{"locationId": loc, "ids": []string{c.ID, bob.ID, "missing"}, "businessId": "biz2"})
	wantJSON(t, r, 200, fmt.Sprintf(`{"success":true,"ids":[%q,%q]}`, c.ID, bob.ID))
	if got, _ := srv.Contact(bob.ID); got.BusinessID != "biz2" {
		t.Fatalf("bob = %+v", got)
	}
	wantStatus(t, do(t, srv, "POST", "/contacts/bulk/business", tokRW, map[string]any{"locationId": loc, "ids": []string{bob.ID}, "businessId": nil}), 200)
	if got, _ := srv.Contact(bob.ID); got.BusinessID != "" {
		t.Fatalf("bob after null business = %+v", got)
	}
}

func TestBulkTags(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := srv.AddContact(ghltest.Contact{LocationID: loc, Tags: []string{"old"}})
	other := srv.AddContact(ghltest.Contact{LocationID: "loc2"})
	r := do(t, srv, "POST", "/contacts/bulk/tags/update/add", tokRW, map[string]any{"locationId": loc, "contacts": []string{a.ID, "abcdef", other.ID, "AAAAAAAAAAAAAAAAAAAA"}, "tags": []string{"New"}})
	wantJSON(t, r, 201, fmt.Sprintf(`{"succeded":true,"errorCount":3,"responses":[
		{"contactId":%q,"message":"Tags updated","type":"success","oldTags":["old"],"tagsAdded":["new"],"tagsRemoved":[]},
		{"contactId":"abcdef","message":"contact id is not a valid firebase id","type":"error"},
		{"contactId":%q,"message":"contact does not belong to location","type":"error"},
		{"contactId":"AAAAAAAAAAAAAAAAAAAA","message":"contact not found","type":"error"}]}`, a.ID, other.ID))
	r = do(t, srv, "POST", "/contacts/bulk/tags/update/remove", tokRW, map[string]any{"locationId": loc, "contacts": []string{a.ID}, "tags": []string{}, "removeAllTags": true})
	wantStatus(t, r, 201)
	if got, _ := srv.Contact(a.ID); len(got.Tags) != 0 {
		t.Fatalf("tags after removeAll = %v", got.Tags)
	}
	wantJSON(t, do(t, srv, "POST", "/contacts/bulk/tags/update/toggle", tokRW, map[string]any{"locationId": loc, "contacts": []string{}, "tags": []string{}}), 422,
		`{"statusCode":422,"message":["type must be one of the following values: add, remove"],"error":"Unprocessable Entity"}`)
	wantStatus(t, do(t, srv, "POST", "/contacts/bulk/tags/update/add", tokRO, map[string]any{"locationId": loc, "contacts": []string{}, "tags": []string{}}), 401)
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9]{20}$`)

func TestDeterministicIDs(t *testing.T) {
	t.Parallel()
	ids := func(seed int64) []string {
		srv := newServer(t, ghltest.WithSeed(seed))
		var out []string
		for range 3 {
			r := do(t, srv, "POST", "/contacts/", tokRW, map[string]any{"locationId": loc})
			id := r.obj(t)["contact"].(map[string]any)["id"].(string)
			out = append(out, id)
		}
		out = append(out, srv.AddTask(ghltest.Task{ContactID: out[0], Title: "t"}).ID)
		return out
	}
	a, b, c := ids(7), ids(7), ids(8)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed gave %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("different seeds gave the same IDs %v", a)
	}
	for _, id := range append(a, c...) {
		if !idPattern.MatchString(id) {
			t.Errorf("ID %q is not 20 alphanumerics", id)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(a)))) != len(a) {
		t.Errorf("IDs repeat: %v", a)
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	do(t, srv, "POST", "/contacts/search?x=1", tokRO, map[string]any{"locationId": loc}, header("Cookie", "session=secret"))
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("log has %d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/contacts/search" || r.Query["x"][0] != "1" || string(r.Body) != `{"locationId":"loc1"}` {
		t.Fatalf("logged %+v", r)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer REDACTED" {
		t.Errorf("Authorization logged as %q", got)
	}
	if got := r.Header.Get("Cookie"); got != "REDACTED" {
		t.Errorf("Cookie logged as %q", got)
	}
	if got := r.Header.Get("Version"); got != ghltest.APIVersion {
		t.Errorf("Version logged as %q", got)
	}
	srv.ResetRequests()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("log has %d requests after reset", n)
	}
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.AddContact(ghltest.Contact{LocationID: loc})
	const n = 20
	errs := make(chan string, n)
	for i := range n {
		go func() {
			// No t.Fatal off the test goroutine: report through errs.
			body := fmt.Sprintf(`{"title":"%d","dueDate":"2025-01-01T00:00:00Z","completed":false}`, i)
			req, _ := http.NewRequest("POST", srv.URL+"/contacts/"+c.ID+"/tasks", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tokRW)
			req.Header.Set("Version", ghltest.APIVersion)
			resp, err := srv.Client().Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				errs <- resp.Status
				return
			}
			errs <- ""
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	tasks := srv.Tasks(c.ID)
	seen := map[string]bool{}
	for _, tk := range tasks {
		seen[tk.ID] = true
	}
	if len(tasks) != n || len(seen) != n {
		t.Fatalf("%d tasks, %d distinct IDs; want %d", len(tasks), len(seen), n)
	}
}

func TestSeedHelpers(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddLocation(ghltest.Location{ID: "locZ", CompanyID: "co", Name: "Z"})
	if l, ok := srv.Location("locZ"); !ok || l.CompanyID != "co" || l.Name != "Z" {
		t.Fatalf("Location = %+v %v", l, ok)
	}
	c := srv.AddContact(ghltest.Contact{ID: "custom-id", LocationID: loc, FirstName: "A", LastName: "B", Phone: "555 111 2222", Tags: []string{"X"}})
	if c.ID != "custom-id" || c.Name != "A B" || c.Phone != "+15551112222" || !slices.Equal(c.Tags, []string{"x"}) || c.DateAdded.IsZero() {
		t.Fatalf("AddContact = %+v", c)
	}
	u, ok := srv.UpdateContact(ghltest.Contact{ID: c.ID, Name: "Custom Name", Email: "e@example.com"})
	if !ok || u.Name != "Custom Name" || u.Email != "e@example.com" || u.LocationID != loc || !u.DateAdded.Equal(c.DateAdded) {
		t.Fatalf("UpdateContact = %+v", u)
	}
	if _, ok := srv.UpdateContact(ghltest.Contact{ID: "nope"}); ok {
		t.Fatal("UpdateContact of an unknown contact succeeded")
	}
	n := srv.AddNote(ghltest.Note{ContactID: c.ID, Body: "b"})
	if got := srv.Notes(c.ID); len(got) != 1 || got[0] != n {
		t.Fatalf("Notes = %+v", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("AddTask on an unknown contact did not panic")
			}
		}()
		srv.AddTask(ghltest.Task{ContactID: "nope"})
	}()
	if !srv.DeleteContact(c.ID) || srv.DeleteContact(c.ID) {
		t.Fatal("DeleteContact did not report existence")
	}
	if srv.Notes(c.ID) != nil || srv.ContactCount(loc) != 0 {
		t.Fatal("contact data left after delete")
	}
}
