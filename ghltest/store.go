package ghltest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// contactRec is a stored contact and what hangs off it.
type contactRec struct {
	c            Contact
	tasks        []*Task // creation order
	notes        []*Note // creation order
	appointments []*Appointment
	campaigns    []string
	workflows    []string
}

// locationState indexes one location's contacts. index stays sorted by
// (DateAdded, ID) so list and search pages are found by binary search,
// which keeps paging through 100,000 contacts linear overall.
type locationState struct {
	loc    Location
	index  []*contactRec
	emails map[string][]*contactRec // lower-cased email
	phones map[string][]*contactRec // normalized phone
}

// location returns the state of id, creating it. s.mu must be held.
func (s *Server) location(id string) *locationState {
	ls, ok := s.locations[id]
	if !ok {
		ls = &locationState{loc: Location{ID: id}, emails: map[string][]*contactRec{}, phones: map[string][]*contactRec{}}
		s.locations[id] = ls
	}
	return ls
}

func recLess(a *contactRec, ms int64, id string) bool {
	am := a.c.DateAdded.UnixMilli()
	return am < ms || (am == ms && a.c.ID < id)
}

// position returns where a contact with (ms, id) sits in the index.
func (ls *locationState) position(ms int64, id string) int {
	i, _ := slices.BinarySearchFunc(ls.index, struct {
		ms int64
		id string
	}{ms, id}, func(r *contactRec, k struct {
		ms int64
		id string
	}) int {
		switch {
		case recLess(r, k.ms, k.id):
			return -1
		case r.c.DateAdded.UnixMilli() == k.ms && r.c.ID == k.id:
			return 0
		default:
			return 1
		}
	})
	return i
}

func (ls *locationState) insert(rec *contactRec) {
	i := ls.position(rec.c.DateAdded.UnixMilli(), rec.c.ID)
	ls.index = slices.Insert(ls.index, i, rec)
	ls.addKeys(rec)
}

func (ls *locationState) remove(rec *contactRec) {
	i := ls.position(rec.c.DateAdded.UnixMilli(), rec.c.ID)
	if i < len(ls.index) && ls.index[i] == rec {
		ls.index = slices.Delete(ls.index, i, i+1)
	}
	ls.dropKeys(rec)
}

func (ls *locationState) addKeys(rec *contactRec) {
	if e := strings.ToLower(rec.c.Email); e != "" {
		ls.emails[e] = append(ls.emails[e], rec)
	}
	if p := rec.c.Phone; p != "" {
		ls.phones[p] = append(ls.phones[p], rec)
	}
}

func (ls *locationState) dropKeys(rec *contactRec) {
	drop := func(m map[string][]*contactRec, k string) {
		if k == "" {
			return
		}
		l := slices.DeleteFunc(m[k], func(r *contactRec) bool { return r == rec })
		if len(l) == 0 {
			delete(m, k)
		} else {
			m[k] = l
		}
	}
	drop(ls.emails, strings.ToLower(rec.c.Email))
	drop(ls.phones, rec.c.Phone)
}

// byEmail and byPhone return the oldest matching contact other than skip.
func (ls *locationState) byEmail(email string, skip *contactRec) *contactRec {
	return oldest(ls.emails[strings.ToLower(email)], skip)
}

func (ls *locationState) byPhone(phone string, skip *contactRec) *contactRec {
	return oldest(ls.phones[normalizePhone(phone)], skip)
}

func oldest(l []*contactRec, skip *contactRec) *contactRec {
	var best *contactRec
	for _, r := range l {
		if r == skip {
			continue
		}
		if best == nil || recLess(r, best.c.DateAdded.UnixMilli(), best.c.ID) {
			best = r
		}
	}
	return best
}

// newID returns an ID not used by any contact, task, note or business.
// s.mu must be held.
func (s *Server) newID() string {
	for {
		id := s.ids.next()
		if _, ok := s.contacts[id]; !ok {
			if _, ok := s.businesses[id]; !ok {
				return id
			}
		}
	}
}

// normalizeContact fills derived fields, as HighLevel does on write.
func (s *Server) normalizeContact(c *Contact) {
	c.Phone = normalizePhone(c.Phone)
	c.Tags = normalizeTags(c.Tags)
	if c.Name == "" {
		c.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	if c.CustomFields == nil {
		c.CustomFields = []CustomField{}
	}
	now := s.clock()
	if c.DateAdded.IsZero() {
		c.DateAdded = now
	}
	c.DateAdded = c.DateAdded.UTC().Truncate(time.Millisecond)
	if c.DateUpdated.IsZero() {
		c.DateUpdated = c.DateAdded
	}
	c.DateUpdated = c.DateUpdated.UTC().Truncate(time.Millisecond)
}

// normalizePhone keeps a leading + and the digits; ten digits without a
// country code are taken as US numbers, as HighLevel's default is.
func normalizePhone(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if d == "" {
		return p
	}
	if strings.HasPrefix(p, "+") {
		return "+" + d
	}
	if len(d) == 10 {
		return "+1" + d
	}
	return "+" + d
}

// normalizeTags lower-cases, trims and de-duplicates tags, as HighLevel
// stores them.
func normalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// storeContact adds a normalized contact. s.mu must be held.
func (s *Server) storeContact(c Contact) *contactRec {
	if c.ID == "" {
		c.ID = s.newID()
	}
	if _, dup := s.contacts[c.ID]; dup {
		panic(fmt.Sprintf("ghltest: contact %s already exists", c.ID))
	}
	s.normalizeContact(&c)
	rec := &contactRec{c: c}
	s.contacts[c.ID] = rec
	s.location(c.LocationID).insert(rec)
	return rec
}

// deleteContact removes a contact and what hangs off it. s.mu must be held.
func (s *Server) deleteContact(rec *contactRec) {
	s.location(rec.c.LocationID).remove(rec)
	delete(s.contacts, rec.c.ID)
}

// AddLocation registers a location, or updates its details.
func (s *Server) AddLocation(l Location) {
	if l.ID == "" {
		panic("ghltest: AddLocation: ID must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.location(l.ID).loc = l
}

// Location returns the details of a location known to the server.
func (s *Server) Location(id string) (Location, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls, ok := s.locations[id]
	if !ok {
		return Location{}, false
	}
	return ls.loc, true
}

// AddContact stores c and returns it as stored: with an ID when c has
// none, DateAdded and DateUpdated set to now when zero, the phone
// normalized and tags lower-cased. c.LocationID is required. It emits a
// ContactCreate webhook event.
func (s *Server) AddContact(c Contact) Contact {
	return s.AddContacts(c)[0]
}

// AddContacts stores several contacts under one lock; see AddContact.
func (s *Server) AddContacts(cs ...Contact) []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Contact, 0, len(cs))
	for _, c := range cs {
		if c.LocationID == "" {
			panic("ghltest: AddContact: LocationID must not be empty")
		}
		c.Tags = slices.Clone(c.Tags)
		c.CustomFields = slices.Clone(c.CustomFields)
		c.Followers = slices.Clone(c.Followers)
		rec := s.storeContact(c)
		s.emitContact(evContactCreate, rec)
		out = append(out, copyContact(rec.c))
	}
	return out
}

// SeedContacts adds n synthetic contacts to locationID: "First<i> Last<i>",
// contact<i>@example.com, distinct phones, with DateAdded one millisecond
// apart, ending now. It is meant for benchmarks and large listings:
// 100,000 contacts take well under a second. No webhooks are emitted.
func (s *Server) SeedContacts(locationID string, n int) {
	if locationID == "" {
		panic("ghltest: SeedContacts: locationID must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := s.location(locationID)
	base := s.clock().Add(-time.Duration(n) * time.Millisecond)
	start := len(ls.index)
	recs := make([]*contactRec, 0, n)
	for i := range n {
		k := start + i + 1
		c := Contact{
			ID:           s.newID(),
			LocationID:   locationID,
			FirstName:    fmt.Sprintf("First%d", k),
			LastName:     fmt.Sprintf("Last%d", k),
			Email:        fmt.Sprintf("contact%d@example.com", k),
			Phone:        fmt.Sprintf("+1555%07d", k%10000000),
			Source:       "ghltest",
			Tags:         []string{},
			CustomFields: []CustomField{},
			DateAdded:    base.Add(time.Duration(i) * time.Millisecond),
		}
		c.Name = c.FirstName + " " + c.LastName
		c.DateUpdated = c.DateAdded
		rec := &contactRec{c: c}
		s.contacts[c.ID] = rec
		ls.addKeys(rec)
		recs = append(recs, rec)
	}
	// One merge instead of n binary insertions.
	ls.index = append(ls.index, recs...)
	slices.SortFunc(ls.index, func(a, b *contactRec) int {
		switch {
		case recLess(a, b.c.DateAdded.UnixMilli(), b.c.ID):
			return -1
		case a == b:
			return 0
		default:
			return 1
		}
	})
}

// Contact returns the stored contact with id.
func (s *Server) Contact(id string) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.contacts[id]
	if !ok {
		return Contact{}, false
	}
	return copyContact(rec.c), true
}

// Contacts returns the contacts of locationID, oldest first.
func (s *Server) Contacts(locationID string) []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls, ok := s.locations[locationID]
	if !ok {
		return nil
	}
	out := make([]Contact, len(ls.index))
	for i, rec := range ls.index {
		out[i] = copyContact(rec.c)
	}
	return out
}

// ContactCount returns the number of contacts of locationID.
func (s *Server) ContactCount(locationID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ls, ok := s.locations[locationID]; ok {
		return len(ls.index)
	}
	return 0
}

// UpdateContact replaces the stored contact with c.ID (its LocationID and
// DateAdded are kept; DateUpdated becomes now; an empty Name is derived
// from FirstName and LastName) and emits the webhook
// events an API update would. It reports whether the contact exists.
func (s *Server) UpdateContact(c Contact) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.contacts[c.ID]
	if !ok {
		return Contact{}, false
	}
	old := rec.c
	ls := s.location(old.LocationID)
	ls.dropKeys(rec)
	c.LocationID, c.DateAdded = old.LocationID, old.DateAdded
	c.Tags = slices.Clone(c.Tags)
	c.CustomFields = slices.Clone(c.CustomFields)
	c.Followers = slices.Clone(c.Followers)
	c.DateUpdated = time.Time{}
	s.normalizeContact(&c)
	c.DateUpdated = s.clock()
	rec.c = c
	ls.addKeys(rec)
	s.emitContactChanges(old, rec)
	return copyContact(rec.c), true
}

// DeleteContact removes a contact with its tasks and notes, emitting
// ContactDelete. It reports whether the contact existed.
func (s *Server) DeleteContact(id string) bool {
	return withContact(s, id, func(rec *contactRec) bool {
		s.deleteContact(rec)
		s.emitContact(evContactDelete, rec)
		return true
	})
}

// withContact returns f of the contact id, run under the server's lock;
// without such a contact it returns T's zero value.
func withContact[T any](s *Server, id string, f func(*contactRec) T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.contacts[id]
	if !ok {
		var zero T
		return zero
	}
	return f(rec)
}

// valueOf is *p: the copy a read accessor hands out of what the server
// stores by pointer.
func valueOf[T any](p *T) T { return *p }

// AddBusiness stores a business (ID generated when empty) and returns it.
func (s *Server) AddBusiness(b Business) Business {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.ID == "" {
		b.ID = s.newID()
	}
	cp := b
	s.businesses[b.ID] = &cp
	return b
}

// Business returns the business with id.
func (s *Server) Business(id string) (Business, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.businesses[id]
	if !ok {
		return Business{}, false
	}
	return *b, true
}

func (s *Server) mustContact(fn, contactID string) *contactRec {
	rec, ok := s.contacts[contactID]
	if !ok {
		panic(fmt.Sprintf("ghltest: %s: unknown contact %q", fn, contactID))
	}
	return rec
}

// AddTask stores a task on its contact (which must exist) and emits
// TaskCreate. ID and DateAdded are set when empty.
func (s *Server) AddTask(t Task) Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.mustContact("AddTask", t.ContactID)
	if t.ID == "" {
		t.ID = s.newID()
	}
	if t.DateAdded.IsZero() {
		t.DateAdded = s.clock()
	}
	t.DueDate = t.DueDate.UTC().Truncate(time.Millisecond)
	cp := t
	rec.tasks = append(rec.tasks, &cp)
	s.emitTask(evTaskCreate, rec, &cp)
	return t
}

// Tasks returns the tasks of a contact in creation order.
func (s *Server) Tasks(contactID string) []Task {
	return withContact(s, contactID, func(rec *contactRec) []Task { return mapEach(rec.tasks, valueOf) })
}

// AddNote stores a note on its contact (which must exist) and emits
// NoteCreate. ID and DateAdded are set when empty.
func (s *Server) AddNote(n Note) Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.mustContact("AddNote", n.ContactID)
	if n.ID == "" {
		n.ID = s.newID()
	}
	if n.DateAdded.IsZero() {
		n.DateAdded = s.clock()
	}
	cp := n
	rec.notes = append(rec.notes, &cp)
	s.emitNote(evNoteCreate, rec, &cp)
	return n
}

// Notes returns the notes of a contact in creation order.
func (s *Server) Notes(contactID string) []Note {
	return withContact(s, contactID, func(rec *contactRec) []Note { return mapEach(rec.notes, valueOf) })
}

// AddAppointment stores an appointment on its contact (which must exist)
// and emits AppointmentCreate. ID, LocationID and dates are set when empty.
func (s *Server) AddAppointment(a Appointment) Appointment {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.mustContact("AddAppointment", a.ContactID)
	if a.ID == "" {
		a.ID = s.newID()
	}
	if a.LocationID == "" {
		a.LocationID = rec.c.LocationID
	}
	now := s.clock()
	if a.DateAdded.IsZero() {
		a.DateAdded = now
	}
	if a.DateUpdated.IsZero() {
		a.DateUpdated = a.DateAdded
	}
	a.Users = slices.Clone(a.Users)
	a.AssignedResources = slices.Clone(a.AssignedResources)
	cp := a
	rec.appointments = append(rec.appointments, &cp)
	s.emitAppointment(evAppointmentCreate, &cp)
	return a
}

// DeleteAppointment removes an appointment and emits AppointmentDelete. It
// reports whether it existed.
func (s *Server) DeleteAppointment(contactID, id string) bool {
	return withContact(s, contactID, func(rec *contactRec) bool {
		for i, a := range rec.appointments {
			if a.ID == id {
				rec.appointments = slices.Delete(rec.appointments, i, i+1)
				s.emitAppointment(evAppointmentDelete, a)
				return true
			}
		}
		return false
	})
}

// Appointments returns the appointments of a contact.
func (s *Server) Appointments(contactID string) []Appointment {
	return withContact(s, contactID, func(rec *contactRec) []Appointment {
		return mapEach(rec.appointments, func(a *Appointment) Appointment {
			cp := *a
			cp.Users = slices.Clone(a.Users)
			cp.AssignedResources = slices.Clone(a.AssignedResources)
			return cp
		})
	})
}

// Campaigns returns the IDs of the campaigns a contact was added to.
func (s *Server) Campaigns(contactID string) []string {
	return withContact(s, contactID, func(rec *contactRec) []string { return slices.Clone(rec.campaigns) })
}

// Workflows returns the IDs of the workflows a contact was added to.
func (s *Server) Workflows(contactID string) []string {
	return withContact(s, contactID, func(rec *contactRec) []string { return slices.Clone(rec.workflows) })
}

func copyContact(c Contact) Contact {
	c.Tags = slices.Clone(c.Tags)
	if c.Tags == nil {
		c.Tags = []string{}
	}
	c.CustomFields = slices.Clone(c.CustomFields)
	c.Followers = slices.Clone(c.Followers)
	if c.DNDSettings != nil {
		m := make(map[string]DNDSetting, len(c.DNDSettings))
		for k, v := range c.DNDSettings {
			m[k] = v
		}
		c.DNDSettings = m
	}
	if c.InboundDNDSettings != nil {
		m := make(map[string]DNDSetting, len(c.InboundDNDSettings))
		for k, v := range c.InboundDNDSettings {
			m[k] = v
		}
		c.InboundDNDSettings = m
	}
	if c.AttributionSource != nil {
		a := *c.AttributionSource
		c.AttributionSource = &a
	}
	return c
}
