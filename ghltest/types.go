package ghltest

import "time"

// Location is a HighLevel sub-account. Tokens, contacts and rate limits
// belong to a location. Locations are created implicitly by AddToken and
// AddContact; AddLocation sets their details.
type Location struct {
	ID        string `json:"id"`
	CompanyID string `json:"companyId,omitempty"`
	Name      string `json:"name,omitempty"`
	Address   string `json:"address,omitempty"` // as GET /oauth/installedLocations shows it
	// AllowDuplicateContacts mirrors HighLevel's "Allow Duplicate Contact"
	// setting. It is off by default, as in HighLevel: creating a contact
	// whose email or phone matches an existing one then fails with 400.
	AllowDuplicateContacts bool `json:"allowDuplicateContacts"`
}

// Contact is a contact as the server stores it. Field names follow the
// spec's JSON names. Dates are kept to the millisecond, as HighLevel does.
type Contact struct {
	ID                 string                `json:"id"`
	LocationID         string                `json:"locationId"`
	FirstName          string                `json:"firstName,omitempty"`
	LastName           string                `json:"lastName,omitempty"`
	Name               string                `json:"name,omitempty"`
	Email              string                `json:"email,omitempty"`
	Phone              string                `json:"phone,omitempty"`
	Gender             string                `json:"gender,omitempty"`
	CompanyName        string                `json:"companyName,omitempty"`
	Address1           string                `json:"address1,omitempty"`
	City               string                `json:"city,omitempty"`
	State              string                `json:"state,omitempty"`
	PostalCode         string                `json:"postalCode,omitempty"`
	Country            string                `json:"country,omitempty"`
	Website            string                `json:"website,omitempty"`
	Timezone           string                `json:"timezone,omitempty"`
	Source             string                `json:"source,omitempty"`
	Type               string                `json:"type,omitempty"`
	AssignedTo         string                `json:"assignedTo,omitempty"`
	BusinessID         string                `json:"businessId,omitempty"`
	DateOfBirth        string                `json:"dateOfBirth,omitempty"` // as HighLevel returns it: 1990-09-25T00:00:00.000Z
	DND                bool                  `json:"dnd"`
	DNDSettings        map[string]DNDSetting `json:"dndSettings,omitempty"`        // keys: Call, Email, SMS, WhatsApp, GMB, FB
	InboundDNDSettings map[string]DNDSetting `json:"inboundDndSettings,omitempty"` // key: all
	Tags               []string              `json:"tags"`
	CustomFields       []CustomField         `json:"customFields"`
	Followers          []string              `json:"followers,omitempty"`
	AttributionSource  *AttributionSource    `json:"attributionSource,omitempty"`
	DateAdded          time.Time             `json:"dateAdded"`
	DateUpdated        time.Time             `json:"dateUpdated"`
}

// DNDSetting is one channel's do-not-disturb state.
type DNDSetting struct {
	Status  string `json:"status"` // active, inactive, permanent
	Message string `json:"message,omitempty"`
	Code    string `json:"code,omitempty"`
}

// CustomField is a custom field value of a contact. Requests send
// {"id", "key", "field_value"}; responses carry {"id", "value"}.
type CustomField struct {
	ID    string `json:"id"`
	Key   string `json:"key,omitempty"`
	Value any    `json:"value"`
}

// AttributionSource tells where a contact came from.
type AttributionSource struct {
	URL        string `json:"url"`
	Campaign   string `json:"campaign,omitempty"`
	UTMSource  string `json:"utmSource,omitempty"`
	UTMMedium  string `json:"utmMedium,omitempty"`
	UTMContent string `json:"utmContent,omitempty"`
	Referrer   string `json:"referrer,omitempty"`
	CampaignID string `json:"campaignId,omitempty"`
	Medium     string `json:"medium,omitempty"`
	MediumID   string `json:"mediumId,omitempty"`
}

// Task is a task attached to a contact.
type Task struct {
	ID         string    `json:"id"`
	ContactID  string    `json:"contactId"`
	Title      string    `json:"title"`
	Body       string    `json:"body,omitempty"`
	AssignedTo string    `json:"assignedTo,omitempty"`
	DueDate    time.Time `json:"dueDate"`
	Completed  bool      `json:"completed"`
	DateAdded  time.Time `json:"dateAdded"`
}

// Note is a note attached to a contact.
type Note struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contactId"`
	Body      string    `json:"body"`
	UserID    string    `json:"userId,omitempty"`
	Title     string    `json:"title,omitempty"`
	Color     string    `json:"color,omitempty"`
	Pinned    bool      `json:"pinned"`
	DateAdded time.Time `json:"dateAdded"`
}

// Appointment is a calendar event of a contact, as returned by
// GET /contacts/{contactId}/appointments.
type Appointment struct {
	ID                string    `json:"id"`
	LocationID        string    `json:"locationId"`
	ContactID         string    `json:"contactId"`
	CalendarID        string    `json:"calendarId,omitempty"`
	GroupID           string    `json:"groupId,omitempty"`
	Title             string    `json:"title,omitempty"`
	Status            string    `json:"status,omitempty"`
	AppointmentStatus string    `json:"appointmentStatus,omitempty"`
	AssignedUserID    string    `json:"assignedUserId,omitempty"`
	Users             []string  `json:"users,omitempty"`
	AssignedResources []string  `json:"assignedResources,omitempty"`
	Notes             string    `json:"notes,omitempty"`
	Address           string    `json:"address,omitempty"`
	Source            string    `json:"source,omitempty"`
	StartTime         time.Time `json:"startTime"`
	EndTime           time.Time `json:"endTime"`
	DateAdded         time.Time `json:"dateAdded"`
	DateUpdated       time.Time `json:"dateUpdated"`
}

// Business is a business (company record) that contacts can belong to.
type Business struct {
	ID         string `json:"id"`
	LocationID string `json:"locationId"`
	Name       string `json:"name"`
}
