package ghltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

type customFieldWire struct {
	ID    string `json:"id"`
	Value any    `json:"value"`
}

// contactWire is a contact as HighLevel returns it: the union of the
// spec's contact response schemas, empty strings left out.
type contactWire struct {
	ID                 string                `json:"id"`
	Name               string                `json:"name,omitempty"`
	LocationID         string                `json:"locationId"`
	FirstName          string                `json:"firstName,omitempty"`
	LastName           string                `json:"lastName,omitempty"`
	FirstNameLowerCase string                `json:"firstNameLowerCase,omitempty"`
	LastNameLowerCase  string                `json:"lastNameLowerCase,omitempty"`
	FullNameLowerCase  string                `json:"fullNameLowerCase,omitempty"`
	Email              string                `json:"email,omitempty"`
	EmailLowerCase     string                `json:"emailLowerCase,omitempty"`
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
	DateOfBirth        string                `json:"dateOfBirth,omitempty"`
	DND                bool                  `json:"dnd"`
	DNDSettings        map[string]DNDSetting `json:"dndSettings,omitempty"`
	InboundDNDSettings map[string]DNDSetting `json:"inboundDndSettings,omitempty"`
	Tags               []string              `json:"tags"`
	CustomFields       []customFieldWire     `json:"customFields"`
	Followers          []string              `json:"followers,omitempty"`
	AttributionSource  *AttributionSource    `json:"attributionSource,omitempty"`
	DateAdded          string                `json:"dateAdded"`
	DateUpdated        string                `json:"dateUpdated,omitempty"`
	SearchAfter        []any                 `json:"searchAfter,omitempty"`
}

// renderCustomFields renders custom field values as responses and
// webhooks carry them: {"id", "value"}, the id standing for the key a
// request named the field by.
func renderCustomFields(fields []CustomField) []customFieldWire {
	out := make([]customFieldWire, len(fields))
	for i, f := range fields {
		id := f.ID
		if id == "" {
			id = f.Key
		}
		out[i] = customFieldWire{ID: id, Value: f.Value}
	}
	return out
}

func renderContact(c *Contact) *contactWire {
	cp := copyContact(*c)
	return &contactWire{
		ID:                 c.ID,
		Name:               c.Name,
		LocationID:         c.LocationID,
		FirstName:          c.FirstName,
		LastName:           c.LastName,
		FirstNameLowerCase: strings.ToLower(c.FirstName),
		LastNameLowerCase:  strings.ToLower(c.LastName),
		FullNameLowerCase:  strings.ToLower(c.Name),
		Email:              c.Email,
		EmailLowerCase:     strings.ToLower(c.Email),
		Phone:              c.Phone,
		Gender:             c.Gender,
		CompanyName:        c.CompanyName,
		Address1:           c.Address1,
		City:               c.City,
		State:              c.State,
		PostalCode:         c.PostalCode,
		Country:            c.Country,
		Website:            c.Website,
		Timezone:           c.Timezone,
		Source:             c.Source,
		Type:               c.Type,
		AssignedTo:         c.AssignedTo,
		BusinessID:         c.BusinessID,
		DateOfBirth:        c.DateOfBirth,
		DND:                c.DND,
		DNDSettings:        cp.DNDSettings,
		InboundDNDSettings: cp.InboundDNDSettings,
		Tags:               nonNil(slices.Clone(c.Tags)),
		CustomFields:       renderCustomFields(c.CustomFields),
		Followers:          cp.Followers,
		AttributionSource:  cp.AttributionSource,
		DateAdded:          isoTime(c.DateAdded),
		DateUpdated:        isoTime(c.DateUpdated),
	}
}

// contactStringFields are the plain string properties of the contact DTOs.
var contactStringFields = []string{
	"firstName", "lastName", "name", "email", "phone", "gender", "address1", "city", "state",
	"postalCode", "website", "timezone", "source", "country", "companyName", "assignedTo",
}

// updateStringFields are the string fields of UpdateContactDto: those of
// CreateContactDto but gender and companyName.
var updateStringFields = slices.DeleteFunc(slices.Clone(contactStringFields), func(s string) bool {
	return s == "gender" || s == "companyName"
})

func contactField(c *Contact, name string) *string {
	switch name {
	case "firstName":
		return &c.FirstName
	case "lastName":
		return &c.LastName
	case "name":
		return &c.Name
	case "email":
		return &c.Email
	case "phone":
		return &c.Phone
	case "gender":
		return &c.Gender
	case "address1":
		return &c.Address1
	case "city":
		return &c.City
	case "state":
		return &c.State
	case "postalCode":
		return &c.PostalCode
	case "website":
		return &c.Website
	case "timezone":
		return &c.Timezone
	case "source":
		return &c.Source
	case "country":
		return &c.Country
	case "companyName":
		return &c.CompanyName
	case "assignedTo":
		return &c.AssignedTo
	}
	panic("ghltest: unknown contact field " + name)
}

// contactPatch is a validated create/update/upsert body.
type contactPatch struct {
	locationID     string
	strs           map[string]string
	dob            *string
	dnd            *bool
	dndSettings    map[string]DNDSetting
	hasDNDSettings bool
	inbound        map[string]DNDSetting
	hasInbound     bool
	tags           []string
	hasTags        bool
	customFields   []CustomField
	hasCustom      bool
	createNew      bool
}

type patchMode int

const (
	patchCreate patchMode = iota
	patchUpdate
	patchUpsert
)

// readContact reads a contact DTO body (see parseContact), answering 400
// or 422 when it is not one.
func (c *call) readContact(mode patchMode) (*contactPatch, bool) {
	f, ok := c.parseBody()
	if !ok {
		return nil, false
	}
	p := parseContact(f, mode)
	return p, c.valid(f)
}

// parseContact validates a contact body. Properties the mode's DTO does not
// declare are rejected ("property x should not exist"), as HighLevel's
// whitelist validation does: UpdateContactDto has no locationId, gender or
// companyName.
func parseContact(f *fields, mode patchMode) *contactPatch {
	strFields := contactStringFields
	if mode == patchUpdate {
		strFields = updateStringFields
	}
	allowed := append([]string{"dnd", "dndSettings", "inboundDndSettings", "tags", "customFields", "dateOfBirth"}, strFields...)
	if mode != patchUpdate {
		allowed = append(allowed, "locationId")
	}
	if mode == patchUpsert {
		allowed = append(allowed, "createNewIfDuplicateAllowed")
	}
	f.allow(allowed...)
	p := &contactPatch{strs: map[string]string{}}
	if mode != patchUpdate {
		p.locationID, _ = f.str("locationId", true, false)
	}
	for _, name := range strFields {
		if v, ok := f.str(name, false, true); ok {
			p.strs[name] = strings.TrimSpace(v)
		}
	}
	if e, ok := p.strs["email"]; ok && e != "" && !validEmail(e) {
		f.errs = append(f.errs, "email must be an email")
	}
	if f.has("dateOfBirth") {
		var dob string
		switch {
		case f.isNull("dateOfBirth"):
			p.dob = &dob
		default:
			var s string
			if err := json.Unmarshal(f.m["dateOfBirth"], &s); err != nil {
				f.errs = append(f.errs, "dateOfBirth must be a valid date")
			} else if d, ok := parseBirthDate(s); ok {
				dob = d
				p.dob = &dob
			} else {
				f.errs = append(f.errs, "dateOfBirth must be a valid date")
			}
		}
	}
	if v, ok := f.boolean("dnd", false); ok {
		p.dnd = &v
	}
	if f.has("dndSettings") {
		p.hasDNDSettings = true
		p.dndSettings = parseDND(f, "dndSettings", []string{"Call", "Email", "SMS", "WhatsApp", "GMB", "FB"}, []string{"active", "inactive", "permanent"})
	}
	if f.has("inboundDndSettings") {
		p.hasInbound = true
		p.inbound = parseDND(f, "inboundDndSettings", []string{"all"}, []string{"active", "inactive"})
	}
	if v, ok := f.strs("tags", false); ok {
		p.tags, p.hasTags = v, true
	}
	if f.has("customFields") {
		p.customFields, p.hasCustom = parseCustomFields(f), true
	}
	if v, ok := f.boolean("createNewIfDuplicateAllowed", false); ok {
		p.createNew = v
	}
	return p
}

func validEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(e, " \t\r\n") &&
		!strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.Contains(domain, "@")
}

// parseBirthDate accepts the formats the spec lists and returns the date
// as HighLevel returns it.
func parseBirthDate(s string) (string, bool) {
	layouts := []string{"2006/01/02", "01/02/2006", "2006-01-02", "01-02-2006", "2006.01.02", "01.02.2006", "2006_01_02", "01_02_2006"}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return isoTime(t), true
		}
	}
	if t, err := parseISO(s); err == nil {
		return isoTime(t.Truncate(24 * time.Hour)), true
	}
	return "", false
}

func parseDND(f *fields, name string, channels, statuses []string) map[string]DNDSetting {
	if f.isNull(name) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f.m[name], &m); err != nil {
		f.errs = append(f.errs, name+" must be an object")
		return nil
	}
	out := map[string]DNDSetting{}
	for _, ch := range sortedKeys(m) {
		if !slices.Contains(channels, ch) {
			f.errs = append(f.errs, fmt.Sprintf("%s.property %s should not exist", name, ch))
			continue
		}
		var d DNDSetting
		if err := json.Unmarshal(m[ch], &d); err != nil {
			f.errs = append(f.errs, fmt.Sprintf("%s.%s must be an object", name, ch))
			continue
		}
		if !slices.Contains(statuses, d.Status) {
			f.errs = append(f.errs, fmt.Sprintf("%s.%s.status must be one of the following values: %s", name, ch, strings.Join(statuses, ", ")))
			continue
		}
		out[ch] = d
	}
	return out
}

// parseCustomFields reads [{"id"|"key", "field_value"}]; "value" is taken
// too when field_value is absent.
func parseCustomFields(f *fields) []CustomField {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(f.m["customFields"], &items); err != nil {
		f.errs = append(f.errs, "customFields must be an array")
		return nil
	}
	out := make([]CustomField, 0, len(items))
	for i, it := range items {
		var cf CustomField
		if raw, ok := it["id"]; ok {
			if json.Unmarshal(raw, &cf.ID) != nil {
				f.errs = append(f.errs, fmt.Sprintf("customFields.%d.id must be a string", i))
			}
		}
		if raw, ok := it["key"]; ok {
			if json.Unmarshal(raw, &cf.Key) != nil {
				f.errs = append(f.errs, fmt.Sprintf("customFields.%d.key must be a string", i))
			}
		}
		if cf.ID == "" && cf.Key == "" {
			f.errs = append(f.errs, fmt.Sprintf("customFields.%d.id should not be empty", i))
		}
		raw, ok := it["field_value"]
		if !ok {
			raw, ok = it["value"]
		}
		if ok {
			_ = json.Unmarshal(raw, &cf.Value)
		}
		out = append(out, cf)
	}
	return out
}

// apply writes the patch into c.
func (p *contactPatch) apply(c *Contact) {
	for name, v := range p.strs {
		*contactField(c, name) = v
	}
	if p.dob != nil {
		c.DateOfBirth = *p.dob
	}
	if p.dnd != nil {
		c.DND = *p.dnd
	}
	if p.hasDNDSettings {
		c.DNDSettings = p.dndSettings
	}
	if p.hasInbound {
		c.InboundDNDSettings = p.inbound
	}
	if p.hasTags {
		c.Tags = p.tags
	}
	if p.hasCustom {
		for _, cf := range p.customFields {
			i := slices.IndexFunc(c.CustomFields, func(x CustomField) bool {
				return (cf.ID != "" && x.ID == cf.ID) || (cf.ID == "" && cf.Key != "" && x.Key == cf.Key)
			})
			if i >= 0 {
				c.CustomFields[i] = cf
			} else {
				c.CustomFields = append(c.CustomFields, cf)
			}
		}
	}
	if _, ok := p.strs["name"]; !ok {
		_, first := p.strs["firstName"]
		_, last := p.strs["lastName"]
		if first || last {
			c.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
		}
	}
}

// duplicateOf finds a contact other than self with the same email or
// phone when the location does not allow duplicates.
func (ls *locationState) duplicateOf(c *Contact, self *contactRec) (*contactRec, string) {
	if ls.loc.AllowDuplicateContacts {
		return nil, ""
	}
	if c.Email != "" {
		if d := ls.byEmail(c.Email, self); d != nil {
			return d, "email"
		}
	}
	if c.Phone != "" {
		if d := ls.byPhone(c.Phone, self); d != nil {
			return d, "phone"
		}
	}
	return nil, ""
}

func (c *call) duplicate(d *contactRec, field string) {
	c.json(http.StatusBadRequest, apiError{
		StatusCode: http.StatusBadRequest,
		Message:    "This location does not allow duplicated contacts.",
		Error:      http.StatusText(http.StatusBadRequest),
		Meta:       map[string]string{"contactName": d.c.Name, "contactId": d.c.ID, "matchingField": field},
	})
}

func (s *Server) createContact(c *call) {
	p, ok := c.readContact(patchCreate)
	if !ok {
		return
	}
	if p.locationID != c.tok.locationID {
		c.forbidden()
		return
	}
	rec, ok := s.createFromPatch(c, p)
	if ok {
		c.json(http.StatusCreated, map[string]any{"contact": renderContact(&rec.c)})
	}
}

func (s *Server) createFromPatch(c *call, p *contactPatch) (*contactRec, bool) {
	nc := Contact{LocationID: p.locationID, Type: "lead"}
	p.apply(&nc)
	nc.Phone = normalizePhone(nc.Phone)
	ls := s.location(p.locationID)
	if d, field := ls.duplicateOf(&nc, nil); d != nil {
		c.duplicate(d, field)
		return nil, false
	}
	rec := s.storeContact(nc)
	s.emitContact(evContactCreate, rec)
	return rec, true
}

func (s *Server) getContact(c *call) {
	if rec, ok := s.contactFor(c); ok {
		c.json(http.StatusOK, map[string]any{"contact": renderContact(&rec.c)})
	}
}

// updateFromPatch applies p to rec, enforcing duplicate rules and emitting
// the webhook events of what changed.
func (s *Server) updateFromPatch(c *call, rec *contactRec, p *contactPatch) bool {
	old := copyContact(rec.c)
	nc := copyContact(rec.c)
	p.apply(&nc)
	nc.Phone = normalizePhone(nc.Phone)
	nc.Tags = normalizeTags(nc.Tags)
	ls := s.location(rec.c.LocationID)
	// Only a changed email or phone can make a duplicate.
	probe := Contact{}
	if !strings.EqualFold(nc.Email, old.Email) {
		probe.Email = nc.Email
	}
	if nc.Phone != old.Phone {
		probe.Phone = nc.Phone
	}
	if d, field := ls.duplicateOf(&probe, rec); d != nil {
		c.duplicate(d, field)
		return false
	}
	nc.DateUpdated = s.clock()
	ls.dropKeys(rec)
	rec.c = nc
	ls.addKeys(rec)
	s.emitContactChanges(old, rec)
	return true
}

func (s *Server) updateContact(c *call) {
	rec, ok := s.contactFor(c)
	if !ok {
		return
	}
	p, ok := c.readContact(patchUpdate)
	if !ok {
		return
	}
	if s.updateFromPatch(c, rec, p) {
		c.json(http.StatusOK, map[string]any{"succeded": true, "contact": renderContact(&rec.c)})
	}
}

func (s *Server) deleteContactRoute(c *call) {
	rec, ok := s.contactFor(c)
	if !ok {
		return
	}
	s.deleteContact(rec)
	s.emitContact(evContactDelete, rec)
	c.json(http.StatusOK, map[string]any{"succeded": true})
}

func (s *Server) upsertContact(c *call) {
	p, ok := c.readContact(patchUpsert)
	if !ok {
		return
	}
	if p.locationID != c.tok.locationID {
		c.forbidden()
		return
	}
	ls := s.location(p.locationID)
	var existing *contactRec
	if !(ls.loc.AllowDuplicateContacts && p.createNew) {
		if e := p.strs["email"]; e != "" {
			existing = ls.byEmail(e, nil)
		}
		if ph := p.strs["phone"]; existing == nil && ph != "" {
			existing = ls.byPhone(ph, nil)
		}
	}
	trace := s.secrets.nextN(24)
	if existing != nil {
		if s.updateFromPatch(c, existing, p) {
			c.json(http.StatusOK, map[string]any{"new": false, "contact": renderContact(&existing.c), "traceId": trace})
		}
		return
	}
	if rec, ok := s.createFromPatch(c, p); ok {
		c.json(http.StatusOK, map[string]any{"new": true, "contact": renderContact(&rec.c), "traceId": trace})
	}
}

// locationParam validates the locationId query parameter against the
// token. It writes 422 or 403 when it does not fit.
func (c *call) locationParam() (string, bool) {
	loc := c.query("locationId")
	if loc == "" {
		c.invalid([]string{"locationId should not be empty", "locationId must be a string"})
		return "", false
	}
	if loc != c.tok.locationID {
		c.forbidden()
		return "", false
	}
	return loc, true
}

// intParam parses an integer query parameter within [min, max].
func (c *call) intParam(name string, def, min, max int, errs *[]string) int {
	v, ok := c.queryHas(name)
	if !ok || v == "" {
		return def
	}
	var n float64
	if _, err := fmt.Sscan(v, &n); err != nil || n != float64(int(n)) {
		*errs = append(*errs, name+" must be a number conforming to the specified constraints")
		return def
	}
	switch {
	case int(n) < min:
		*errs = append(*errs, fmt.Sprintf("%s must not be less than %d", name, min))
	case int(n) > max:
		*errs = append(*errs, fmt.Sprintf("%s must not be greater than %d", name, max))
	}
	return int(n)
}

// matchesQuery is the free-text match of list and search: a
// case-insensitive substring of the name, email, phone or company.
func matchesQuery(c *Contact, q string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	for _, v := range []string{c.Name, c.FirstName, c.LastName, c.Email, c.Phone, c.CompanyName} {
		if strings.Contains(strings.ToLower(v), q) {
			return true
		}
	}
	return false
}

// listContacts serves the deprecated GET /contacts/: contacts oldest first,
// paged with startAfter (dateAdded in ms) and startAfterId.
func (s *Server) listContacts(c *call) {
	loc, ok := c.locationParam()
	if !ok {
		return
	}
	var errs []string
	limit := c.intParam("limit", 20, 1, 100, &errs)
	q := c.query("query")
	startAfterID := c.query("startAfterId")
	var startAfter int64
	hasStartAfter := false
	if v := c.query("startAfter"); v != "" {
		var n float64
		if _, err := fmt.Sscan(v, &n); err != nil {
			errs = append(errs, "startAfter must be a number conforming to the specified constraints")
		}
		startAfter, hasStartAfter = int64(n), true
	}
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	ls := s.location(loc)
	pos := 0
	switch {
	case startAfterID != "" && !hasStartAfter:
		rec, ok := s.contacts[startAfterID]
		if !ok || rec.c.LocationID != loc {
			c.error(http.StatusBadRequest, "startAfterId is invalid")
			return
		}
		pos = ls.position(rec.c.DateAdded.UnixMilli(), rec.c.ID) + 1
	case hasStartAfter && startAfterID != "":
		pos = ls.position(startAfter, startAfterID)
		if pos < len(ls.index) && ls.index[pos].c.ID == startAfterID {
			pos++
		}
	case hasStartAfter:
		pos = ls.position(startAfter+1, "")
	}
	page := make([]*contactWire, 0, limit)
	var last *contactRec
	total, before, hasMore := 0, 0, false
	if q == "" {
		total, before = len(ls.index), pos
		end := min(pos+limit, len(ls.index))
		for _, rec := range ls.index[pos:end] {
			page = append(page, renderContact(&rec.c))
			last = rec
		}
		hasMore = end < len(ls.index)
	} else {
		for i, rec := range ls.index {
			if !matchesQuery(&rec.c, q) {
				continue
			}
			total++
			switch {
			case i < pos:
				before++
			case len(page) < limit:
				page = append(page, renderContact(&rec.c))
				last = rec
			default:
				hasMore = true
			}
		}
	}
	current := before/limit + 1
	meta := map[string]any{"total": total, "currentPage": current, "prevPage": nil}
	if current > 1 {
		meta["prevPage"] = current - 1
	}
	if hasMore && last != nil {
		ms := last.c.DateAdded.UnixMilli()
		meta["startAfterId"] = last.c.ID
		meta["startAfter"] = ms
		meta["nextPage"] = current + 1
		next := fmt.Sprintf("http://%s/contacts/?locationId=%s&startAfter=%d&startAfterId=%s&limit=%d", c.r.Host, url.QueryEscape(loc), ms, url.QueryEscape(last.c.ID), limit)
		if q != "" {
			next += "&query=" + url.QueryEscape(q)
		}
		meta["nextPageUrl"] = next
	}
	c.json(http.StatusOK, map[string]any{"contacts": page, "count": total, "meta": meta})
}

func (s *Server) duplicateContact(c *call) {
	loc, ok := c.locationParam()
	if !ok {
		return
	}
	ls := s.location(loc)
	var found *contactRec
	if e := c.query("email"); e != "" {
		found = ls.byEmail(e, nil)
	}
	if n := c.query("number"); found == nil && n != "" {
		found = ls.byPhone(n, nil)
	}
	if found == nil {
		c.json(http.StatusOK, map[string]any{"contact": nil})
		return
	}
	c.json(http.StatusOK, map[string]any{"contact": renderContact(&found.c)})
}

func (s *Server) contactsByBusiness(c *call) {
	loc, ok := c.locationParam()
	if !ok {
		return
	}
	var errs []string
	limit := c.intParam("limit", 25, 1, 100, &errs)
	skip := c.intParam("skip", 0, 0, 1<<30, &errs)
	if len(errs) > 0 {
		c.invalid(errs)
		return
	}
	biz, q := c.param("businessId"), c.query("query")
	out := []*contactWire{}
	total := 0
	for _, rec := range s.location(loc).index {
		if rec.c.BusinessID != biz || !matchesQuery(&rec.c, q) {
			continue
		}
		if total >= skip && len(out) < limit {
			out = append(out, renderContact(&rec.c))
		}
		total++
	}
	c.json(http.StatusOK, map[string]any{"contacts": out, "count": total})
}

func (s *Server) addTags(c *call)    { s.changeTags(c, true) }
func (s *Server) removeTags(c *call) { s.changeTags(c, false) }

func (s *Server) changeTags(c *call, add bool) {
	rec, f, ok := s.contactBody(c, "tags")
	if !ok {
		return
	}
	tags, _ := f.strs("tags", true)
	if !c.valid(f) {
		return
	}
	s.applyTags(rec, normalizeTags(tags), add, false)
	status := http.StatusOK
	if add {
		status = http.StatusCreated
	}
	c.json(status, map[string]any{"tags": slices.Clone(rec.c.Tags)})
}

// applyTags adds or removes tags on a contact and returns what changed.
func (s *Server) applyTags(rec *contactRec, tags []string, add, removeAll bool) (added, removed []string) {
	old := copyContact(rec.c)
	cur := slices.Clone(rec.c.Tags)
	switch {
	case add:
		for _, t := range tags {
			if !slices.Contains(cur, t) {
				cur = append(cur, t)
				added = append(added, t)
			}
		}
	case removeAll:
		removed, cur = cur, []string{}
	default:
		cur = slices.DeleteFunc(cur, func(t string) bool {
			if slices.Contains(tags, t) {
				removed = append(removed, t)
				return true
			}
			return false
		})
	}
	if len(added)+len(removed) > 0 {
		rec.c.Tags = cur
		rec.c.DateUpdated = s.clock()
		s.emitContactChanges(old, rec)
	}
	return added, removed
}

func (s *Server) addFollowers(c *call)    { s.changeFollowers(c, true) }
func (s *Server) removeFollowers(c *call) { s.changeFollowers(c, false) }

func (s *Server) changeFollowers(c *call, add bool) {
	rec, f, ok := s.contactBody(c, "followers")
	if !ok {
		return
	}
	followers, _ := f.strs("followers", true)
	if !c.valid(f) {
		return
	}
	changed := []string{}
	cur := slices.Clone(rec.c.Followers)
	if add {
		for _, u := range followers {
			if u != "" && !slices.Contains(cur, u) {
				cur = append(cur, u)
				changed = append(changed, u)
			}
		}
	} else {
		cur = slices.DeleteFunc(cur, func(u string) bool {
			if slices.Contains(followers, u) {
				changed = append(changed, u)
				return true
			}
			return false
		})
	}
	rec.c.Followers = cur
	if cur == nil {
		cur = []string{}
	}
	if add {
		c.json(http.StatusCreated, map[string]any{"followers": slices.Clone(cur), "followersAdded": changed})
		return
	}
	c.json(http.StatusOK, map[string]any{"followers": slices.Clone(cur), "followersRemoved": changed})
}

func (s *Server) addCampaign(c *call) {
	rec, f, ok := s.contactBody(c)
	if !ok {
		return
	}
	if !c.valid(f) {
		return
	}
	if id := c.param("campaignId"); !slices.Contains(rec.campaigns, id) {
		rec.campaigns = append(rec.campaigns, id)
	}
	c.json(http.StatusCreated, map[string]any{"succeded": true})
}

func (s *Server) removeCampaign(c *call) {
	rec, ok := s.contactFor(c)
	if !ok {
		return
	}
	id := c.param("campaignId")
	rec.campaigns = slices.DeleteFunc(rec.campaigns, func(x string) bool { return x == id })
	c.json(http.StatusOK, map[string]any{"succeded": true})
}

func (s *Server) removeAllCampaigns(c *call) {
	rec, ok := s.contactFor(c)
	if !ok {
		return
	}
	rec.campaigns = nil
	c.json(http.StatusOK, map[string]any{"succeded": true})
}

func (s *Server) workflowBody(c *call) bool {
	f, ok := c.readBody("eventStartTime")
	if !ok {
		return false
	}
	f.date("eventStartTime", false)
	return c.valid(f)
}

func (s *Server) addWorkflow(c *call) {
	rec, ok := s.contactFor(c)
	if !ok || !s.workflowBody(c) {
		return
	}
	if id := c.param("workflowId"); !slices.Contains(rec.workflows, id) {
		rec.workflows = append(rec.workflows, id)
	}
	c.json(http.StatusOK, map[string]any{"succeded": true})
}

func (s *Server) removeWorkflow(c *call) {
	rec, ok := s.contactFor(c)
	if !ok || !s.workflowBody(c) {
		return
	}
	id := c.param("workflowId")
	rec.workflows = slices.DeleteFunc(rec.workflows, func(x string) bool { return x == id })
	c.json(http.StatusOK, map[string]any{"succeded": true})
}

type appointmentWire struct {
	ID                string   `json:"id"`
	CalendarID        string   `json:"calendarId,omitempty"`
	Status            string   `json:"status,omitempty"`
	Title             string   `json:"title,omitempty"`
	AssignedUserID    string   `json:"assignedUserId,omitempty"`
	Notes             string   `json:"notes,omitempty"`
	StartTime         string   `json:"startTime"`
	EndTime           string   `json:"endTime"`
	Address           string   `json:"address,omitempty"`
	LocationID        string   `json:"locationId"`
	ContactID         string   `json:"contactId"`
	GroupID           string   `json:"groupId,omitempty"`
	AppointmentStatus string   `json:"appointmentStatus,omitempty"`
	Users             []string `json:"users,omitempty"`
	AssignedResources []string `json:"assignedResources,omitempty"`
	Source            string   `json:"source,omitempty"`
	DateAdded         string   `json:"dateAdded"`
	DateUpdated       string   `json:"dateUpdated"`
}

func renderAppointment(a *Appointment) appointmentWire {
	return appointmentWire{
		ID:                a.ID,
		CalendarID:        a.CalendarID,
		Status:            a.Status,
		Title:             a.Title,
		AssignedUserID:    a.AssignedUserID,
		Notes:             a.Notes,
		StartTime:         isoTime(a.StartTime),
		EndTime:           isoTime(a.EndTime),
		Address:           a.Address,
		LocationID:        a.LocationID,
		ContactID:         a.ContactID,
		GroupID:           a.GroupID,
		AppointmentStatus: a.AppointmentStatus,
		Users:             slices.Clone(a.Users),
		AssignedResources: slices.Clone(a.AssignedResources),
		Source:            a.Source,
		DateAdded:         isoTime(a.DateAdded),
		DateUpdated:       isoTime(a.DateUpdated),
	}
}

func (s *Server) listAppointments(c *call) {
	rec, ok := s.contactFor(c)
	if !ok {
		return
	}
	c.json(http.StatusOK, map[string]any{"events": mapEach(rec.appointments, renderAppointment)})
}

type bulkTagError struct {
	ContactID string `json:"contactId"`
	Message   string `json:"message"`
	Type      string `json:"type"`
}

type bulkTagResult struct {
	ContactID   string   `json:"contactId"`
	Message     string   `json:"message"`
	Type        string   `json:"type"`
	OldTags     []string `json:"oldTags"`
	TagsAdded   []string `json:"tagsAdded"`
	TagsRemoved []string `json:"tagsRemoved"`
}

func (s *Server) bulkTags(c *call) {
	typ := c.param("type")
	f, ok := c.readBody("contacts", "tags", "locationId", "removeAllTags")
	if !ok {
		return
	}
	if typ != "add" && typ != "remove" {
		f.errs = append(f.errs, "type must be one of the following values: add, remove")
	}
	ids, _ := f.strs("contacts", true)
	tags, _ := f.strs("tags", true)
	loc, _ := f.str("locationId", true, false)
	removeAll, _ := f.boolean("removeAllTags", false)
	if removeAll && typ == "add" {
		f.errs = append(f.errs, "removeAllTags can only be used with remove type")
	}
	if !c.valid(f) {
		return
	}
	if loc != c.tok.locationID {
		c.forbidden()
		return
	}
	tags = normalizeTags(tags)
	results := make([]any, 0, len(ids))
	errCount := 0
	for _, id := range ids {
		rec, ok := s.contacts[id]
		switch {
		case !ok && len(id) != idLen:
			results = append(results, bulkTagError{ContactID: id, Message: "contact id is not a valid firebase id", Type: "error"})
			errCount++
		case !ok:
			results = append(results, bulkTagError{ContactID: id, Message: "contact not found", Type: "error"})
			errCount++
		case rec.c.LocationID != loc:
			results = append(results, bulkTagError{ContactID: id, Message: "contact does not belong to location", Type: "error"})
			errCount++
		default:
			old := slices.Clone(rec.c.Tags)
			added, removed := s.applyTags(rec, tags, typ == "add", removeAll)
			results = append(results, bulkTagResult{
				ContactID: id, Message: "Tags updated", Type: "success",
				OldTags: nonNil(old), TagsAdded: nonNil(added), TagsRemoved: nonNil(removed),
			})
		}
	}
	c.json(http.StatusCreated, map[string]any{"succeded": true, "errorCount": errCount, "responses": results})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) bulkBusiness(c *call) {
	f, ok := c.readBody("locationId", "ids", "businessId")
	if !ok {
		return
	}
	loc, _ := f.str("locationId", true, false)
	ids, _ := f.strs("ids", true)
	if !f.has("businessId") {
		f.errs = append(f.errs, "businessId must be a string")
	}
	biz, _ := f.str("businessId", false, true)
	if !c.valid(f) {
		return
	}
	if loc != c.tok.locationID {
		c.forbidden()
		return
	}
	done := []string{}
	for _, id := range ids {
		rec, ok := s.contacts[id]
		if !ok || rec.c.LocationID != loc {
			continue
		}
		if rec.c.BusinessID != biz {
			old := copyContact(rec.c)
			rec.c.BusinessID = biz
			rec.c.DateUpdated = s.clock()
			s.emitContactChanges(old, rec)
		}
		done = append(done, id)
	}
	c.json(http.StatusOK, map[string]any{"success": true, "ids": done})
}
