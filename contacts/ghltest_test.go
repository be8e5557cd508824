package contacts_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/ghltest"
)

const (
	fakeToken = "fake-token"
	fakeLoc   = "locFake"
)

// newFake returns a Service talking to a fresh ghltest server as a token
// with contacts.write on fakeLoc, which is also the client's default.
func newFake(t testing.TB, opts ...ghltest.Option) (*contacts.Service, *ghltest.Server) {
	t.Helper()
	srv := ghltest.NewServer(append([]ghltest.Option{ghltest.WithoutRateLimit()}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddToken(fakeToken, fakeLoc, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	return contacts.New(fakeClient(t, srv, fakeToken)), srv
}

func fakeClient(t testing.TB, srv *ghltest.Server, token string) *ghl.Client {
	t.Helper()
	c, err := ghl.NewClient(
		ghl.WithToken(token),
		ghl.WithBaseURL(srv.URL),
		ghl.WithHTTPClient(srv.Client()),
		ghl.WithLocationID(fakeLoc),
		ghl.WithoutRateLimit(),
		ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustStored(t *testing.T, srv *ghltest.Server, id string) ghltest.Contact {
	t.Helper()
	c, ok := srv.Contact(id)
	if !ok {
		t.Fatalf("contact %s is not stored", id)
	}
	return c
}

func TestFakeLifecycle(t *testing.T) {
	t.Parallel()
	svc, srv := newFake(t)
	ctx := t.Context()

	created, err := svc.Create(ctx, contacts.CreateParams{
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Phone: "+18885550100",
		City: "London", Tags: []string{"vip"}, DateOfBirth: time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC),
		CustomFields: []contacts.CustomField{{ID: "cf1", Value: contacts.StringValue("blue")}},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if created.ID == "" || created.LocationID != fakeLoc || created.DateAdded.IsZero() {
		t.Fatalf("Create = %+v", created)
	}
	st := mustStored(t, srv, created.ID)
	if st.FirstName != "Ada" || st.Email != "ada@example.com" || st.City != "London" || !slices.Equal(st.Tags, []string{"vip"}) {
		t.Errorf("stored %+v", st)
	}

	got, err := svc.Get(ctx, created.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ID != created.ID || got.FirstName != "Ada" || !got.DateAdded.Equal(created.DateAdded) ||
		!got.DateOfBirth.Equal(time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Get = %+v", got)
	}
	if len(got.CustomFields) != 1 || got.CustomFields[0].ID != "cf1" {
		t.Errorf("custom fields = %+v", got.CustomFields)
	} else if v, _ := got.CustomFields[0].Value.AsString(); v != "blue" {
		t.Errorf("custom field value = %q", v)
	}

	// Update: set one field, clear another, replace the tags.
	updated, err := svc.Update(ctx, created.ID, contacts.UpdateParams{
		FirstName: ghl.Set("Augusta"),
		City:      ghl.Null[string](),
		Tags:      ghl.Set([]string{"a", "b"}),
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if updated.FirstName != "Augusta" || updated.City != "" || updated.Email != "ada@example.com" {
		t.Errorf("Update = %+v", updated)
	}
	st = mustStored(t, srv, created.ID)
	if st.FirstName != "Augusta" || st.City != "" || st.LastName != "Lovelace" || !slices.Equal(st.Tags, []string{"a", "b"}) {
		t.Errorf("stored after Update: %+v", st)
	}

	// Upsert finds the contact by email and updates it.
	up, err := svc.Upsert(ctx, contacts.UpsertParams{CreateParams: contacts.CreateParams{Email: "ada@example.com", CompanyName: "Engines"}})
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	if up.New || up.Contact.ID != created.ID || mustStored(t, srv, created.ID).CompanyName != "Engines" {
		t.Errorf("Upsert existing = %+v", up)
	}
	up, err = svc.Upsert(ctx, contacts.UpsertParams{CreateParams: contacts.CreateParams{Email: "new@example.com"}})
	if err != nil || !up.New || up.Contact.ID == created.ID {
		t.Fatalf("Upsert new = %+v, %v", up, err)
	}

	if err := svc.Delete(ctx, created.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := srv.Contact(created.ID); ok {
		t.Error("contact still stored after Delete")
	}
	if _, err := svc.Get(ctx, created.ID); !ghl.IsNotFound(err) {
		t.Errorf("Get after Delete: err = %v, want not found", err)
	}
	var apiErr *ghl.APIError
	// HighLevel answers 400 "Contact not found", never 404.
	if err := svc.Delete(ctx, created.ID); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !ghl.IsNotFound(err) {
		t.Errorf("second Delete: err = %v, want a 400 not found", err)
	}
}

func TestFakeTagsFollowersCampaignsWorkflows(t *testing.T) {
	t.Parallel()
	svc, srv := newFake(t)
	ctx := t.Context()
	c := srv.AddContact(ghltest.Contact{LocationID: fakeLoc, Email: "x@example.com", Tags: []string{"old"}})

	tags, err := svc.AddTags(ctx, c.ID, "vip", "lead")
	if err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	if st := mustStored(t, srv, c.ID).Tags; !slices.Equal(st, []string{"old", "vip", "lead"}) {
		t.Errorf("stored tags = %v (AddTags returned %v)", st, tags)
	}
	if _, err := svc.RemoveTags(ctx, c.ID, "old"); err != nil {
		t.Fatalf("RemoveTags: %v", err)
	}
	if st := mustStored(t, srv, c.ID).Tags; !slices.Equal(st, []string{"vip", "lead"}) {
		t.Errorf("stored tags after RemoveTags = %v", st)
	}

	f, err := svc.AddFollowers(ctx, c.ID, "u1", "u2")
	if err != nil || !slices.Equal(f.Followers, []string{"u1", "u2"}) {
		t.Fatalf("AddFollowers = %+v, %v", f, err)
	}
	f, err = svc.RemoveFollowers(ctx, c.ID, "u1")
	if err != nil || !slices.Equal(f.Followers, []string{"u2"}) || !slices.Equal(mustStored(t, srv, c.ID).Followers, []string{"u2"}) {
		t.Fatalf("RemoveFollowers = %+v, %v", f, err)
	}

	for _, camp := range []string{"camp1", "camp2"} {
		if err := svc.AddToCampaign(ctx, c.ID, camp); err != nil {
			t.Fatalf("AddToCampaign: %v", err)
		}
	}
	if err := svc.RemoveFromCampaign(ctx, c.ID, "camp1"); err != nil {
		t.Fatalf("RemoveFromCampaign: %v", err)
	}
	if got := srv.Campaigns(c.ID); !slices.Equal(got, []string{"camp2"}) {
		t.Errorf("campaigns = %v", got)
	}
	if err := svc.RemoveFromAllCampaigns(ctx, c.ID); err != nil {
		t.Fatalf("RemoveFromAllCampaigns: %v", err)
	}
	if got := srv.Campaigns(c.ID); len(got) != 0 {
		t.Errorf("campaigns after RemoveFromAllCampaigns = %v", got)
	}

	if err := svc.AddToWorkflow(ctx, c.ID, "wf1", contacts.WorkflowOptions{EventStartTime: time.Now()}); err != nil {
		t.Fatalf("AddToWorkflow: %v", err)
	}
	if got := srv.Workflows(c.ID); !slices.Equal(got, []string{"wf1"}) {
		t.Errorf("workflows = %v", got)
	}
	if err := svc.RemoveFromWorkflow(ctx, c.ID, "wf1"); err != nil {
		t.Fatalf("RemoveFromWorkflow: %v", err)
	}
	if got := srv.Workflows(c.ID); len(got) != 0 {
		t.Errorf("workflows after RemoveFromWorkflow = %v", got)
	}

	if _, err := svc.AddTags(ctx, "missing", "x"); !ghl.IsNotFound(err) {
		t.Errorf("AddTags on a missing contact: err = %v", err)
	}
}

func TestFakeBulk(t *testing.T) {
	t.Parallel()
	svc, srv := newFake(t)
	ctx := t.Context()
	a := srv.AddContact(ghltest.Contact{LocationID: fakeLoc, Email: "a@example.com", Tags: []string{"keep", "drop"}})
	b := srv.AddContact(ghltest.Contact{LocationID: fakeLoc, Email: "b@example.com"})

	res, err := svc.BulkAddTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{a.ID, b.ID}, Tags: []string{"new"}})
	if err != nil || !res.Succeeded || res.ErrorCount != 0 || len(res.Responses) != 2 {
		t.Fatalf("BulkAddTags = %+v, %v", res, err)
	}
	if !slices.Equal(mustStored(t, srv, a.ID).Tags, []string{"keep", "drop", "new"}) || !slices.Equal(mustStored(t, srv, b.ID).Tags, []string{"new"}) {
		t.Errorf("tags after BulkAddTags: %v, %v", mustStored(t, srv, a.ID).Tags, mustStored(t, srv, b.ID).Tags)
	}
	if _, err := svc.BulkRemoveTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{a.ID}, Tags: []string{"drop"}}); err != nil {
		t.Fatal(err)
	}
	if got := mustStored(t, srv, a.ID).Tags; !slices.Equal(got, []string{"keep", "new"}) {
		t.Errorf("tags after BulkRemoveTags = %v", got)
	}
	if _, err := svc.BulkRemoveTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{a.ID, b.ID}, RemoveAllTags: true}); err != nil {
		t.Fatal(err)
	}
	if len(mustStored(t, srv, a.ID).Tags)+len(mustStored(t, srv, b.ID).Tags) != 0 {
		t.Error("RemoveAllTags left tags")
	}

	biz := srv.AddBusiness(ghltest.Business{LocationID: fakeLoc, Name: "Engines"})
	br, err := svc.BulkAddToBusiness(ctx, biz.ID, contacts.BulkBusinessParams{ContactIDs: []string{a.ID, b.ID}})
	if err != nil || !br.Success {
		t.Fatalf("BulkAddToBusiness = %+v, %v", br, err)
	}
	if mustStored(t, srv, a.ID).BusinessID != biz.ID {
		t.Error("business not set")
	}
	page, err := svc.ListByBusiness(ctx, biz.ID, contacts.BusinessListOptions{Limit: 1})
	if err != nil || page.Count != 2 || len(page.Contacts) != 1 || page.Contacts[0].BusinessID != biz.ID {
		t.Fatalf("ListByBusiness = %+v, %v", page, err)
	}
	page2, err := svc.ListByBusiness(ctx, biz.ID, contacts.BusinessListOptions{Limit: 1, Skip: 1})
	if err != nil || len(page2.Contacts) != 1 || page2.Contacts[0].ID == page.Contacts[0].ID {
		t.Fatalf("ListByBusiness skip 1 = %+v, %v", page2, err)
	}
	if _, err := svc.BulkRemoveFromBusiness(ctx, contacts.BulkBusinessParams{ContactIDs: []string{a.ID}}); err != nil {
		t.Fatal(err)
	}
	if mustStored(t, srv, a.ID).BusinessID != "" || mustStored(t, srv, b.ID).BusinessID != biz.ID {
		t.Error("BulkRemoveFromBusiness changed the wrong contacts")
	}
}

func TestFakeLookup(t *testing.T) {
	t.Parallel()
	svc, srv := newFake(t)
	ctx := t.Context()
	c := srv.AddContact(ghltest.Contact{LocationID: fakeLoc, FirstName: "Grace", Email: "grace@example.com", Phone: "+18885550199"})
	srv.AddContact(ghltest.Contact{LocationID: "otherLoc", Email: "elsewhere@example.com"})

	for name, find := range map[string]func() (*contacts.Contact, error){
		"GetDuplicate": func() (*contacts.Contact, error) {
			return svc.GetDuplicate(ctx, contacts.DuplicateOptions{Email: "grace@example.com"})
		},
		"FindByEmail": func() (*contacts.Contact, error) { return svc.FindByEmail(ctx, "grace@example.com") },
		"FindByPhone": func() (*contacts.Contact, error) { return svc.FindByPhone(ctx, "+18885550199") },
	} {
		got, err := find()
		if err != nil || got.ID != c.ID {
			t.Errorf("%s = %+v, %v; want %s", name, got, err, c.ID)
		}
	}
	srv.ResetRequests()
	if _, err := svc.FindByEmail(ctx, "elsewhere@example.com"); !ghl.IsNotFound(err) {
		t.Errorf("FindByEmail in another location: err = %v, want not found", err)
	}
	var paths []string
	for _, r := range srv.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	if want := []string{"GET /contacts/search/duplicate", "POST /contacts/search"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("FindByEmail sent %v, want %v", paths, want)
	}

	res, err := svc.Search(ctx, contacts.SearchParams{Filters: []contacts.Filter{contacts.Where("firstName", contacts.OpEq, "Grace")}})
	if err != nil || res.Total != 1 || len(res.Contacts) != 1 || res.Contacts[0].ID != c.ID {
		t.Fatalf("Search = %+v, %v", res, err)
	}
	if len(res.Contacts[0].SearchAfter) == 0 {
		t.Error("search result has no searchAfter cursor")
	}

	srv.AddAppointment(ghltest.Appointment{ContactID: c.ID, Title: "Intro", StartTime: time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC),
		EndTime: time.Date(2030, 1, 2, 10, 30, 0, 0, time.UTC)})
	appts, err := svc.ListAppointments(ctx, c.ID)
	if err != nil || len(appts) != 1 || appts[0].Title != "Intro" || !appts[0].StartTime.Equal(time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("ListAppointments = %+v, %v", appts, err)
	}
}

// TestFakeIterators walks every contact of a location with both iterators
// and checks each is seen once, in the server's order.
func TestFakeIterators(t *testing.T) {
	t.Parallel()
	svc, srv := newFake(t)
	const n = 253
	srv.SeedContacts(fakeLoc, n)
	srv.AddContact(ghltest.Contact{LocationID: "otherLoc", Email: "elsewhere@example.com"})
	ctx := t.Context()

	var oldestFirst []string
	for _, c := range srv.Contacts(fakeLoc) {
		oldestFirst = append(oldestFirst, c.ID)
	}

	srv.ResetRequests()
	var listed []string
	for c, err := range svc.ListAll(ctx, contacts.ListOptions{Limit: 100}) {
		if err != nil {
			t.Fatalf("ListAll: %v", err)
		}
		listed = append(listed, c.ID)
	}
	if !slices.Equal(listed, oldestFirst) {
		t.Errorf("ListAll returned %d contacts, want the %d stored ones in order", len(listed), n)
	}
	if got := len(srv.Requests()); got != 3 {
		t.Errorf("ListAll sent %d requests, want 3", got)
	}

	srv.ResetRequests()
	var searched []string
	for c, err := range svc.SearchAll(ctx, contacts.SearchParams{PageLimit: 50}) {
		if err != nil {
			t.Fatalf("SearchAll: %v", err)
		}
		searched = append(searched, c.ID)
	}
	newestFirst := slices.Clone(oldestFirst)
	slices.Reverse(newestFirst)
	if !slices.Equal(searched, newestFirst) {
		t.Errorf("SearchAll returned %d contacts, want the %d stored ones newest first", len(searched), n)
	}
	if got := len(srv.Requests()); got != 6 {
		t.Errorf("SearchAll sent %d requests, want 6", got)
	}

	// Sorted and filtered, with early exit.
	srv.ResetRequests()
	var firstNames []string
	for c, err := range svc.SearchAll(ctx, contacts.SearchParams{
		PageLimit: 10,
		Sort:      []contacts.Sort{{Field: "firstNameLowerCase", Direction: contacts.Asc}},
	}) {
		if err != nil {
			t.Fatal(err)
		}
		firstNames = append(firstNames, c.FirstName)
		if len(firstNames) == 15 {
			break
		}
	}
	if !slices.IsSortedFunc(firstNames, func(a, b string) int { return compareFold(a, b) }) {
		t.Errorf("sorted search out of order: %v", firstNames)
	}
	if got := len(srv.Requests()); got != 2 {
		t.Errorf("breaking after 15 of 10-per-page sent %d requests, want 2", got)
	}
}

func compareFold(a, b string) int {
	la, lb := []rune(a), []rune(b)
	for i := 0; i < len(la) && i < len(lb); i++ {
		x, y := lower(la[i]), lower(lb[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(la) - len(lb)
}

func lower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// TestFakeScopes checks that a read-only token can Search (a POST that
// changes nothing) but not write.
func TestFakeScopes(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	srv.AddToken("ro-token", fakeLoc, ghltest.ScopeContactsReadOnly)
	ro := contacts.New(fakeClient(t, srv, "ro-token"))
	if _, err := ro.Search(t.Context(), contacts.SearchParams{}); err != nil {
		t.Errorf("Search with a read-only token: %v", err)
	}
	if _, err := ro.Create(t.Context(), contacts.CreateParams{Email: "x@example.com"}); !ghl.IsUnauthorized(err) {
		t.Errorf("Create with a read-only token: err = %v, want unauthorized", err)
	}
}
