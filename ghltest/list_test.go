package ghltest_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func contactIDs(t *testing.T, m map[string]any) []string {
	t.Helper()
	var ids []string
	for _, c := range m["contacts"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	return ids
}

func storedIDs(srv *ghltest.Server) []string {
	var ids []string
	for _, c := range srv.Contacts(loc) {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestListContactsPaging(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now))
	srv.SeedContacts(loc, 250)
	all := storedIDs(srv)
	if len(all) != 250 {
		t.Fatalf("seeded %d contacts", len(all))
	}

	var got []string
	path := "/contacts/?locationId=loc1&limit=100"
	for page := 1; ; page++ {
		r := do(t, srv, "GET", path, tokRO, nil)
		wantStatus(t, r, 200)
		m := r.obj(t)
		meta := m["meta"].(map[string]any)
		ids := contactIDs(t, m)
		got = append(got, ids...)
		if meta["total"] != 250.0 || m["count"] != 250.0 || meta["currentPage"] != float64(page) {
			t.Fatalf("page %d: meta %v count %v", page, meta, m["count"])
		}
		if page == 1 && meta["prevPage"] != nil {
			t.Fatalf("page 1 prevPage = %v", meta["prevPage"])
		}
		if page > 1 && meta["prevPage"] != float64(page-1) {
			t.Fatalf("page %d prevPage = %v", page, meta["prevPage"])
		}
		next, ok := meta["nextPageUrl"].(string)
		if page == 3 {
			if ok || meta["startAfterId"] != nil || meta["nextPage"] != nil || len(ids) != 50 {
				t.Fatalf("last page: %d contacts, meta %v", len(ids), meta)
			}
			break
		}
		if len(ids) != 100 || meta["startAfterId"] != ids[99] || meta["nextPage"] != float64(page+1) {
			t.Fatalf("page %d: %d contacts, meta %v", page, len(ids), meta)
		}
		u, err := url.Parse(next)
		if err != nil || u.Host != strings.TrimPrefix(srv.URL, "http://") {
			t.Fatalf("nextPageUrl %q", next)
		}
		if u.Query().Get("startAfterId") != ids[99] || u.Query().Get("startAfter") != fmt.Sprint(int64(meta["startAfter"].(float64))) {
			t.Fatalf("nextPageUrl %q does not carry the cursor %v", next, meta)
		}
		path = u.RequestURI()
	}
	if !slices.Equal(got, all) {
		t.Fatalf("paged IDs differ from stored order")
	}

	// startAfterId alone is enough.
	r := do(t, srv, "GET", "/contacts/?locationId=loc1&limit=2&startAfterId="+all[9], tokRO, nil)
	if ids := contactIDs(t, r.obj(t)); !slices.Equal(ids, all[10:12]) {
		t.Fatalf("startAfterId page = %v, want %v", ids, all[10:12])
	}
	// Free-text query: First12, First120..First129.
	r = do(t, srv, "GET", "/contacts/?locationId=loc1&query=first12", tokRO, nil)
	if m := r.obj(t); m["count"] != 11.0 || len(contactIDs(t, m)) != 11 {
		t.Fatalf("query page = %s", r.body)
	}
	wantJSON(t, do(t, srv, "GET", "/contacts/?locationId=loc1&limit=101", tokRO, nil), 422,
		`{"statusCode":422,"message":["limit must not be greater than 100"],"error":"Unprocessable Entity"}`)
	wantJSON(t, do(t, srv, "GET", "/contacts/?limit=10", tokRO, nil), 422,
		`{"statusCode":422,"message":["locationId should not be empty","locationId must be a string"],"error":"Unprocessable Entity"}`)
	// Without the trailing slash too.
	r = do(t, srv, "GET", "/contacts?locationId=loc1&limit=1", tokRO, nil)
	if ids := contactIDs(t, r.obj(t)); !slices.Equal(ids, all[:1]) {
		t.Fatalf("GET /contacts = %v", ids)
	}
}

func search(t *testing.T, srv *ghltest.Server, body map[string]any) map[string]any {
	t.Helper()
	body["locationId"] = loc
	r := do(t, srv, "POST", "/contacts/search", tokRO, body)
	wantStatus(t, r, 200)
	return r.obj(t)
}

func TestSearchPaging(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SeedContacts(loc, 250)
	asc := storedIDs(srv)
	desc := slices.Clone(asc)
	slices.Reverse(desc)

	// Default order is dateAdded, newest first; walk it with searchAfter.
	var got []string
	var after []any
	for {
		body := map[string]any{"pageLimit": 100}
		if after != nil {
			body["searchAfter"] = after
		}
		m := search(t, srv, body)
		if m["total"] != 250.0 {
			t.Fatalf("total = %v", m["total"])
		}
		cs := m["contacts"].([]any)
		if len(cs) == 0 {
			break
		}
		got = append(got, contactIDs(t, m)...)
		after = cs[len(cs)-1].(map[string]any)["searchAfter"].([]any)
	}
	if !slices.Equal(got, desc) {
		t.Fatalf("searchAfter walk returned %d IDs, not newest first", len(got))
	}

	// Pages by number, ascending.
	m := search(t, srv, map[string]any{"page": 2, "pageLimit": 100, "sort": []map[string]any{{"field": "dateAdded", "direction": "asc"}}})
	if ids := contactIDs(t, m); !slices.Equal(ids, asc[100:200]) {
		t.Fatalf("page 2 asc differs")
	}
	// Sort by another field, paged with searchAfter.
	sortByName := []map[string]any{{"field": "firstNameLowerCase", "direction": "asc"}}
	byName := slices.Clone(srv.Contacts(loc))
	slices.SortFunc(byName, func(a, b ghltest.Contact) int {
		return strings.Compare(strings.ToLower(a.FirstName), strings.ToLower(b.FirstName))
	})
	m = search(t, srv, map[string]any{"pageLimit": 3, "sort": sortByName})
	first := m["contacts"].([]any)
	m = search(t, srv, map[string]any{"pageLimit": 3, "sort": sortByName, "searchAfter": first[2].(map[string]any)["searchAfter"]})
	got = append(contactIDs(t, map[string]any{"contacts": first}), contactIDs(t, m)...)
	var want []string
	for _, c := range byName[:6] {
		want = append(want, c.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sorted by name = %v, want %v", got, want)
	}
}

func TestSearchFilters(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now))
	ada := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Ada", Email: "ada@example.com", Phone: "+15550000001", Tags: []string{"vip", "lead"}, CompanyName: "Analytical"})
	clk.Advance(time.Second)
	bob := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Bob", Email: "bob@example.com", Tags: []string{"lead"}, DND: true})
	clk.Advance(time.Second)
	cyd := srv.AddContact(ghltest.Contact{LocationID: loc, FirstName: "Cyd"})
	srv.AddContact(ghltest.Contact{LocationID: "loc2", FirstName: "Ada"})

	f := func(field, op string, value any) map[string]any {
		m := map[string]any{"field": field, "operator": op}
		if value != nil {
			m["value"] = value
		}
		return m
	}
	tests := []struct {
		name    string
		filters []any
		query   string
		want    []string // newest first
	}{
		{"email eq, case-insensitive", []any{f("email", "eq", "ADA@example.com")}, "", []string{ada.ID}},
		{"phone eq normalizes", []any{f("phone", "eq", "(555) 000-0001")}, "", []string{ada.ID}},
		{"tags eq any", []any{f("tags", "eq", []string{"vip", "nothing"})}, "", []string{ada.ID}},
		{"tags contains", []any{f("tags", "contains", "lead")}, "", []string{bob.ID, ada.ID}},
		{"tags not_contains", []any{f("tags", "not_contains", "vip")}, "", []string{cyd.ID, bob.ID}},
		{"email exists", []any{f("email", "exists", nil)}, "", []string{bob.ID, ada.ID}},
		{"email not_exists", []any{f("email", "not_exists", nil)}, "", []string{cyd.ID}},
		{"firstName contains", []any{f("firstNameLowerCase", "contains", "y")}, "", []string{cyd.ID}},
		{"dnd", []any{f("dnd", "eq", true)}, "", []string{bob.ID}},
		{"dateAdded range", []any{f("dateAdded", "range", map[string]any{"gt": ada.DateAdded.UnixMilli(), "lte": bob.DateAdded.Format("2006-01-02T15:04:05.000Z")})}, "", []string{bob.ID}},
		{"OR group", []any{map[string]any{"group": "OR", "filters": []any{f("firstNameLowerCase", "eq", "ada"), f("firstNameLowerCase", "eq", "cyd")}}}, "", []string{cyd.ID, ada.ID}},
		{"AND with query", []any{f("tags", "contains", "lead")}, "analyt", []string{ada.ID}},
		{"query only", nil, "bob@", []string{bob.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{}
			if tt.filters != nil {
				body["filters"] = tt.filters
			}
			if tt.query != "" {
				body["query"] = tt.query
			}
			m := search(t, srv, body)
			if ids := contactIDs(t, m); !slices.Equal(ids, tt.want) || m["total"] != float64(len(tt.want)) {
				t.Fatalf("got %v (total %v), want %v", ids, m["total"], tt.want)
			}
		})
	}

	bad := []struct {
		name string
		body map[string]any
		want string
	}{
		{"unknown field", map[string]any{"filters": []any{f("shoeSize", "eq", "9")}}, `["filters.0.field \"shoeSize\" is not supported"]`},
		{"bad operator", map[string]any{"filters": []any{f("dnd", "contains", true)}}, `["filters.0.operator \"contains\" is not supported for field dnd"]`},
		{"page limit", map[string]any{"pageLimit": 501}, `["pageLimit must not be greater than 500"]`},
		{"window", map[string]any{"page": 101, "pageLimit": 100}, `["page * pageLimit must not exceed 10000; use searchAfter to go further"]`},
		{"unknown property", map[string]any{"limit": 5}, `["property limit should not exist"]`},
		{"bad cursor", map[string]any{"searchAfter": []any{"x"}}, `["searchAfter must hold the searchAfter value of a contact from the previous page"]`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			tt.body["locationId"] = loc
			wantJSON(t, do(t, srv, "POST", "/contacts/search", tokRO, tt.body), 422,
				`{"statusCode":422,"message":`+tt.want+`,"error":"Unprocessable Entity"}`)
		})
	}
}

// BenchmarkListAll100k pages through 100,000 contacts with GET /contacts/.
func BenchmarkListAll100k(b *testing.B) {
	srv := ghltest.NewServer(ghltest.WithoutRateLimit())
	defer srv.Close()
	srv.AddToken(tokRO, loc, ghltest.ScopeContactsReadOnly)
	srv.SeedContacts(loc, 100000)
	t := &testing.T{}
	b.ResetTimer()
	for range b.N {
		n := 0
		path := "/contacts/?locationId=loc1&limit=100"
		for path != "" {
			m := do(t, srv, "GET", path, tokRO, nil).obj(t)
			n += len(m["contacts"].([]any))
			next, _ := m["meta"].(map[string]any)["nextPageUrl"].(string)
			path = strings.TrimPrefix(next, srv.URL)
		}
		if n != 100000 {
			b.Fatalf("listed %d contacts", n)
		}
	}
}

// BenchmarkSeedContacts100k measures seeding 100,000 contacts.
func BenchmarkSeedContacts100k(b *testing.B) {
	for range b.N {
		srv := ghltest.NewServer()
		srv.SeedContacts(loc, 100000)
		srv.Close()
	}
}
