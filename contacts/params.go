package contacts

import (
	"encoding/json"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/internal/isotime"
)

// The request bodies of Create, Upsert and Update: the params with dates in
// the spec's form. A field at a shallower depth wins over the embedded one.
type (
	createBody struct {
		*CreateParams
		DateOfBirth isotime.Date `json:"dateOfBirth,omitzero"`
	}
	upsertBody struct {
		*UpsertParams
		DateOfBirth isotime.Date `json:"dateOfBirth,omitzero"`
	}
	updateBody struct {
		*UpdateParams
		DateOfBirth ghl.Field[isotime.Date] `json:"dateOfBirth,omitzero"`
	}
)

// CreateParams describes a new contact (the spec's CreateContactDto). Empty
// fields are not sent.
//
// LocationID may be left empty when the client has a default location
// (ghl.WithLocationID).
type CreateParams struct {
	LocationID string `json:"locationId"`

	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"` // E.164 is safest: "+18885550100"
	Gender      string `json:"gender,omitempty"`
	CompanyName string `json:"companyName,omitempty"`
	Website     string `json:"website,omitempty"`
	Timezone    string `json:"timezone,omitempty"` // IANA name, such as "America/Chicago"
	Address1    string `json:"address1,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
	Country     string `json:"country,omitempty"` // two-letter code, such as "US"
	// DateOfBirth is sent as its date in its own location ("1990-09-25");
	// the zero time is not sent.
	DateOfBirth time.Time `json:"-"`
	Source      string    `json:"source,omitempty"`
	AssignedTo  string    `json:"assignedTo,omitempty"` // user ID

	// DND is the global do-not-disturb switch; nil leaves HighLevel's
	// default. With Go 1.26 write new(true).
	DND                *bool               `json:"dnd,omitempty"`
	DNDSettings        *DNDSettings        `json:"dndSettings,omitempty"`
	InboundDNDSettings *InboundDNDSettings `json:"inboundDndSettings,omitempty"`
	Tags               []string            `json:"tags,omitempty"`
	CustomFields       []CustomField       `json:"customFields,omitempty"`
}

// UpsertParams describes a contact to create, or to merge into the existing
// contact that HighLevel's duplicate rules match (by email, phone, or both,
// in the order the location's "Allow Duplicate Contact" setting gives). It is
// the spec's UpsertContactDto: CreateParams plus one switch.
type UpsertParams struct {
	CreateParams
	// CreateNewIfDuplicateAllowed creates a new contact without looking for
	// a duplicate, when the location allows duplicates. Otherwise it is
	// ignored.
	CreateNewIfDuplicateAllowed bool `json:"createNewIfDuplicateAllowed,omitempty"`
}

// UpsertResult is the answer to Upsert.
type UpsertResult struct {
	Contact Contact `json:"contact"`
	New     bool    `json:"new"` // true when a contact was created
	TraceID string  `json:"traceId,omitempty"`
}

// UpdateParams changes some fields of a contact (the spec's
// UpdateContactDto). Each field is a [ghl.Field]: leave it zero to keep the
// contact's value, Set it to send a value, or make it Null to clear it.
//
//	contacts.UpdateParams{
//		Phone:   ghl.Set("+18885550100"),
//		Website: ghl.Null[string](), // sends "website": null
//		Tags:    ghl.Set([]string{}), // removes every tag
//	}
//
// Null is refused for PostalCode, Country, DND, DNDSettings,
// InboundDNDSettings and Tags, which the spec does not let be null; clear
// them with an empty value. Set(nil) for Tags is sent as [].
//
// CustomFields are merged: only the listed fields change. Clear one with
// Value: NullValue() (or an empty StringValue / StringsValue). Each needs
// its ID, as in CreateParams.
//
// The spec's UpdateContactDto has no companyName or gender; change those
// with Upsert.
type UpdateParams struct {
	FirstName   ghl.Field[string]    `json:"firstName,omitzero"`
	LastName    ghl.Field[string]    `json:"lastName,omitzero"`
	Name        ghl.Field[string]    `json:"name,omitzero"`
	Email       ghl.Field[string]    `json:"email,omitzero"`
	Phone       ghl.Field[string]    `json:"phone,omitzero"`
	Website     ghl.Field[string]    `json:"website,omitzero"`
	Timezone    ghl.Field[string]    `json:"timezone,omitzero"`
	Address1    ghl.Field[string]    `json:"address1,omitzero"`
	City        ghl.Field[string]    `json:"city,omitzero"`
	State       ghl.Field[string]    `json:"state,omitzero"`
	PostalCode  ghl.Field[string]    `json:"postalCode,omitzero"`
	Country     ghl.Field[string]    `json:"country,omitzero"`
	DateOfBirth ghl.Field[time.Time] `json:"-"` // sent as in CreateParams
	Source      ghl.Field[string]    `json:"source,omitzero"`
	AssignedTo  ghl.Field[string]    `json:"assignedTo,omitzero"`

	DND                ghl.Field[bool]               `json:"dnd,omitzero"`
	DNDSettings        ghl.Field[DNDSettings]        `json:"dndSettings,omitzero"`
	InboundDNDSettings ghl.Field[InboundDNDSettings] `json:"inboundDndSettings,omitzero"`
	// Tags replaces all of the contact's tags; AddTags and RemoveTags change
	// some without reading them first.
	Tags         ghl.Field[[]string] `json:"tags,omitzero"`
	CustomFields []CustomField       `json:"customFields,omitempty"`
}

// ListOptions selects a page of GET /contacts/, which HighLevel deprecates in
// favour of Search but still serves.
//
// Pages are chained by cursor: pass the previous page's Meta.StartAfter and
// Meta.StartAfterID. ListAll does this for you.
type ListOptions struct {
	LocationID string `url:"locationId"` // empty: the client's default location
	Query      string `url:"query,omitempty"`
	// Limit is the page size, at most 100 (HighLevel's default is 20).
	Limit        int    `url:"limit,omitempty"`
	StartAfterID string `url:"startAfterId,omitempty"`
	StartAfter   int64  `url:"startAfter,omitempty"` // epoch milliseconds
}

// ListResult is one page of List.
type ListResult struct {
	Contacts []Contact `json:"contacts"`
	Meta     ListMeta  `json:"meta"`
	// Count is the spec's "count" member; HighLevel sends Meta.Total instead.
	Count int `json:"count,omitempty"`
}

// ListMeta is the paging information of a List page (the spec's
// ContactsMetaSchema).
type ListMeta struct {
	Total        int    `json:"total"`
	NextPageURL  string `json:"nextPageUrl,omitempty"`
	StartAfterID string `json:"startAfterId,omitempty"`
	StartAfter   int64  `json:"startAfter,omitempty"`
	CurrentPage  int    `json:"currentPage,omitempty"`
	NextPage     int    `json:"nextPage,omitempty"`
	PrevPage     int    `json:"prevPage,omitempty"`
}

// Operator compares a contact field with a filter's value in Search.
type Operator string

// Search operators.
const (
	OpEq          Operator = "eq"
	OpNotEq       Operator = "not_eq"
	OpContains    Operator = "contains"
	OpNotContains Operator = "not_contains"
	OpExists      Operator = "exists"     // no value
	OpNotExists   Operator = "not_exists" // no value
	// OpRange takes a value such as map[string]any{"gte": from, "lte": to}.
	OpRange Operator = "range"
)

// Filter is one condition of a Search, or a group of conditions. A condition
// has Field, Operator and (for most operators) Value; a group has Group
// ("AND" or "OR") and Filters. Build groups with And and Or.
type Filter struct {
	Field    string   `json:"field,omitempty"` // such as "email", "tags", "dateAdded", "customFields.<id>"
	Operator Operator `json:"operator,omitempty"`
	Value    any      `json:"value,omitempty"`

	Group   string   `json:"group,omitempty"`
	Filters []Filter `json:"filters,omitempty"`
}

// Where returns the condition field op value.
func Where(field string, op Operator, value any) Filter {
	return Filter{Field: field, Operator: op, Value: value}
}

// And returns a group matching contacts that match every filter.
func And(filters ...Filter) Filter { return Filter{Group: "AND", Filters: filters} }

// Or returns a group matching contacts that match at least one filter.
func Or(filters ...Filter) Filter { return Filter{Group: "OR", Filters: filters} }

// SortDirection orders Search results.
type SortDirection string

// Sort directions.
const (
	Asc  SortDirection = "asc"
	Desc SortDirection = "desc"
)

// Sort orders Search results by one field.
type Sort struct {
	Field     string        `json:"field"` // such as "dateAdded", "firstNameLowerCase"
	Direction SortDirection `json:"direction"`
}

// SearchParams is the body of POST /contacts/search. The spec leaves the body
// undescribed (SearchBodyV2DTO); the names follow HighLevel's documentation.
//
// Page through results with Page (1-based, PageLimit per page) or, past the
// first 10,000 results, with SearchAfter; not both. SearchAll pages for you.
type SearchParams struct {
	LocationID string   `json:"locationId"` // empty: the client's default location
	Query      string   `json:"query,omitempty"`
	Filters    []Filter `json:"filters,omitempty"`
	Sort       []Sort   `json:"sort,omitempty"`
	Page       int      `json:"page,omitempty"`
	PageLimit  int      `json:"pageLimit,omitempty"` // 0: DefaultPageLimit
	// SearchAfter is the cursor of the last contact of the previous page
	// (Contact.SearchAfter).
	SearchAfter []json.RawMessage `json:"searchAfter,omitempty"`
}

// Search page sizes. HighLevel serves at most 10,000 results by page
// number (Page × PageLimit); SearchAfter reaches the rest.
const (
	DefaultPageLimit = 100 // what Search asks for when PageLimit is 0
	MaxPageLimit     = 500

	maxSearchWindow = 10000
)

// SearchResult is one page of Search.
type SearchResult struct {
	Contacts []Contact `json:"contacts"`
	// Total is the number of matches in all pages, from the answer's
	// "total" or, when HighLevel names it so, "count".
	Total int `json:"total"`
}

// DuplicateOptions looks a contact up by email or phone number with
// HighLevel's duplicate rules (GET /contacts/search/duplicate).
type DuplicateOptions struct {
	LocationID string `url:"locationId"` // empty: the client's default location
	Email      string `url:"email,omitempty"`
	Phone      string `url:"number,omitempty"`
}

// BusinessListOptions selects contacts of a business
// (GET /contacts/business/{businessId}).
type BusinessListOptions struct {
	LocationID string `url:"locationId"` // empty: the client's default location
	Query      string `url:"query,omitempty"`
	Limit      int    `url:"limit,omitempty"` // HighLevel's default is 25
	Skip       int    `url:"skip,omitempty"`
}

// BusinessListResult is one page of ListByBusiness.
type BusinessListResult struct {
	Contacts []Contact `json:"contacts"`
	Count    int       `json:"count"`
}

// BulkTagsParams names the contacts and tags of BulkAddTags and
// BulkRemoveTags (the spec's UpdateTagsDTO).
type BulkTagsParams struct {
	LocationID string   `json:"locationId"` // empty: the client's default location
	ContactIDs []string `json:"contacts"`
	Tags       []string `json:"tags"`
	// RemoveAllTags removes every tag of the contacts; only BulkRemoveTags
	// accepts it, and Tags may then be empty.
	RemoveAllTags bool `json:"removeAllTags,omitempty"`
}

// BulkTagsResult is HighLevel's answer to a bulk tag update. Per-contact
// failures do not fail the call: check ErrorCount and Responses.
type BulkTagsResult struct {
	Succeeded  bool               `json:"succeded"` // the API's spelling
	ErrorCount int                `json:"errorCount"`
	Responses  []BulkTagsResponse `json:"responses"`
}

// BulkTagsResponse is the outcome for one contact of a bulk tag update.
type BulkTagsResponse struct {
	ContactID   string   `json:"contactId,omitempty"`
	Type        string   `json:"type,omitempty"` // "success" or "error"
	Message     string   `json:"message,omitempty"`
	OldTags     []string `json:"oldTags,omitempty"`
	TagsAdded   []string `json:"tagsAdded,omitempty"`
	TagsRemoved []string `json:"tagsRemoved,omitempty"`
}

// UnmarshalJSON also accepts a bare string, which the spec declares the
// items to be; it becomes Message.
func (r *BulkTagsResponse) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		*r = BulkTagsResponse{}
		return json.Unmarshal(data, &r.Message)
	}
	type plain BulkTagsResponse
	return json.Unmarshal(data, (*plain)(r))
}

// BulkBusinessParams names the contacts of BulkAddToBusiness and
// BulkRemoveFromBusiness.
type BulkBusinessParams struct {
	LocationID string   // empty: the client's default location
	ContactIDs []string // at most 50 characters each
}

// BulkBusinessResult is HighLevel's answer to a bulk business update.
type BulkBusinessResult struct {
	Success bool     `json:"success"`
	IDs     []string `json:"ids"` // the contacts updated
}

// Followers is the answer to AddFollowers and RemoveFollowers.
type Followers struct {
	Followers []string `json:"followers"`                  // user IDs following the contact
	Added     []string `json:"followersAdded,omitempty"`   // AddFollowers only
	Removed   []string `json:"followersRemoved,omitempty"` // RemoveFollowers only
}

// WorkflowOptions tunes AddToWorkflow.
type WorkflowOptions struct {
	// EventStartTime is the time the workflow's event starts, for workflows
	// that wait relative to it; zero leaves it out.
	EventStartTime time.Time
}
