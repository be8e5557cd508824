package contacts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
)

const contactC1 = `{"id":"c1","locationId":"loc1","firstName":"Ada","email":"ada@example.com",` +
	`"dateAdded":"2021-07-02T05:18:26.704Z","tags":["vip"],"customFields":[{"id":"cf1","value":"blue"}]}`

// opCase is one call of the package with the exact request it must send and
// a reply to decode. The conformance test sends the same calls.
type opCase struct {
	name   string
	call   func(ctx context.Context, s *contacts.Service) (any, error)
	method string
	uri    string
	body   string // "" for no body
	status int
	reply  string
	want   any // compared with the call's result
}

var (
	dateAdded = time.Date(2021, 7, 2, 5, 18, 26, 704e6, time.UTC)
	wantC1    = &contacts.Contact{
		ID: "c1", LocationID: "loc1", FirstName: "Ada", Email: "ada@example.com",
		DateAdded: dateAdded, Tags: []string{"vip"},
		CustomFields: []contacts.CustomField{{ID: "cf1", Value: contacts.StringValue("blue")}},
	}
)

func opCases() []opCase {
	eventStart := time.Date(2021, 6, 23, 3, 30, 0, 0, time.FixedZone("", 3600))
	return []opCase{
		{
			name:   "Get",
			call:   func(ctx context.Context, s *contacts.Service) (any, error) { return s.Get(ctx, "c1") },
			method: "GET", uri: "/contacts/c1",
			status: 200, reply: `{"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name:   "Get escapes the ID",
			call:   func(ctx context.Context, s *contacts.Service) (any, error) { return s.Get(ctx, "a/b?c d") },
			method: "GET", uri: "/contacts/a%2Fb%3Fc%20d",
			status: 200, reply: `{"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name: "Create",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.Create(ctx, contacts.CreateParams{
					FirstName: "Ada", Email: "ada@example.com", Phone: "+18885550100", Country: "US",
					DateOfBirth: time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC),
					DND:         new(false),
					DNDSettings: &contacts.DNDSettings{SMS: &contacts.DNDSetting{Status: contacts.DNDActive, Message: "asked"}},
					Tags:        []string{"vip"},
					CustomFields: []contacts.CustomField{
						{ID: "cf1", Value: contacts.StringValue("blue")},
						{ID: "cf3", Value: contacts.StringsValue("a", "b")},
					},
				})
			},
			method: "POST", uri: "/contacts/",
			body: `{"locationId":"loc1","firstName":"Ada","email":"ada@example.com","phone":"+18885550100","country":"US",` +
				`"dnd":false,"dndSettings":{"SMS":{"status":"active","message":"asked"}},"tags":["vip"],` +
				`"customFields":[{"id":"cf1","field_value":"blue"},{"id":"cf3","field_value":["a","b"]}],"dateOfBirth":"1815-12-10"}`,
			status: 201, reply: `{"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name: "Update",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.Update(ctx, "c1", contacts.UpdateParams{
					FirstName:   ghl.Set("Ada"),
					Email:       ghl.Null[string](),
					Tags:        ghl.Set([]string{}),
					DateOfBirth: ghl.Set(time.Date(1815, 12, 10, 23, 0, 0, 0, time.FixedZone("EST", -5*3600))),
				})
			},
			method: "PUT", uri: "/contacts/c1",
			body:   `{"firstName":"Ada","email":null,"tags":[],"dateOfBirth":"1815-12-10"}`,
			status: 200, reply: `{"succeded":true,"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name: "Upsert",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.Upsert(ctx, contacts.UpsertParams{
					CreateParams:                contacts.CreateParams{Email: "ada@example.com", CompanyName: "Engines", DateOfBirth: time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC)},
					CreateNewIfDuplicateAllowed: true,
				})
			},
			method: "POST", uri: "/contacts/upsert",
			body:   `{"locationId":"loc1","email":"ada@example.com","companyName":"Engines","createNewIfDuplicateAllowed":true,"dateOfBirth":"1815-12-10"}`,
			status: 200, reply: `{"new":true,"contact":` + contactC1 + `,"traceId":"tr1"}`,
			want: &contacts.UpsertResult{Contact: *wantC1, New: true, TraceID: "tr1"},
		},
		{
			name:   "Delete",
			call:   func(ctx context.Context, s *contacts.Service) (any, error) { return nil, s.Delete(ctx, "c1") },
			method: "DELETE", uri: "/contacts/c1",
			status: 200, reply: `{"succeded":true}`,
		},
		{
			name: "List",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.List(ctx, contacts.ListOptions{Query: "ada lovelace", Limit: 50, StartAfterID: "c0", StartAfter: 1631087949919})
			},
			method: "GET", uri: "/contacts/?limit=50&locationId=loc1&query=ada+lovelace&startAfter=1631087949919&startAfterId=c0",
			status: 200, reply: `{"contacts":[` + contactC1 + `],"meta":{"total":51,"startAfterId":"c1","startAfter":1625203106704,"nextPageUrl":"x","currentPage":1,"nextPage":2,"prevPage":null}}`,
			want: &contacts.ListResult{Contacts: []contacts.Contact{*wantC1}, Meta: contacts.ListMeta{
				Total: 51, StartAfterID: "c1", StartAfter: 1625203106704, NextPageURL: "x", CurrentPage: 1, NextPage: 2,
			}},
		},
		{
			name: "Search",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.Search(ctx, contacts.SearchParams{
					Query: "ada",
					Filters: []contacts.Filter{
						contacts.Where("tags", contacts.OpContains, []string{"vip"}),
						contacts.Or(
							contacts.Where("email", contacts.OpExists, nil),
							contacts.Where("dnd", contacts.OpEq, false),
						),
					},
					Sort:      []contacts.Sort{{Field: "dateAdded", Direction: contacts.Desc}},
					Page:      2,
					PageLimit: 10,
				})
			},
			method: "POST", uri: "/contacts/search",
			body: `{"locationId":"loc1","query":"ada","filters":[{"field":"tags","operator":"contains","value":["vip"]},` +
				`{"group":"OR","filters":[{"field":"email","operator":"exists"},{"field":"dnd","operator":"eq","value":false}]}],` +
				`"sort":[{"field":"dateAdded","direction":"desc"}],"page":2,"pageLimit":10}`,
			status: 200, reply: `{"contacts":[` + contactC1 + `],"total":11}`,
			want: &contacts.SearchResult{Contacts: []contacts.Contact{*wantC1}, Total: 11},
		},
		{
			name: "Search with searchAfter",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.Search(ctx, contacts.SearchParams{SearchAfter: []json.RawMessage{json.RawMessage(`1625203106704`), json.RawMessage(`"c1"`)}})
			},
			method: "POST", uri: "/contacts/search",
			body:   `{"locationId":"loc1","pageLimit":100,"searchAfter":[1625203106704,"c1"]}`,
			status: 200, reply: `{"contacts":[],"total":0}`,
			want: &contacts.SearchResult{Contacts: []contacts.Contact{}},
		},
		{
			name: "GetDuplicate by email",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.GetDuplicate(ctx, contacts.DuplicateOptions{Email: "test+abc@gmail.com"})
			},
			method: "GET", uri: "/contacts/search/duplicate?email=test%2Babc%40gmail.com&locationId=loc1",
			status: 200, reply: `{"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name: "GetDuplicate by phone",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.GetDuplicate(ctx, contacts.DuplicateOptions{LocationID: "loc2", Phone: "+1423164516"})
			},
			method: "GET", uri: "/contacts/search/duplicate?locationId=loc2&number=%2B1423164516",
			status: 200, reply: `{"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name: "FindByEmail",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.FindByEmail(ctx, "ada@example.com")
			},
			method: "GET", uri: "/contacts/search/duplicate?email=ada%40example.com&locationId=loc1",
			status: 200, reply: `{"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name: "FindByPhone",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.FindByPhone(ctx, "+18885550100")
			},
			method: "GET", uri: "/contacts/search/duplicate?locationId=loc1&number=%2B18885550100",
			status: 200, reply: `{"contact":` + contactC1 + `}`,
			want: wantC1,
		},
		{
			name: "ListByBusiness",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.ListByBusiness(ctx, "b1", contacts.BusinessListOptions{Limit: 10, Skip: 20, Query: "ada"})
			},
			method: "GET", uri: "/contacts/business/b1?limit=10&locationId=loc1&query=ada&skip=20",
			status: 200, reply: `{"contacts":[` + contactC1 + `],"count":21}`,
			want: &contacts.BusinessListResult{Contacts: []contacts.Contact{*wantC1}, Count: 21},
		},
		{
			name: "ListAppointments",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.ListAppointments(ctx, "c1")
			},
			method: "GET", uri: "/contacts/c1/appointments",
			status: 200, reply: `{"events":[{"id":"e1","calendarId":"cal1","title":"Call","appointmentStatus":"booked",` +
				`"startTime":"2021-07-16 11:00:00","endTime":"2021-07-16T11:30:00.000Z","users":["u1"]}]}`,
			want: []contacts.Appointment{{
				ID: "e1", CalendarID: "cal1", Title: "Call", AppointmentStatus: "booked", Users: []string{"u1"},
				StartTime: time.Date(2021, 7, 16, 11, 0, 0, 0, time.UTC),
				EndTime:   time.Date(2021, 7, 16, 11, 30, 0, 0, time.UTC),
			}},
		},
		{
			name:   "AddTags",
			call:   func(ctx context.Context, s *contacts.Service) (any, error) { return s.AddTags(ctx, "c1", "a", "b c") },
			method: "POST", uri: "/contacts/c1/tags",
			body:   `{"tags":["a","b c"]}`,
			status: 201, reply: `{"tags":["vip","a","b c"]}`,
			want: []string{"vip", "a", "b c"},
		},
		{
			name:   "RemoveTags",
			call:   func(ctx context.Context, s *contacts.Service) (any, error) { return s.RemoveTags(ctx, "c1", "vip") },
			method: "DELETE", uri: "/contacts/c1/tags",
			body:   `{"tags":["vip"]}`,
			status: 200, reply: `{"tags":[]}`,
			want: []string{},
		},
		{
			name: "BulkAddTags",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.BulkAddTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{"c1", "bad"}, Tags: []string{"t1"}})
			},
			method: "POST", uri: "/contacts/bulk/tags/update/add",
			body:   `{"locationId":"loc1","contacts":["c1","bad"],"tags":["t1"]}`,
			status: 201, reply: `{"succeded":true,"errorCount":1,"responses":[` +
				`{"contactId":"c1","message":"Tags updated","type":"success","oldTags":["vip"],"tagsAdded":["t1"],"tagsRemoved":[]},` +
				`{"contactId":"bad","message":"contact id is not a valid firebase id","type":"error"}]}`,
			want: &contacts.BulkTagsResult{Succeeded: true, ErrorCount: 1, Responses: []contacts.BulkTagsResponse{
				{ContactID: "c1", Message: "Tags updated", Type: "success", OldTags: []string{"vip"}, TagsAdded: []string{"t1"}, TagsRemoved: []string{}},
				{ContactID: "bad", Message: "contact id is not a valid firebase id", Type: "error"},
			}},
		},
		{
			name: "BulkRemoveTags all",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.BulkRemoveTags(ctx, contacts.BulkTagsParams{LocationID: "loc2", ContactIDs: []string{"c1"}, RemoveAllTags: true})
			},
			method: "POST", uri: "/contacts/bulk/tags/update/remove",
			body:   `{"locationId":"loc2","contacts":["c1"],"tags":[],"removeAllTags":true}`,
			status: 201, reply: `{"succeded":true,"errorCount":0,"responses":["ok"]}`,
			want: &contacts.BulkTagsResult{Succeeded: true, Responses: []contacts.BulkTagsResponse{{Message: "ok"}}},
		},
		{
			name: "BulkAddToBusiness",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.BulkAddToBusiness(ctx, "b1", contacts.BulkBusinessParams{ContactIDs: []string{"c1", "c2"}})
			},
			method: "POST", uri: "/contacts/bulk/business",
			body:   `{"locationId":"loc1","ids":["c1","c2"],"businessId":"b1"}`,
			status: 200, reply: `{"success":true,"ids":["c1","c2"]}`,
			want: &contacts.BulkBusinessResult{Success: true, IDs: []string{"c1", "c2"}},
		},
		{
			name: "BulkRemoveFromBusiness",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.BulkRemoveFromBusiness(ctx, contacts.BulkBusinessParams{ContactIDs: []string{"c1"}})
			},
			method: "POST", uri: "/contacts/bulk/business",
			body:   `{"locationId":"loc1","ids":["c1"],"businessId":null}`,
			status: 200, reply: `{"success":true,"ids":["c1"]}`,
			want: &contacts.BulkBusinessResult{Success: true, IDs: []string{"c1"}},
		},
		{
			name: "AddFollowers",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.AddFollowers(ctx, "c1", "u1", "u2")
			},
			method: "POST", uri: "/contacts/c1/followers",
			body:   `{"followers":["u1","u2"]}`,
			status: 201, reply: `{"followers":["u0","u1","u2"],"followersAdded":["u1","u2"]}`,
			want: &contacts.Followers{Followers: []string{"u0", "u1", "u2"}, Added: []string{"u1", "u2"}},
		},
		{
			name:   "RemoveFollowers",
			call:   func(ctx context.Context, s *contacts.Service) (any, error) { return s.RemoveFollowers(ctx, "c1", "u1") },
			method: "DELETE", uri: "/contacts/c1/followers",
			body:   `{"followers":["u1"]}`,
			status: 200, reply: `{"followers":["u0"],"followersRemoved":["u1"]}`,
			want: &contacts.Followers{Followers: []string{"u0"}, Removed: []string{"u1"}},
		},
		{
			name: "AddToCampaign",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return nil, s.AddToCampaign(ctx, "c1", "camp1")
			},
			method: "POST", uri: "/contacts/c1/campaigns/camp1",
			body:   `{}`,
			status: 201, reply: `{"succeded":true}`,
		},
		{
			name: "RemoveFromCampaign",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return nil, s.RemoveFromCampaign(ctx, "c1", "camp1")
			},
			method: "DELETE", uri: "/contacts/c1/campaigns/camp1",
			status: 200, reply: `{"succeded":true}`,
		},
		{
			name: "RemoveFromAllCampaigns",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return nil, s.RemoveFromAllCampaigns(ctx, "c1")
			},
			method: "DELETE", uri: "/contacts/c1/campaigns/removeAll",
			status: 200, reply: `{"succeded":true}`,
		},
		{
			name: "AddToWorkflow",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return nil, s.AddToWorkflow(ctx, "c1", "wf1", contacts.WorkflowOptions{EventStartTime: eventStart})
			},
			method: "POST", uri: "/contacts/c1/workflow/wf1",
			body:   `{"eventStartTime":"2021-06-23T03:30:00+01:00"}`,
			status: 200, reply: `{"succeded":true}`,
		},
		{
			name: "AddToWorkflow without start time",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return nil, s.AddToWorkflow(ctx, "c1", "wf1", contacts.WorkflowOptions{})
			},
			method: "POST", uri: "/contacts/c1/workflow/wf1",
			body:   `{}`,
			status: 200, reply: `{"succeded":true}`,
		},
		{
			name: "RemoveFromWorkflow",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return nil, s.RemoveFromWorkflow(ctx, "c1", "wf1")
			},
			method: "DELETE", uri: "/contacts/c1/workflow/wf1",
			body:   `{}`,
			status: 200, reply: `{"succeded":true}`,
		},
	}
}

// TestWire checks the exact request of every operation and the decoding of
// its answer.
func TestWire(t *testing.T) {
	t.Parallel()
	for _, tc := range opCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, m := newMock(t)
			m.reply(tc.status, tc.reply)
			got, err := tc.call(t.Context(), svc)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			checkWire(t, m.only(t), tc.method, tc.uri, tc.body)
			if tc.want != nil {
				// Decoded records keep their raw bytes (for Extra), so
				// compare them as they are written.
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tc.want)
				if string(g) != string(w) || reflect.TypeOf(got) != reflect.TypeOf(tc.want) {
					t.Errorf("result:\n got %s\nwant %s", g, w)
				}
			}
		})
	}
}

// TestCustomFieldWire checks custom field values the spec describes
// inconsistently (numbers typed "object"), so they are kept out of the
// conformance cases. A key goes along with the required id.
func TestCustomFieldWire(t *testing.T) {
	t.Parallel()
	svc, m := newMock(t)
	m.reply(200, `{"contact":{"id":"c1"}}`)
	file, err := contacts.JSONValue(map[string]any{"f1": map[string]string{"url": "https://x/y", "documentId": "d1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Update(t.Context(), "c1", contacts.UpdateParams{CustomFields: []contacts.CustomField{
		{ID: "cf1", Key: "score", Value: contacts.NumberValue(7.5)},
		{ID: "cf2", Value: contacts.NumberValue(100)},
		{ID: "cf3", Value: file},
		{ID: "cf4", Value: contacts.NullValue()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.only(t), "PUT", "/contacts/c1", `{"customFields":[{"id":"cf1","key":"score","field_value":7.5},{"id":"cf2","field_value":100},`+
		`{"id":"cf3","field_value":{"f1":{"documentId":"d1","url":"https://x/y"}}},{"id":"cf4","field_value":null}]}`)
}

// TestLocationOverride checks that an explicit LocationID wins over the
// client's default, and that without either nothing is sent.
func TestLocationOverride(t *testing.T) {
	t.Parallel()
	svc, m := newMock(t)
	m.reply(200, `{"contacts":[],"total":0}`)
	if _, err := svc.Search(t.Context(), contacts.SearchParams{LocationID: "other"}); err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.only(t), "POST", "/contacts/search", `{"locationId":"other","pageLimit":100}`)

	noLoc, m2 := newMock(t, ghl.WithRetry(ghl.RetryPolicy{MaxRetries: -1}))
	calls := map[string]func(ctx context.Context) error{
		"Create": func(ctx context.Context) error {
			_, err := noLoc.Create(ctx, contacts.CreateParams{FirstName: "x"})
			return err
		},
		"Upsert": func(ctx context.Context) error {
			_, err := noLoc.Upsert(ctx, contacts.UpsertParams{CreateParams: contacts.CreateParams{Email: "x@y.z"}})
			return err
		},
		"List":   func(ctx context.Context) error { _, err := noLoc.List(ctx, contacts.ListOptions{}); return err },
		"Search": func(ctx context.Context) error { _, err := noLoc.Search(ctx, contacts.SearchParams{}); return err },
		"GetDuplicate": func(ctx context.Context) error {
			_, err := noLoc.GetDuplicate(ctx, contacts.DuplicateOptions{Email: "x@y.z"})
			return err
		},
		"FindByEmail": func(ctx context.Context) error { _, err := noLoc.FindByEmail(ctx, "x@y.z"); return err },
		"FindByPhone": func(ctx context.Context) error { _, err := noLoc.FindByPhone(ctx, "+1555"); return err },
		"ListByBusiness": func(ctx context.Context) error {
			_, err := noLoc.ListByBusiness(ctx, "b1", contacts.BusinessListOptions{})
			return err
		},
		"BulkAddTags": func(ctx context.Context) error {
			_, err := noLoc.BulkAddTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{"c1"}, Tags: []string{"t"}})
			return err
		},
		"BulkAddToBusiness": func(ctx context.Context) error {
			_, err := noLoc.BulkAddToBusiness(ctx, "b1", contacts.BulkBusinessParams{ContactIDs: []string{"c1"}})
			return err
		},
		"ListAll": func(ctx context.Context) error {
			for _, err := range noLoc.ListAll(ctx, contacts.ListOptions{}) {
				return err
			}
			return nil
		},
		"SearchAll": func(ctx context.Context) error {
			for _, err := range noLoc.SearchAll(ctx, contacts.SearchParams{}) {
				return err
			}
			return nil
		},
	}
	for name, call := range calls {
		err := call(t.Context())
		var pe *ghl.ParamError
		if !errors.As(err, &pe) || pe.Param != "LocationID" {
			t.Errorf("%s without a location: err = %v, want a LocationID *ghl.ParamError", name, err)
		}
	}
	if n := len(m2.requests()); n != 0 {
		t.Errorf("sent %d requests without a location", n)
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(404, `{"statusCode":404,"message":"Contact not found"}`)
		_, err := svc.Get(t.Context(), "nope")
		var apiErr *ghl.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != "Contact not found" {
			t.Fatalf("err = %#v, want a 404 *ghl.APIError", err)
		}
		if !ghl.IsNotFound(err) {
			t.Error("ghl.IsNotFound(err) = false")
		}
	})
	t.Run("validation", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(422, `{"statusCode":422,"message":["email must be an email","phone is invalid"],"error":"Unprocessable Entity"}`)
		_, err := svc.Create(t.Context(), contacts.CreateParams{Email: "x"})
		var apiErr *ghl.APIError
		if !errors.As(err, &apiErr) || !reflect.DeepEqual(apiErr.Messages, []string{"email must be an email", "phone is invalid"}) {
			t.Fatalf("err = %#v", err)
		}
		if n := len(m.requests()); n != 1 {
			t.Errorf("sent %d requests, want 1 (a 422 is not retried)", n)
		}
	})
	t.Run("succeded false", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"succeded":false}`).reply(200, `{"succeded":false}`)
		if err := svc.Delete(t.Context(), "c1"); !errors.Is(err, ghl.ErrNotSucceeded) {
			t.Errorf("Delete: err = %v, want ErrNotSucceeded", err)
		}
		if err := svc.AddToWorkflow(t.Context(), "c1", "w1", contacts.WorkflowOptions{}); !errors.Is(err, ghl.ErrNotSucceeded) {
			t.Errorf("AddToWorkflow: err = %v, want ErrNotSucceeded", err)
		}
	})
	t.Run("empty success body", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, ``)
		if err := svc.RemoveFromAllCampaigns(t.Context(), "c1"); err != nil {
			t.Errorf("err = %v, want nil for a 2xx without body", err)
		}
	})
	t.Run("duplicate finds nothing", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contact":null}`)
		c, err := svc.GetDuplicate(t.Context(), contacts.DuplicateOptions{Email: "x@y.z"})
		if c != nil || !ghl.IsNotFound(err) {
			t.Errorf("GetDuplicate = %v, %v; want nil and a not-found error", c, err)
		}
	})
}

// TestRetry checks that Search, a read-only POST, is retried after a 503
// while Create is not, and reports an unknown outcome.
func TestRetry(t *testing.T) {
	t.Parallel()
	svc, m := newMock(t)
	m.reply(503, `{"message":"busy"}`).reply(200, `{"contacts":[`+contactC1+`],"total":1}`)
	res, err := svc.Search(t.Context(), contacts.SearchParams{})
	if err != nil || len(res.Contacts) != 1 {
		t.Fatalf("Search = %+v, %v", res, err)
	}
	reqs := m.requests()
	if len(reqs) != 2 || reqs[0].Body != reqs[1].Body {
		t.Fatalf("Search sent %d requests, want 2 identical: %+v", len(reqs), reqs)
	}

	svc, m = newMock(t)
	m.reply(503, `{"message":"busy"}`).reply(201, `{"contact":`+contactC1+`}`)
	_, err = svc.Create(t.Context(), contacts.CreateParams{FirstName: "Ada"})
	if !errors.Is(err, ghl.ErrOutcomeUnknown) {
		t.Errorf("Create after 503: err = %v, want ghl.ErrOutcomeUnknown", err)
	}
	if n := len(m.requests()); n != 1 {
		t.Errorf("Create sent %d requests, want 1", n)
	}
}

func TestFindFallback(t *testing.T) {
	t.Parallel()
	searchBody := `{"locationId":"loc1","filters":[{"field":"email","operator":"eq","value":"ada@example.com"}],"pageLimit":1}`
	tests := []struct {
		name      string
		dupStatus int
		dupReply  string
		search    string // "" when no search is expected
		wantErr   func(error) bool
		wantID    string
	}{
		{"null contact", 200, `{"contact":null}`, `{"contacts":[` + contactC1 + `],"total":1}`, nil, "c1"},
		{"404", 404, `{"message":"Not found"}`, `{"contacts":[` + contactC1 + `],"total":1}`, nil, "c1"},
		{"400", 400, `{"message":"phone is required"}`, `{"contacts":[` + contactC1 + `],"total":1}`, nil, "c1"},
		{"none anywhere", 200, `{"contact":null}`, `{"contacts":[],"total":0}`, ghl.IsNotFound, ""},
		{"401 is not hidden", 401, `{"message":"Invalid JWT"}`, "", ghl.IsUnauthorized, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, m := newMock(t)
			m.reply(tc.dupStatus, tc.dupReply)
			if tc.search != "" {
				m.reply(200, tc.search)
			}
			c, err := svc.FindByEmail(t.Context(), "ada@example.com")
			if tc.wantErr != nil {
				if !tc.wantErr(err) || c != nil {
					t.Fatalf("FindByEmail = %v, %v", c, err)
				}
			} else if err != nil || c.ID != tc.wantID {
				t.Fatalf("FindByEmail = %+v, %v; want %s", c, err, tc.wantID)
			}
			reqs := m.requests()
			want := 1
			if tc.search != "" {
				want = 2
			}
			if len(reqs) != want {
				t.Fatalf("sent %d requests, want %d", len(reqs), want)
			}
			checkWire(t, reqs[0], "GET", "/contacts/search/duplicate?email=ada%40example.com&locationId=loc1", "")
			if want == 2 {
				checkWire(t, reqs[1], "POST", "/contacts/search", searchBody)
			}
		})
	}

	t.Run("phone", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contact":null}`).reply(200, `{"contacts":[],"total":0}`)
		_, err := svc.FindByPhone(t.Context(), "+18885550100")
		if !errors.Is(err, ghl.ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
		reqs := m.requests()
		if len(reqs) != 2 {
			t.Fatalf("sent %d requests", len(reqs))
		}
		checkWire(t, reqs[1], "POST", "/contacts/search",
			`{"locationId":"loc1","filters":[{"field":"phone","operator":"eq","value":"+18885550100"}],"pageLimit":1}`)
	})
}

func TestContextCanceled(t *testing.T) {
	t.Parallel()
	svc, m := newMock(t)
	m.reply(200, `{"contact":`+contactC1+`}`)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := svc.Get(ctx, "c1"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	// httpmock, unlike net/http's transport, is reached even with a done
	// context, so only the iterator's own check is counted.
	before := len(m.requests())
	for _, err := range svc.SearchAll(ctx, contacts.SearchParams{}) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("SearchAll err = %v, want context.Canceled", err)
		}
	}
	if n := len(m.requests()) - before; n != 0 {
		t.Errorf("SearchAll sent %d requests with a canceled context", n)
	}
}

func TestNewNil(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	contacts.New(nil)
}

// TestTransportError checks that a connection failure on a read is retried.
func TestTransportError(t *testing.T) {
	t.Parallel()
	svc, m := newMock(t)
	m.fail(errors.New("connection reset")).reply(http.StatusOK, `{"contact":`+contactC1+`}`)
	if _, err := svc.Get(t.Context(), "c1"); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if n := len(m.requests()); n != 2 {
		t.Errorf("sent %d requests, want 2", n)
	}
}

// HighLevel names the search total "total" or "count"; Search reads either,
// "total" first.
func TestSearchTotalFromTotalOrCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reply string
		want  int
	}{
		{`{"contacts":[{"id":"c1"}],"total":7}`, 7},
		{`{"contacts":[{"id":"c1"}],"count":8}`, 8},
		{`{"contacts":[{"id":"c1"}],"count":8,"total":9}`, 9},
		{`{"contacts":[]}`, 0},
	} {
		svc, m := newMock(t)
		m.reply(200, tc.reply)
		got, err := svc.Search(t.Context(), contacts.SearchParams{})
		if err != nil || got.Total != tc.want {
			t.Errorf("%s: Total = %v, %v; want %d", tc.reply, got, err, tc.want)
		}
	}
}

// One odd value fails neither Get nor a search page: the field is left zero
// and the contact's Extra holds it, found in the body when asked.
func TestOddValuesThroughTheService(t *testing.T) {
	t.Parallel()
	svc, m := newMock(t)
	m.reply(200, `{"contact":{"id":"c1","firstName":"Ada","birthMonth":8.5,"dateOfBirth":"09/25/1990","dateAdded":"soon"}}`)
	c, err := svc.Get(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "c1" || c.FirstName != "Ada" || c.BirthMonth != 0 || !c.DateOfBirth.Equal(time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)) || !c.DateAdded.IsZero() {
		t.Errorf("contact = %+v", c)
	}
	if extra := c.Extra(); len(extra) != 2 || string(extra["birthMonth"]) != "8.5" || string(extra["dateAdded"]) != `"soon"` {
		t.Errorf("Extra = %s", extra)
	}

	svc, m = newMock(t)
	m.reply(200, `{"contacts":[{"id":"c1","tags":"vip"},{"id":"c2","newField":1}],"total":2}`)
	page, err := svc.Search(t.Context(), contacts.SearchParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Contacts) != 2 || page.Contacts[0].Tags != nil || page.Total != 2 {
		t.Fatalf("page = %+v", page)
	}
	if e := page.Contacts[0].Extra(); len(e) != 1 || string(e["tags"]) != `"vip"` {
		t.Errorf("Extra[0] = %s", e)
	}
	if e := page.Contacts[1].Extra(); len(e) != 1 || string(e["newField"]) != `1` {
		t.Errorf("Extra[1] = %s", e)
	}
}
