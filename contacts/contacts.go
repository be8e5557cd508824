package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/internal/api"
	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/wire"
)

// Service calls the Contacts API (other than tasks and notes, which have
// their own packages). It is safe for concurrent use; create it with New.
type Service struct {
	client *ghl.Client
}

// New returns a Service that sends its requests through c, sharing c's
// authentication, retries and rate limit. c must not be nil.
func New(c *ghl.Client) *Service {
	if c == nil {
		panic("contacts: New called with a nil *ghl.Client")
	}
	return &Service{client: c}
}

// Response envelopes, as HighLevel wraps its answers. Records arrive in
// their wire form and are converted once decoded (see contactInWire).
type (
	// envelope is how HighLevel wraps one contact.
	envelope struct {
		wire.Body
		Contact *contactInWire `json:"contact"`
	}
	// tagsBody is the spec's TagsDTO, and the shape of its answers.
	tagsBody struct {
		Tags []string `json:"tags"`
	}
	appointmentsResponse struct {
		wire.Body
		Events []appointmentWire `json:"events"`
	}
	listResponse struct {
		wire.Body
		Contacts []contactInWire `json:"contacts"`
		Meta     ListMeta        `json:"meta"`
		Count    int             `json:"count"`
	}
	searchResponse struct {
		wire.Body
		Contacts []contactInWire `json:"contacts"`
		Total    *int            `json:"total"`
		Count    *int            `json:"count"`
	}
	businessResponse struct {
		wire.Body
		Contacts []contactInWire `json:"contacts"`
		Count    int             `json:"count"`
	}
	upsertResponse struct {
		wire.Body
		Contact contactInWire `json:"contact"`
		New     bool          `json:"new"`
		TraceID string        `json:"traceId"`
	}
)

func (e *envelope) One() *Contact {
	return wire.One(e.Contact, (*contactInWire).contact, e.Bytes, "contact")
}

// Get returns a contact. A missing contact gives an error for which
// ghl.IsNotFound is true.
func (s *Service) Get(ctx context.Context, contactID string) (*Contact, error) {
	path, err := contactPath("/contacts/%s", contactID)
	if err != nil {
		return nil, err
	}
	return s.doContact(ctx, &ghl.Request{Method: http.MethodGet, Path: path})
}

// Create adds a contact and returns it as HighLevel stored it.
//
// Create is not retried once the request may have reached HighLevel. If the
// outcome is unknown the error wraps ghl.ErrOutcomeUnknown: look the contact
// up (FindByEmail, FindByPhone) before creating it again. Upsert avoids the
// question where the location forbids duplicates: it updates the contact a
// first attempt created instead of adding a second one.
func (s *Service) Create(ctx context.Context, params CreateParams) (*Contact, error) {
	if err := s.fillLocation(&params.LocationID); err != nil {
		return nil, err
	}
	if err := checkCustomFields(params.CustomFields); err != nil {
		return nil, err
	}
	body := createBody{CreateParams: &params, DateOfBirth: isotime.Date(params.DateOfBirth)}
	return s.doContact(ctx, &ghl.Request{Method: http.MethodPost, Path: "/contacts/", Body: body})
}

// Update changes the fields set in params (see UpdateParams and Field) and
// returns the updated contact.
func (s *Service) Update(ctx context.Context, contactID string, params UpdateParams) (*Contact, error) {
	path, err := contactPath("/contacts/%s", contactID)
	if err != nil {
		return nil, err
	}
	body, err := checkUpdate(&params)
	if err != nil {
		return nil, err
	}
	return s.doContact(ctx, &ghl.Request{Method: http.MethodPut, Path: path, Body: body})
}

// Upsert creates a contact, or updates the one HighLevel's duplicate rules
// match; UpsertResult.New tells which.
func (s *Service) Upsert(ctx context.Context, params UpsertParams) (*UpsertResult, error) {
	if err := s.fillLocation(&params.LocationID); err != nil {
		return nil, err
	}
	if err := checkCustomFields(params.CustomFields); err != nil {
		return nil, err
	}
	body := upsertBody{UpsertParams: &params, DateOfBirth: isotime.Date(params.DateOfBirth)}
	var out upsertResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodPost, Path: "/contacts/upsert", Body: body}, &out); err != nil {
		return nil, err
	}
	return &UpsertResult{Contact: out.Contact.contact(wire.In(out.Bytes, "contact")), New: out.New, TraceID: out.TraceID}, nil
}

// Delete deletes a contact.
func (s *Service) Delete(ctx context.Context, contactID string) error {
	path, err := contactPath("/contacts/%s", contactID)
	if err != nil {
		return err
	}
	return s.doSucceeded(ctx, &ghl.Request{Method: http.MethodDelete, Path: path})
}

// List returns one page of GET /contacts/, which HighLevel deprecates in
// favour of Search. ListAll walks every page.
func (s *Service) List(ctx context.Context, opts ListOptions) (*ListResult, error) {
	if err := s.fillLocation(&opts.LocationID); err != nil {
		return nil, err
	}
	if opts.Limit < 0 || opts.Limit > 100 {
		return nil, api.InvalidParam("Limit", fmt.Sprintf("must be at most 100 (0 for HighLevel's default of 20), got %d", opts.Limit))
	}
	if opts.StartAfter < 0 {
		return nil, api.InvalidParam("StartAfter", "must not be negative")
	}
	var out listResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodGet, Path: "/contacts/", Query: opts}, &out); err != nil {
		return nil, err
	}
	return &ListResult{Contacts: wire.Many(out.Contacts, (*contactInWire).contact, out.Bytes, "contacts"), Meta: out.Meta, Count: out.Count}, nil
}

// ListAll returns an iterator over every contact List returns for opts,
// starting at opts' cursor. It fetches a page only when the previous one has
// been consumed, holds one page in memory, and stops fetching when the loop
// stops. An error is yielded once, as the last value:
//
//	for c, err := range svc.ListAll(ctx, contacts.ListOptions{Limit: 100}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(c.ID)
//	}
func (s *Service) ListAll(ctx context.Context, opts ListOptions) iter.Seq2[Contact, error] {
	return api.Paginate(ctx, pageState[ListOptions]{opts: opts}, func(ctx context.Context, st pageState[ListOptions]) ([]Contact, *pageState[ListOptions], error) {
		if st.err != nil {
			return nil, nil, st.err
		}
		opts := st.opts
		page, err := s.List(ctx, opts)
		if err != nil {
			return nil, nil, err
		}
		limit := opts.Limit
		if limit == 0 {
			limit = 20 // HighLevel's default page size
		}
		if len(page.Contacts) == 0 || len(page.Contacts) < limit {
			return page.Contacts, nil, nil
		}
		next := opts
		next.StartAfterID, next.StartAfter = page.Meta.StartAfterID, page.Meta.StartAfter
		if next.StartAfterID == "" {
			// No cursor in meta: continue after the last contact.
			last := page.Contacts[len(page.Contacts)-1]
			next.StartAfterID, next.StartAfter = last.ID, last.DateAdded.UnixMilli()
		}
		if next.StartAfterID == opts.StartAfterID && next.StartAfter == opts.StartAfter {
			// Asking again would loop forever.
			return page.Contacts, &pageState[ListOptions]{err: fmt.Errorf("contacts: ListAll: HighLevel returned the same cursor (%s) twice", next.StartAfterID)}, nil
		}
		return page.Contacts, &pageState[ListOptions]{opts: next}, nil
	})
}

// pageState is what ListAll and SearchAll carry from page to page: the
// options of the next page, or an error to yield after the page just read.
type pageState[O any] struct {
	opts O
	err  error
}

// Search returns one page of contacts matching params (POST /contacts/search).
// It changes nothing, so it is retried like a GET and needs only the
// contacts.readonly scope. SearchAll walks every page.
func (s *Service) Search(ctx context.Context, params SearchParams) (*SearchResult, error) {
	if err := s.fillLocation(&params.LocationID); err != nil {
		return nil, err
	}
	if err := checkSearch(&params); err != nil {
		return nil, err
	}
	var out searchResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodPost, Path: "/contacts/search", Body: params, ReadOnly: true}, &out); err != nil {
		return nil, err
	}
	r := &SearchResult{Contacts: wire.Many(out.Contacts, (*contactInWire).contact, out.Bytes, "contacts")}
	switch {
	case out.Total != nil:
		r.Total = *out.Total
	case out.Count != nil:
		r.Total = *out.Count
	}
	return r, nil
}

// SearchAll returns an iterator over every contact matching params, from
// params' page or cursor on. It follows each page's last SearchAfter cursor
// when HighLevel sends one, and the next page number otherwise. Like ListAll
// it is lazy, holds one page in memory and yields an error once.
func (s *Service) SearchAll(ctx context.Context, params SearchParams) iter.Seq2[Contact, error] {
	if params.PageLimit == 0 {
		params.PageLimit = DefaultPageLimit
	}
	return api.Paginate(ctx, pageState[SearchParams]{opts: params}, func(ctx context.Context, st pageState[SearchParams]) ([]Contact, *pageState[SearchParams], error) {
		if st.err != nil {
			return nil, nil, st.err
		}
		params := st.opts
		page, err := s.Search(ctx, params)
		if err != nil {
			return nil, nil, err
		}
		if len(page.Contacts) == 0 || len(page.Contacts) < params.PageLimit {
			return page.Contacts, nil, nil
		}
		next := params
		if after := page.Contacts[len(page.Contacts)-1].SearchAfter; len(after) > 0 {
			next.Page, next.SearchAfter = 0, after
			return page.Contacts, &pageState[SearchParams]{opts: next}, nil
		}
		if len(params.SearchAfter) > 0 {
			// Cursor paging without a new cursor: no way to go on.
			return page.Contacts, &pageState[SearchParams]{err: errors.New("contacts: SearchAll: HighLevel sent no searchAfter cursor to continue from")}, nil
		}
		cur := max(params.Page, 1)
		if page.Total > 0 && cur*params.PageLimit >= page.Total {
			return page.Contacts, nil, nil
		}
		next.Page = cur + 1
		return page.Contacts, &pageState[SearchParams]{opts: next}, nil
	})
}

// GetDuplicate looks a contact up by email or phone number with the
// location's duplicate rules (GET /contacts/search/duplicate): if duplicates
// are allowed, email is tried first, then phone; otherwise the location's
// unique identifier decides. No match gives an error for which
// ghl.IsNotFound is true. FindByEmail and FindByPhone add a fallback.
func (s *Service) GetDuplicate(ctx context.Context, opts DuplicateOptions) (*Contact, error) {
	if err := s.fillLocation(&opts.LocationID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.Email) == "" && strings.TrimSpace(opts.Phone) == "" {
		return nil, api.InvalidParam("Email", "Email or Phone must be set")
	}
	return s.doContact(ctx, &ghl.Request{Method: http.MethodGet, Path: "/contacts/search/duplicate", Query: opts})
}

// FindByEmail returns the contact with this email address in the client's
// default location. It asks the duplicate lookup first and, when that finds
// nothing or refuses the lookup (400, 404: the location may identify
// contacts by phone only), searches for the email. No contact gives an error
// for which ghl.IsNotFound is true.
func (s *Service) FindByEmail(ctx context.Context, email string) (*Contact, error) {
	if strings.TrimSpace(email) == "" {
		return nil, api.InvalidParam("email", "must not be empty")
	}
	return s.find(ctx, DuplicateOptions{Email: email}, "email", email)
}

// FindByPhone is FindByEmail for a phone number. Give it in the form
// HighLevel stores, E.164 ("+18885550100"), for the search fallback to match.
func (s *Service) FindByPhone(ctx context.Context, phone string) (*Contact, error) {
	if strings.TrimSpace(phone) == "" {
		return nil, api.InvalidParam("phone", "must not be empty")
	}
	return s.find(ctx, DuplicateOptions{Phone: phone}, "phone", phone)
}

func (s *Service) find(ctx context.Context, dup DuplicateOptions, field, value string) (*Contact, error) {
	c, err := s.GetDuplicate(ctx, dup)
	if err == nil {
		return c, nil
	}
	var apiErr *ghl.APIError
	if !ghl.IsNotFound(err) && !(errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest) {
		return nil, err
	}
	page, err := s.Search(ctx, SearchParams{Filters: []Filter{Where(field, OpEq, value)}, PageLimit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Contacts) == 0 {
		return nil, fmt.Errorf("contacts: no contact with that %s: %w", field, ghl.ErrNotFound)
	}
	return &page.Contacts[0], nil
}

// ListByBusiness returns one page of the contacts of a business.
func (s *Service) ListByBusiness(ctx context.Context, businessID string, opts BusinessListOptions) (*BusinessListResult, error) {
	path, err := idPath("/contacts/business/%s", "businessID", businessID)
	if err != nil {
		return nil, err
	}
	if err := s.fillLocation(&opts.LocationID); err != nil {
		return nil, err
	}
	if opts.Limit < 0 {
		return nil, api.InvalidParam("Limit", "must not be negative")
	}
	if opts.Skip < 0 {
		return nil, api.InvalidParam("Skip", "must not be negative")
	}
	var out businessResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodGet, Path: path, Query: opts}, &out); err != nil {
		return nil, err
	}
	return &BusinessListResult{Contacts: wire.Many(out.Contacts, (*contactInWire).contact, out.Bytes, "contacts"), Count: out.Count}, nil
}

// ListAppointments returns the calendar appointments of a contact.
func (s *Service) ListAppointments(ctx context.Context, contactID string) ([]Appointment, error) {
	path, err := contactPath("/contacts/%s/appointments", contactID)
	if err != nil {
		return nil, err
	}
	var out appointmentsResponse
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodGet, Path: path}, &out); err != nil {
		return nil, err
	}
	return wire.Many(out.Events, (*appointmentWire).appointment, out.Bytes, "events"), nil
}

// AddTags adds tags to a contact, keeping its other tags, and returns the
// tags HighLevel reports.
func (s *Service) AddTags(ctx context.Context, contactID string, tags ...string) ([]string, error) {
	return s.tags(ctx, http.MethodPost, contactID, tags)
}

// RemoveTags removes tags from a contact and returns the tags HighLevel
// reports.
func (s *Service) RemoveTags(ctx context.Context, contactID string, tags ...string) ([]string, error) {
	return s.tags(ctx, http.MethodDelete, contactID, tags)
}

func (s *Service) tags(ctx context.Context, method, contactID string, tags []string) ([]string, error) {
	path, err := contactPath("/contacts/%s/tags", contactID)
	if err != nil {
		return nil, err
	}
	if err := checkList("tags", tags); err != nil {
		return nil, err
	}
	var out tagsBody
	if _, err := s.client.Do(ctx, &ghl.Request{Method: method, Path: path, Body: tagsBody{Tags: tags}}, &out); err != nil {
		return nil, err
	}
	return out.Tags, nil
}

// BulkAddTags adds tags to many contacts at once. Failures for single
// contacts are reported in the result, not as an error.
func (s *Service) BulkAddTags(ctx context.Context, params BulkTagsParams) (*BulkTagsResult, error) {
	if params.RemoveAllTags {
		return nil, api.InvalidParam("RemoveAllTags", "only BulkRemoveTags accepts it")
	}
	return s.bulkTags(ctx, "add", params)
}

// BulkRemoveTags removes tags from many contacts at once, or every tag when
// params.RemoveAllTags is set.
func (s *Service) BulkRemoveTags(ctx context.Context, params BulkTagsParams) (*BulkTagsResult, error) {
	return s.bulkTags(ctx, "remove", params)
}

func (s *Service) bulkTags(ctx context.Context, action string, params BulkTagsParams) (*BulkTagsResult, error) {
	if err := s.fillLocation(&params.LocationID); err != nil {
		return nil, err
	}
	if err := checkList("ContactIDs", params.ContactIDs); err != nil {
		return nil, err
	}
	if params.RemoveAllTags && len(params.Tags) == 0 {
		params.Tags = []string{} // the spec requires the member
	} else if err := checkList("Tags", params.Tags); err != nil {
		return nil, err
	}
	path, err := ghl.Path("/contacts/bulk/tags/update/%s", action)
	if err != nil {
		return nil, err
	}
	var out BulkTagsResult
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodPost, Path: path, Body: params}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// bulkBusinessBody is the spec's ContactsBusinessUpdate; a nil BusinessID is
// sent as null, which removes the contacts from their business.
type bulkBusinessBody struct {
	LocationID string   `json:"locationId"`
	IDs        []string `json:"ids"`
	BusinessID *string  `json:"businessId"`
}

// BulkAddToBusiness moves contacts into a business.
func (s *Service) BulkAddToBusiness(ctx context.Context, businessID string, params BulkBusinessParams) (*BulkBusinessResult, error) {
	if businessID == "" {
		return nil, api.InvalidParam("businessID", "must not be empty; use BulkRemoveFromBusiness to remove contacts from their business")
	}
	return s.bulkBusiness(ctx, &businessID, params)
}

// BulkRemoveFromBusiness removes contacts from whatever business they belong
// to.
func (s *Service) BulkRemoveFromBusiness(ctx context.Context, params BulkBusinessParams) (*BulkBusinessResult, error) {
	return s.bulkBusiness(ctx, nil, params)
}

func (s *Service) bulkBusiness(ctx context.Context, businessID *string, params BulkBusinessParams) (*BulkBusinessResult, error) {
	if err := s.fillLocation(&params.LocationID); err != nil {
		return nil, err
	}
	if err := checkList("ContactIDs", params.ContactIDs); err != nil {
		return nil, err
	}
	for _, id := range params.ContactIDs {
		if len(id) > 50 {
			return nil, api.InvalidParam("ContactIDs", fmt.Sprintf("IDs are at most 50 characters, got %d", len(id)))
		}
	}
	body := bulkBusinessBody{LocationID: params.LocationID, IDs: params.ContactIDs, BusinessID: businessID}
	var out BulkBusinessResult
	if _, err := s.client.Do(ctx, &ghl.Request{Method: http.MethodPost, Path: "/contacts/bulk/business", Body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// followersBody is the spec's FollowersDTO.
type followersBody struct {
	Followers []string `json:"followers"`
}

// AddFollowers makes users (by user ID) follow a contact.
func (s *Service) AddFollowers(ctx context.Context, contactID string, userIDs ...string) (*Followers, error) {
	return s.followers(ctx, http.MethodPost, contactID, userIDs)
}

// RemoveFollowers stops users (by user ID) following a contact.
func (s *Service) RemoveFollowers(ctx context.Context, contactID string, userIDs ...string) (*Followers, error) {
	return s.followers(ctx, http.MethodDelete, contactID, userIDs)
}

func (s *Service) followers(ctx context.Context, method, contactID string, userIDs []string) (*Followers, error) {
	path, err := contactPath("/contacts/%s/followers", contactID)
	if err != nil {
		return nil, err
	}
	if err := checkList("userIDs", userIDs); err != nil {
		return nil, err
	}
	var out Followers
	if _, err := s.client.Do(ctx, &ghl.Request{Method: method, Path: path, Body: followersBody{Followers: userIDs}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// removeAll is the path segment of RemoveFromAllCampaigns; a campaign with
// that ID would be unreachable.
const removeAll = "removeAll"

// AddToCampaign adds a contact to a campaign.
func (s *Service) AddToCampaign(ctx context.Context, contactID, campaignID string) error {
	path, err := campaignPath(contactID, campaignID)
	if err != nil {
		return err
	}
	return s.doSucceeded(ctx, &ghl.Request{Method: http.MethodPost, Path: path, Body: struct{}{}})
}

// RemoveFromCampaign removes a contact from a campaign.
func (s *Service) RemoveFromCampaign(ctx context.Context, contactID, campaignID string) error {
	path, err := campaignPath(contactID, campaignID)
	if err != nil {
		return err
	}
	return s.doSucceeded(ctx, &ghl.Request{Method: http.MethodDelete, Path: path})
}

// RemoveFromAllCampaigns removes a contact from every campaign.
func (s *Service) RemoveFromAllCampaigns(ctx context.Context, contactID string) error {
	path, err := contactPath("/contacts/%s/campaigns/"+removeAll, contactID)
	if err != nil {
		return err
	}
	return s.doSucceeded(ctx, &ghl.Request{Method: http.MethodDelete, Path: path})
}

// workflowBody is the spec's CreateWorkflowDto.
type workflowBody struct {
	EventStartTime string `json:"eventStartTime,omitempty"`
}

// AddToWorkflow enrolls a contact in a workflow.
func (s *Service) AddToWorkflow(ctx context.Context, contactID, workflowID string, opts WorkflowOptions) error {
	path, err := workflowPath(contactID, workflowID)
	if err != nil {
		return err
	}
	var body workflowBody
	if !opts.EventStartTime.IsZero() {
		// RFC 3339 keeps the caller's offset, as the spec's example does.
		body.EventStartTime = opts.EventStartTime.Format(time.RFC3339)
	}
	return s.doSucceeded(ctx, &ghl.Request{Method: http.MethodPost, Path: path, Body: body})
}

// RemoveFromWorkflow removes a contact from a workflow.
func (s *Service) RemoveFromWorkflow(ctx context.Context, contactID, workflowID string) error {
	path, err := workflowPath(contactID, workflowID)
	if err != nil {
		return err
	}
	// The spec requires a body (CreateWorkflowDto) even here.
	return s.doSucceeded(ctx, &ghl.Request{Method: http.MethodDelete, Path: path, Body: workflowBody{}})
}

// doContact sends r and unwraps {"contact": ...}. A 2xx without a contact
// (the duplicate lookup's "contact": null) is reported as not found.
func (s *Service) doContact(ctx context.Context, r *ghl.Request) (*Contact, error) {
	return api.One[Contact, envelope](ctx, s.client, r, "contact")
}

// doSucceeded sends r and checks HighLevel's {"succeded": bool}.
func (s *Service) doSucceeded(ctx context.Context, r *ghl.Request) error {
	return api.Succeeded(ctx, s.client, r)
}

// fillLocation sets an empty *id, a request's LocationID, to the client's
// default location, and refuses a blank one or none at all.
func (s *Service) fillLocation(id *string) error {
	if *id != "" {
		if strings.TrimSpace(*id) == "" {
			return api.InvalidParam("LocationID", "must not be blank")
		}
		return nil
	}
	if def := s.client.LocationID(); def != "" {
		*id = def
		return nil
	}
	return api.InvalidParam("LocationID", "must be set when the client has no default location (ghl.WithLocationID)")
}

// idPath checks one ID and fills it into format.
func idPath(format, name, id string) (string, error) {
	if err := api.CheckID(name, id); err != nil {
		return "", err
	}
	return ghl.Path(format, id)
}

func contactPath(format, contactID string) (string, error) {
	return idPath(format, "contactID", contactID)
}

func campaignPath(contactID, campaignID string) (string, error) {
	if err := api.CheckID("contactID", contactID); err != nil {
		return "", err
	}
	if err := api.CheckID("campaignID", campaignID); err != nil {
		return "", err
	}
	if campaignID == removeAll {
		return "", api.InvalidParam("campaignID", `"removeAll" names another endpoint; use RemoveFromAllCampaigns`)
	}
	return ghl.Path("/contacts/%s/campaigns/%s", contactID, campaignID)
}

func workflowPath(contactID, workflowID string) (string, error) {
	if err := api.CheckID("contactID", contactID); err != nil {
		return "", err
	}
	if err := api.CheckID("workflowID", workflowID); err != nil {
		return "", err
	}
	return ghl.Path("/contacts/%s/workflow/%s", contactID, workflowID)
}

// checkList refuses an empty list or a list with a blank item.
func checkList(name string, items []string) error {
	if len(items) == 0 {
		return api.InvalidParam(name, "must not be empty")
	}
	for i, it := range items {
		if strings.TrimSpace(it) == "" {
			return api.InvalidParam(name, fmt.Sprintf("item %d is empty", i))
		}
	}
	return nil
}

// checkCustomFields refuses custom fields without an ID: every custom field
// shape of the spec's create, update and upsert bodies requires "id" (a Key
// may accompany it, but HighLevel documents no write by key alone).
func checkCustomFields(fields []CustomField) error {
	for i, f := range fields {
		if strings.TrimSpace(f.ID) == "" {
			reason := fmt.Sprintf("item %d has no ID; HighLevel requires the custom field's id", i)
			if f.Key != "" {
				reason = fmt.Sprintf("item %d (key %q) has no ID; HighLevel requires the custom field's id, a key alone is not accepted", i, f.Key)
			}
			return api.InvalidParam("CustomFields", reason)
		}
	}
	return nil
}

// checkUpdate refuses an empty update and null for fields the spec does not
// let be null, sends Set(nil) tags as [], and returns the body to send.
func checkUpdate(p *UpdateParams) (*updateBody, error) {
	body := &updateBody{UpdateParams: p}
	if p.DateOfBirth.IsNull() {
		body.DateOfBirth = ghl.Null[isotime.Date]()
	} else if d, ok := p.DateOfBirth.Get(); ok {
		if d.IsZero() {
			return nil, api.InvalidParam("DateOfBirth", "must not be the zero time; clear it with ghl.Null")
		}
		body.DateOfBirth = ghl.Set(isotime.Date(d))
	}
	if b, err := json.Marshal(body); err != nil {
		return nil, fmt.Errorf("contacts: encoding UpdateParams: %w", err)
	} else if string(b) == "{}" {
		return nil, api.InvalidParam("params", "no field to update")
	}
	if err := api.NotNull(
		api.Nullable{Name: "PostalCode", Null: p.PostalCode.IsNull()},
		api.Nullable{Name: "Country", Null: p.Country.IsNull()},
		api.Nullable{Name: "DND", Null: p.DND.IsNull()},
		api.Nullable{Name: "DNDSettings", Null: p.DNDSettings.IsNull()},
		api.Nullable{Name: "InboundDNDSettings", Null: p.InboundDNDSettings.IsNull()},
		api.Nullable{Name: "Tags", Null: p.Tags.IsNull()},
	); err != nil {
		return nil, err
	}
	if tags, ok := p.Tags.Get(); ok {
		if tags == nil {
			p.Tags = ghl.Set([]string{})
		}
		for i, t := range tags {
			if strings.TrimSpace(t) == "" {
				return nil, api.InvalidParam("Tags", fmt.Sprintf("item %d is empty", i))
			}
		}
	}
	return body, checkCustomFields(p.CustomFields)
}

// checkSearch validates paging and filters and fills the default page size.
func checkSearch(p *SearchParams) error {
	switch {
	case p.PageLimit < 0:
		return api.InvalidParam("PageLimit", "must not be negative")
	case p.PageLimit == 0:
		p.PageLimit = DefaultPageLimit
	case p.PageLimit > MaxPageLimit:
		return api.InvalidParam("PageLimit", fmt.Sprintf("must be at most %d, got %d", MaxPageLimit, p.PageLimit))
	}
	if p.Page < 0 {
		return api.InvalidParam("Page", "must not be negative")
	}
	if p.Page*p.PageLimit > maxSearchWindow {
		return api.InvalidParam("Page", fmt.Sprintf("Page × PageLimit must not exceed %d; go further with SearchAfter (SearchAll does)", maxSearchWindow))
	}
	if p.Page > 0 && len(p.SearchAfter) > 0 {
		return api.InvalidParam("SearchAfter", "cannot be combined with Page")
	}
	for _, raw := range p.SearchAfter {
		if !json.Valid(raw) {
			return api.InvalidParam("SearchAfter", "holds invalid JSON")
		}
	}
	for _, f := range p.Filters {
		if err := checkFilter(f); err != nil {
			return err
		}
	}
	for _, o := range p.Sort {
		if o.Field == "" {
			return api.InvalidParam("Sort", "field must not be empty")
		}
		if o.Direction != Asc && o.Direction != Desc {
			return api.InvalidParam("Sort", fmt.Sprintf("direction must be %q or %q, got %q", Asc, Desc, o.Direction))
		}
	}
	return nil
}

func checkFilter(f Filter) error {
	if f.Group != "" || len(f.Filters) > 0 {
		if f.Field != "" || f.Operator != "" || f.Value != nil {
			return api.InvalidParam("Filters", "a group must not have a field, operator or value")
		}
		if f.Group != "AND" && f.Group != "OR" {
			return api.InvalidParam("Filters", fmt.Sprintf(`group must be "AND" or "OR", got %q`, f.Group))
		}
		if len(f.Filters) == 0 {
			return api.InvalidParam("Filters", "a group needs at least one filter")
		}
		for _, sub := range f.Filters {
			if err := checkFilter(sub); err != nil {
				return err
			}
		}
		return nil
	}
	if f.Field == "" {
		return api.InvalidParam("Filters", "field must not be empty")
	}
	if f.Operator == "" {
		return api.InvalidParam("Filters", fmt.Sprintf("filter on %q has no operator", f.Field))
	}
	return nil
}
