package contacts_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/internal/spectest"
)

// conformanceExtras are calls beyond opCases whose requests must validate
// too: every Update field, the search fallback, later pages of the
// iterators.
func conformanceExtras() []opCase {
	return []opCase{
		{
			name: "Update every field",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.Update(ctx, "c1", contacts.UpdateParams{
					FirstName: ghl.Set("Ada"), LastName: ghl.Null[string](), Name: ghl.Set("Ada L"),
					Email: ghl.Null[string](), Phone: ghl.Set("+18885550100"), Website: ghl.Null[string](),
					Timezone: ghl.Set("Europe/London"), Address1: ghl.Null[string](), City: ghl.Set("London"),
					State: ghl.Null[string](), PostalCode: ghl.Set(""), Country: ghl.Set("GB"),
					DateOfBirth: ghl.Set(time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC)), Source: ghl.Null[string](), AssignedTo: ghl.Null[string](),
					DND: ghl.Set(false),
					DNDSettings: ghl.Set(contacts.DNDSettings{
						Call: &contacts.DNDSetting{Status: contacts.DNDActive}, Email: &contacts.DNDSetting{Status: contacts.DNDInactive},
						SMS: &contacts.DNDSetting{Status: contacts.DNDPermanent, Message: "m", Code: "c"}, WhatsApp: &contacts.DNDSetting{Status: contacts.DNDActive},
						GMB: &contacts.DNDSetting{Status: contacts.DNDActive}, FB: &contacts.DNDSetting{Status: contacts.DNDActive},
					}),
					InboundDNDSettings: ghl.Set(contacts.InboundDNDSettings{All: &contacts.InboundDNDSetting{Status: contacts.DNDInactive}}),
					Tags:               ghl.Set([]string{}),
					CustomFields: []contacts.CustomField{
						{ID: "cf1", Value: contacts.StringValue("x")},
						{ID: "cf2", Value: contacts.NumberValue(100.5)},
						{ID: "cf3", Value: contacts.StringsValue("a")},
					},
				})
			},
			status: 200, reply: `{"contact":{"id":"c1"}}`,
		},
		{
			name: "Create with every field",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.Create(ctx, contacts.CreateParams{
					FirstName: "Ada", LastName: "L", Name: "Ada L", Email: "ada@example.com", Phone: "+18885550100",
					Gender: "female", CompanyName: "Engines", Website: "https://example.com", Timezone: "Europe/London",
					Address1: "1 St", City: "London", State: "LDN", PostalCode: "N1", Country: "GB", DateOfBirth: time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC),
					Source: "api", AssignedTo: "u1", DND: new(true),
					InboundDNDSettings: &contacts.InboundDNDSettings{All: &contacts.InboundDNDSetting{Status: contacts.DNDActive, Message: "m"}},
					CustomFields:       []contacts.CustomField{{ID: "cf2", Value: contacts.NumberValue(7)}},
				})
			},
			status: 201, reply: `{"contact":{"id":"c1"}}`,
		},
		{
			name: "FindByEmail falls back to Search",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return s.FindByEmail(ctx, "ada+x@example.com")
			},
			status: 200, reply: `{"contact":null}`, // the search gets the mock's 599; only the requests matter
		},
		{
			name: "ListAll second page",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				for _, err := range s.ListAll(ctx, contacts.ListOptions{Limit: 1}) {
					if err != nil {
						return nil, err
					}
				}
				return nil, nil
			},
			status: 200, reply: `{"contacts":[{"id":"c1","dateAdded":"2021-07-02T05:18:26.704Z"}],"meta":{"startAfterId":"c1","startAfter":1625203106704}}`,
		},
		{
			name: "SearchAll second page",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				for _, err := range s.SearchAll(ctx, contacts.SearchParams{PageLimit: 1, Sort: []contacts.Sort{{Field: "dateAdded", Direction: contacts.Asc}}}) {
					if err != nil {
						return nil, err
					}
				}
				return nil, nil
			},
			status: 200, reply: `{"contacts":[{"id":"c1","searchAfter":[1625203106704,"c1"]}],"total":2}`,
		},
		{
			name: "AddToWorkflow in UTC",
			call: func(ctx context.Context, s *contacts.Service) (any, error) {
				return nil, s.AddToWorkflow(ctx, "c1", "wf1", contacts.WorkflowOptions{EventStartTime: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)})
			},
			status: 200, reply: `{"succeded":true}`,
		},
	}
}

// TestConformance sends every operation (through httpmock) and validates
// each request against the official spec (GHL_SPEC_DIR).
func TestConformance(t *testing.T) {
	spec := spectest.Load(t)
	t.Parallel()
	for _, tc := range append(opCases(), conformanceExtras()...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, m := newMock(t)
			m.reply(tc.status, tc.reply)
			_, _ = tc.call(t.Context(), svc) // errors after the first request are irrelevant here
			reqs := m.requests()
			if len(reqs) == 0 {
				t.Fatal("no request sent")
			}
			for _, r := range reqs {
				if err := spec.ValidateRequest(r.Method, mockBase+r.URI, r.Header, []byte(r.Body)); err != nil {
					t.Errorf("%s %s %s:\n%v", r.Method, r.URI, r.Body, err)
				}
			}
		})
	}
}

// TestConformanceFake runs the ghltest scenarios' requests through the spec
// as ghltest received them.
func TestConformanceFake(t *testing.T) {
	spec := spectest.Load(t)
	t.Parallel()
	svc, srv := newFake(t)
	ctx := t.Context()
	c, err := svc.Create(ctx, contacts.CreateParams{FirstName: "Ada", Email: "ada@example.com", Tags: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.SeedContacts(fakeLoc, 30)
	steps := []func() error{
		func() error { _, err := svc.Get(ctx, c.ID); return err },
		func() error {
			_, err := svc.Update(ctx, c.ID, contacts.UpdateParams{City: ghl.Set("X")})
			return err
		},
		func() error { _, err := svc.AddTags(ctx, c.ID, "b"); return err },
		func() error { _, err := svc.RemoveTags(ctx, c.ID, "a"); return err },
		func() error { _, err := svc.FindByPhone(ctx, "+10000000000"); _ = err; return nil },
		func() error {
			for _, err := range svc.SearchAll(ctx, contacts.SearchParams{PageLimit: 7}) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			for _, err := range svc.ListAll(ctx, contacts.ListOptions{Limit: 7}) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		func() error { return svc.Delete(ctx, c.ID) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	reqs := srv.Requests()
	if len(reqs) < 15 {
		t.Fatalf("only %d requests logged", len(reqs))
	}
	for _, r := range reqs {
		u := srv.URL + r.Path
		// The log keeps the unescaped path; these IDs need no escaping.
		if q := url.Values(r.Query).Encode(); q != "" {
			u += "?" + q
		}
		if err := spec.ValidateRequest(r.Method, u, r.Header, r.Body); err != nil {
			t.Errorf("%s %s %s:\n%v", r.Method, u, r.Body, err)
		}
	}
}
