package contacts_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
)

// TestValidation checks that bad input is refused with a *ghl.ParamError
// naming the parameter, before any request is sent.
func TestValidation(t *testing.T) {
	t.Parallel()
	type call = func(ctx context.Context, s *contacts.Service) error
	ignore := func(_ any, err error) error { return err }
	tests := []struct {
		name  string
		param string
		call  call
	}{
		{"Get empty ID", "contactID", func(ctx context.Context, s *contacts.Service) error { return ignore(s.Get(ctx, "")) }},
		{"Get blank ID", "contactID", func(ctx context.Context, s *contacts.Service) error { return ignore(s.Get(ctx, "  ")) }},
		{"Get dot-dot ID", "contactID", func(ctx context.Context, s *contacts.Service) error { return ignore(s.Get(ctx, "..")) }},
		{"Delete empty ID", "contactID", func(ctx context.Context, s *contacts.Service) error { return s.Delete(ctx, "") }},
		{"Update empty ID", "contactID", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "", contacts.UpdateParams{City: ghl.Set("x")}))
		}},
		{"Update nothing", "params", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{}))
		}},
		{"Update null postal code", "PostalCode", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{PostalCode: ghl.Null[string]()}))
		}},
		{"Update null country", "Country", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{Country: ghl.Null[string]()}))
		}},
		{"Update null DND", "DND", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{DND: ghl.Null[bool]()}))
		}},
		{"Update null DND settings", "DNDSettings", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{DNDSettings: ghl.Null[contacts.DNDSettings]()}))
		}},
		{"Update null inbound DND", "InboundDNDSettings", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{InboundDNDSettings: ghl.Null[contacts.InboundDNDSettings]()}))
		}},
		{"Update null tags", "Tags", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{Tags: ghl.Null[[]string]()}))
		}},
		{"Update zero date of birth", "DateOfBirth", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{DateOfBirth: ghl.Set(time.Time{})}))
		}},
		{"Update blank tag", "Tags", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{Tags: ghl.Set([]string{"a", ""})}))
		}},
		{"Update custom field without ID or key", "CustomFields", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{CustomFields: []contacts.CustomField{{Value: contacts.StringValue("x")}}}))
		}},
		{"Update custom field with a key but no ID", "CustomFields", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Update(ctx, "c1", contacts.UpdateParams{CustomFields: []contacts.CustomField{{Key: "size", Value: contacts.StringValue("x")}}}))
		}},
		{"Create custom field with a key but no ID", "CustomFields", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Create(ctx, contacts.CreateParams{CustomFields: []contacts.CustomField{{ID: "cf1"}, {Key: "size"}}}))
		}},
		{"Create custom field without ID or key", "CustomFields", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Create(ctx, contacts.CreateParams{CustomFields: []contacts.CustomField{{}}}))
		}},
		{"Upsert custom field without ID or key", "CustomFields", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Upsert(ctx, contacts.UpsertParams{CreateParams: contacts.CreateParams{CustomFields: []contacts.CustomField{{}}}}))
		}},
		{"Create blank location", "LocationID", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Create(ctx, contacts.CreateParams{LocationID: " "}))
		}},
		{"List limit too big", "Limit", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.List(ctx, contacts.ListOptions{Limit: 101}))
		}},
		{"List negative limit", "Limit", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.List(ctx, contacts.ListOptions{Limit: -1}))
		}},
		{"List negative cursor", "StartAfter", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.List(ctx, contacts.ListOptions{StartAfter: -1}))
		}},
		{"Search negative page limit", "PageLimit", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{PageLimit: -1}))
		}},
		{"Search page limit too big", "PageLimit", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{PageLimit: contacts.MaxPageLimit + 1}))
		}},
		{"Search page too deep", "Page", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Page: 21, PageLimit: 500}))
		}},
		{"Search negative page", "Page", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Page: -1}))
		}},
		{"Search page and cursor", "SearchAfter", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Page: 2, SearchAfter: []json.RawMessage{json.RawMessage(`1`)}}))
		}},
		{"Search invalid cursor", "SearchAfter", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{SearchAfter: []json.RawMessage{json.RawMessage(`{`)}}))
		}},
		{"Search filter without field", "Filters", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Filters: []contacts.Filter{{Operator: contacts.OpEq, Value: 1}}}))
		}},
		{"Search filter without operator", "Filters", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Filters: []contacts.Filter{{Field: "email"}}}))
		}},
		{"Search empty group", "Filters", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Filters: []contacts.Filter{contacts.Or()}}))
		}},
		{"Search bad group", "Filters", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Filters: []contacts.Filter{{Group: "XOR", Filters: []contacts.Filter{contacts.Where("a", contacts.OpExists, nil)}}}}))
		}},
		{"Search group with field", "Filters", func(ctx context.Context, s *contacts.Service) error {
			f := contacts.And(contacts.Where("a", contacts.OpExists, nil))
			f.Field = "b"
			return ignore(s.Search(ctx, contacts.SearchParams{Filters: []contacts.Filter{f}}))
		}},
		{"Search nested bad filter", "Filters", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Filters: []contacts.Filter{contacts.And(contacts.Or(contacts.Filter{Field: "x"}))}}))
		}},
		{"Search sort without field", "Sort", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Sort: []contacts.Sort{{Direction: contacts.Asc}}}))
		}},
		{"Search bad sort direction", "Sort", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.Search(ctx, contacts.SearchParams{Sort: []contacts.Sort{{Field: "dateAdded", Direction: "up"}}}))
		}},
		{"GetDuplicate without email or phone", "Email", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.GetDuplicate(ctx, contacts.DuplicateOptions{}))
		}},
		{"FindByEmail empty", "email", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.FindByEmail(ctx, ""))
		}},
		{"FindByPhone empty", "phone", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.FindByPhone(ctx, " "))
		}},
		{"ListByBusiness empty ID", "businessID", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.ListByBusiness(ctx, "", contacts.BusinessListOptions{}))
		}},
		{"ListByBusiness negative skip", "Skip", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.ListByBusiness(ctx, "b1", contacts.BusinessListOptions{Skip: -1}))
		}},
		{"ListByBusiness negative limit", "Limit", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.ListByBusiness(ctx, "b1", contacts.BusinessListOptions{Limit: -5}))
		}},
		{"ListAppointments empty ID", "contactID", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.ListAppointments(ctx, ""))
		}},
		{"AddTags no tags", "tags", func(ctx context.Context, s *contacts.Service) error { return ignore(s.AddTags(ctx, "c1")) }},
		{"AddTags blank tag", "tags", func(ctx context.Context, s *contacts.Service) error { return ignore(s.AddTags(ctx, "c1", "a", " ")) }},
		{"AddTags empty ID", "contactID", func(ctx context.Context, s *contacts.Service) error { return ignore(s.AddTags(ctx, "", "a")) }},
		{"RemoveTags no tags", "tags", func(ctx context.Context, s *contacts.Service) error { return ignore(s.RemoveTags(ctx, "c1")) }},
		{"BulkAddTags no contacts", "ContactIDs", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkAddTags(ctx, contacts.BulkTagsParams{Tags: []string{"t"}}))
		}},
		{"BulkAddTags no tags", "Tags", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkAddTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{"c1"}}))
		}},
		{"BulkAddTags remove all", "RemoveAllTags", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkAddTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{"c1"}, RemoveAllTags: true}))
		}},
		{"BulkRemoveTags no tags", "Tags", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkRemoveTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{"c1"}}))
		}},
		{"BulkRemoveTags blank contact", "ContactIDs", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkRemoveTags(ctx, contacts.BulkTagsParams{ContactIDs: []string{""}, Tags: []string{"t"}}))
		}},
		{"BulkAddToBusiness empty business", "businessID", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkAddToBusiness(ctx, "", contacts.BulkBusinessParams{ContactIDs: []string{"c1"}}))
		}},
		{"BulkAddToBusiness no contacts", "ContactIDs", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkAddToBusiness(ctx, "b1", contacts.BulkBusinessParams{}))
		}},
		{"BulkRemoveFromBusiness long ID", "ContactIDs", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.BulkRemoveFromBusiness(ctx, contacts.BulkBusinessParams{ContactIDs: []string{strings.Repeat("x", 51)}}))
		}},
		{"AddFollowers none", "userIDs", func(ctx context.Context, s *contacts.Service) error { return ignore(s.AddFollowers(ctx, "c1")) }},
		{"RemoveFollowers empty ID", "contactID", func(ctx context.Context, s *contacts.Service) error {
			return ignore(s.RemoveFollowers(ctx, "", "u1"))
		}},
		{"AddToCampaign empty contact", "contactID", func(ctx context.Context, s *contacts.Service) error { return s.AddToCampaign(ctx, "", "x") }},
		{"AddToCampaign empty campaign", "campaignID", func(ctx context.Context, s *contacts.Service) error { return s.AddToCampaign(ctx, "c1", "") }},
		{"RemoveFromCampaign removeAll", "campaignID", func(ctx context.Context, s *contacts.Service) error {
			return s.RemoveFromCampaign(ctx, "c1", "removeAll")
		}},
		{"RemoveFromAllCampaigns empty ID", "contactID", func(ctx context.Context, s *contacts.Service) error { return s.RemoveFromAllCampaigns(ctx, "") }},
		{"AddToWorkflow empty workflow", "workflowID", func(ctx context.Context, s *contacts.Service) error {
			return s.AddToWorkflow(ctx, "c1", "", contacts.WorkflowOptions{})
		}},
		{"RemoveFromWorkflow empty contact", "contactID", func(ctx context.Context, s *contacts.Service) error {
			return s.RemoveFromWorkflow(ctx, "", "w1")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, m := newMock(t)
			err := tc.call(t.Context(), svc)
			var pe *ghl.ParamError
			if !errors.As(err, &pe) || !errors.Is(err, ghl.ErrInvalidParam) {
				t.Fatalf("err = %v, want a *ghl.ParamError", err)
			}
			if pe.Param != tc.param {
				t.Errorf("Param = %q, want %q (%v)", pe.Param, tc.param, err)
			}
			if n := len(m.requests()); n != 0 {
				t.Errorf("sent %d requests for invalid input", n)
			}
		})
	}
}
