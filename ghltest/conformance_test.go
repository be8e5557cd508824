package ghltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/internal/spectest"
)

// conformance drives the server with plain HTTP and validates every
// exchange against the specification.
type conformance struct {
	t    *testing.T
	spec *spectest.Spec
	srv  *Server
	mu   sync.Mutex
	hit  map[string]bool // "METHOD /pattern" answered with 2xx
}

// exchange sends a request. When valid, the request must conform to the
// spec; the response must conform in every case. It returns the status and
// the decoded JSON body.
func (c *conformance) exchange(valid bool, method, path, tok string, body any) (int, map[string]any) {
	c.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
	}
	h := http.Header{}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	h.Set("Version", APIVersion)
	if raw != nil {
		h.Set("Content-Type", "application/json")
	}
	return c.send(valid, method, path, h, raw)
}

func (c *conformance) send(valid bool, method, path string, h http.Header, raw []byte) (int, map[string]any) {
	c.t.Helper()
	u := c.srv.URL + path
	if valid {
		if err := c.spec.ValidateRequest(method, u, h, raw); err != nil {
			c.t.Errorf("request does not conform: %v", err)
		}
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.spec.ValidateResponse(method, u, h, raw, resp.StatusCode, resp.Header, out); err != nil {
		c.t.Errorf("response does not conform: %v\nbody: %s", err, out)
	}
	if resp.StatusCode < 300 {
		pu, _ := url.Parse(u)
		if rt, _, ok := matchRoute(method, pu.EscapedPath()); ok {
			c.mu.Lock()
			c.hit[rt.method+" "+rt.pattern] = true
			c.mu.Unlock()
		}
	}
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return resp.StatusCode, m
}

// ok sends a valid request and requires status want.
func (c *conformance) ok(want int, method, path, tok string, body any) map[string]any {
	c.t.Helper()
	status, m := c.exchange(true, method, path, tok, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, status, want, m)
	}
	return m
}

func idOf(m map[string]any, key string) string {
	return m[key].(map[string]any)["id"].(string)
}

func TestConformance(t *testing.T) {
	spec := spectest.Load(t)
	t.Parallel()
	srv := NewServer(WithoutRateLimit())
	t.Cleanup(srv.Close)
	const loc, rw = "ve9EPM428h8vShlRW1KT", "rw-token"
	srv.AddToken(rw, loc, ScopeContactsReadOnly, ScopeContactsWrite)
	c := &conformance{t: t, spec: spec, srv: srv, hit: map[string]bool{}}

	// The route table is exactly the spec's operations.
	var table []string
	for _, rt := range routes {
		table = append(table, rt.method+" "+rt.pattern)
	}
	specOps := spec.OperationsOf("apps/contacts.json")
	slices.Sort(table)
	slices.Sort(specOps)
	if !slices.Equal(table, specOps) {
		t.Fatalf("routes differ from apps/contacts.json:\nroutes: %v\nspec:   %v", table, specOps)
	}

	// Contacts.
	created := c.ok(201, "POST", "/contacts/", rw, map[string]any{
		"locationId": loc, "firstName": "Rosan", "lastName": "Deo", "email": "rosan@deos.com", "phone": "+1 888-888-8888",
		"gender": "male", "address1": "3535 1st St N", "city": "Dolomite", "state": "AL", "postalCode": "35061",
		"website": "https://www.tesla.com", "timezone": "America/Chihuahua", "dnd": false, "source": "public api",
		"country": "US", "companyName": "DGS VolMAX", "assignedTo": "y0BeYjuRIlDwsDcOHOJo", "dateOfBirth": "1990-09-25",
		"tags":               []string{"nisi sint commodo amet", "consequat"},
		"dndSettings":        map[string]any{"Call": map[string]any{"status": "active", "message": "m", "code": "c"}},
		"inboundDndSettings": map[string]any{"all": map[string]any{"status": "inactive"}},
		"customFields":       []any{map[string]any{"id": "6dvNaf7VhkQ9snc5vnjJ", "field_value": "My Text"}, map[string]any{"id": "num", "field_value": 100}},
	})
	id := idOf(created, "contact")
	c.ok(200, "GET", "/contacts/"+id, rw, nil)
	c.ok(200, "PUT", "/contacts/"+id, rw, map[string]any{"firstName": "rosan", "dateOfBirth": nil, "tags": []string{"a"}})
	for i := range 5 {
		srv.AddContact(Contact{LocationID: loc, FirstName: "Seed", LastName: string(rune('a' + i)), DateAdded: time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)})
	}
	page := c.ok(200, "GET", "/contacts/?locationId="+loc+"&limit=2", rw, nil)
	meta := page["meta"].(map[string]any)
	c.ok(200, "GET", "/contacts/?locationId="+loc+"&limit=2&startAfterId="+meta["startAfterId"].(string)+"&startAfter="+strconv.FormatInt(int64(meta["startAfter"].(float64)), 10), rw, nil)
	c.ok(200, "GET", "/contacts?locationId="+loc+"&query=seed", rw, nil)
	c.ok(200, "POST", "/contacts/search", rw, map[string]any{"locationId": loc, "pageLimit": 2, "filters": []any{map[string]any{"field": "tags", "operator": "contains", "value": "a"}},
		"sort": []any{map[string]any{"field": "dateAdded", "direction": "desc"}}})
	c.ok(200, "GET", "/contacts/search/duplicate?locationId="+loc+"&email=rosan%40deos.com", rw, nil)
	c.ok(200, "GET", "/contacts/search/duplicate?locationId="+loc+"&number=%2B18888888888", rw, nil)
	c.ok(200, "POST", "/contacts/upsert", rw, map[string]any{"locationId": loc, "email": "rosan@deos.com", "city": "Mobile"})
	up := c.ok(200, "POST", "/contacts/upsert", rw, map[string]any{"locationId": loc, "email": "new@deos.com", "createNewIfDuplicateAllowed": false})
	other := idOf(up, "contact")
	c.ok(200, "POST", "/contacts/bulk/business", rw, map[string]any{"locationId": loc, "ids": []string{id, other}, "businessId": "63b7ec34ea409a9a8bd2a4ff"})
	c.ok(200, "GET", "/contacts/business/63b7ec34ea409a9a8bd2a4ff?locationId="+loc+"&limit=10&skip=0", rw, nil)
	c.ok(200, "POST", "/contacts/bulk/business", rw, map[string]any{"locationId": loc, "ids": []string{other}, "businessId": nil})
	c.ok(201, "POST", "/contacts/bulk/tags/update/add", rw, map[string]any{"locationId": loc, "contacts": []string{id, "abcdef"}, "tags": []string{"tag-1"}})
	c.ok(201, "POST", "/contacts/bulk/tags/update/remove", rw, map[string]any{"locationId": loc, "contacts": []string{id}, "tags": []string{}, "removeAllTags": true})

	// Tags, followers, campaigns, workflows, appointments.
	p := "/contacts/" + id
	c.ok(201, "POST", p+"/tags", rw, map[string]any{"tags": []string{"minim", "velit magna"}})
	c.ok(200, "DELETE", p+"/tags", rw, map[string]any{"tags": []string{"minim"}})
	c.ok(201, "POST", p+"/followers", rw, map[string]any{"followers": []string{"sx6wyHhbFdRXh302Lunr"}})
	c.ok(200, "DELETE", p+"/followers", rw, map[string]any{"followers": []string{"sx6wyHhbFdRXh302Lunr"}})
	c.ok(201, "POST", p+"/campaigns/Y2I9XM7aO1hncuSOlc9L", rw, map[string]any{})
	c.ok(200, "DELETE", p+"/campaigns/Y2I9XM7aO1hncuSOlc9L", rw, nil)
	c.ok(200, "DELETE", p+"/campaigns/removeAll", rw, nil)
	c.ok(200, "POST", p+"/workflow/sx6wyHhbFdRXh302LLNR", rw, map[string]any{"eventStartTime": "2021-06-23T03:30:00+01:00"})
	c.ok(200, "DELETE", p+"/workflow/sx6wyHhbFdRXh302LLNR", rw, map[string]any{"eventStartTime": "2021-06-23T03:30:00+01:00"})
	start := time.Date(2021, 7, 16, 11, 0, 0, 0, time.UTC)
	srv.AddAppointment(Appointment{ContactID: id, CalendarID: "cal", Title: "Test", Status: "booked", StartTime: start, EndTime: start.Add(time.Hour), Users: []string{"u"}})
	c.ok(200, "GET", p+"/appointments", rw, nil)

	// Tasks.
	c.ok(200, "GET", p+"/tasks", rw, nil)
	task := idOf(c.ok(201, "POST", p+"/tasks", rw, map[string]any{"title": "First Task", "body": "loram ipsum", "dueDate": "2020-10-25T11:00:00Z", "completed": false, "assignedTo": "hxHGVRb1YJUscrCB8eXK"}), "task")
	c.ok(200, "GET", p+"/tasks/"+task, rw, nil)
	c.ok(200, "PUT", p+"/tasks/"+task, rw, map[string]any{"title": "Second"})
	c.ok(200, "PUT", p+"/tasks/"+task+"/completed", rw, map[string]any{"completed": true})
	c.ok(200, "GET", p+"/tasks", rw, nil)
	c.ok(200, "DELETE", p+"/tasks/"+task, rw, nil)

	// Notes.
	note := idOf(c.ok(201, "POST", p+"/notes", rw, map[string]any{"body": "lorem ipsum", "userId": "GCs5KuzPqTls7vWclkEV", "title": "Follow-up summary", "color": "#FFAA00", "pinned": false}), "note")
	c.ok(200, "GET", p+"/notes", rw, nil)
	c.ok(200, "GET", p+"/notes/"+note, rw, nil)
	c.ok(200, "PUT", p+"/notes/"+note, rw, map[string]any{"body": "changed", "pinned": true})
	c.ok(200, "DELETE", p+"/notes/"+note, rw, nil)

	// Error bodies the spec documents.
	if s, _ := c.exchange(false, "GET", p+"/tasks", "", nil); s != 401 {
		t.Errorf("no token: %d", s)
	}
	if s, _ := c.exchange(false, "POST", p+"/tasks", rw, map[string]any{"title": 1}); s != 422 {
		t.Errorf("bad task: %d", s)
	}
	if s, _ := c.exchange(false, "POST", "/contacts/", rw, map[string]any{"locationId": loc, "email": "rosan@deos.com"}); s != 400 {
		t.Errorf("duplicate: %d", s)
	}
	if s, _ := c.exchange(false, "POST", p+"/notes", rw, map[string]any{}); s != 422 {
		t.Errorf("bad note: %d", s)
	}

	c.ok(200, "DELETE", p, rw, nil)

	for _, rt := range table {
		if !c.hit[rt] {
			t.Errorf("route %s not exercised with a successful response", rt)
		}
	}

	// OAuth (apps/oauth.json).
	srv.AddOAuthClient("app", "secret")
	srv.AddLocation(Location{ID: loc, CompanyID: "co1"})
	form := func(kv ...string) []byte {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return []byte(v.Encode())
	}
	fh := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	code := srv.Authorize(Install{ClientID: "app", UserType: "Company", CompanyID: "co1", Scopes: []string{ScopeOAuthWrite, ScopeContactsReadOnly}})
	status, tok := c.send(true, "POST", "/oauth/token", fh, form("client_id", "app", "client_secret", "secret", "grant_type", "authorization_code", "code", code, "user_type", "Company"))
	if status != 200 {
		t.Fatalf("token: %d %v", status, tok)
	}
	status, _ = c.send(true, "POST", "/oauth/token", fh, form("client_id", "app", "client_secret", "secret", "grant_type", "refresh_token", "refresh_token", tok["refresh_token"].(string)))
	if status != 200 {
		t.Fatalf("refresh: %d", status)
	}
	lh := fh.Clone()
	lh.Set("Authorization", "Bearer "+tok["access_token"].(string))
	lh.Set("Version", APIVersion)
	if status, m := c.send(true, "POST", "/oauth/locationToken", lh, form("companyId", "co1", "locationId", loc)); status != 200 {
		t.Fatalf("location token: %d %v", status, m)
	}
	// A spent refresh token: the spec's 400 body.
	if status, m := c.send(true, "POST", "/oauth/token", fh, form("client_id", "app", "client_secret", "secret", "grant_type", "refresh_token", "refresh_token", tok["refresh_token"].(string))); status != 400 {
		t.Fatalf("spent refresh token: %d %v", status, m)
	}
	srv.AddCompanyToken("agency-ro", "co1", ScopeOAuthReadOnly)
	ih := http.Header{"Authorization": {"Bearer agency-ro"}, "Version": {APIVersion}}
	status, m := c.send(true, "GET", "/oauth/installedLocations?companyId=co1&appId=app&skip=0&limit=10&isInstalled=true", ih, nil)
	if status != 200 || m["count"] != float64(1) {
		t.Fatalf("installed locations: %d %v", status, m)
	}
}
