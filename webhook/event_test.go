package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

func mustParse(t *testing.T, body string) Event {
	t.Helper()
	e, err := Parse([]byte(body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return e
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestParseDispatchesEveryType(t *testing.T) {
	t.Parallel()
	want := map[string]Event{
		TypeContactCreate:     &ContactCreate{},
		TypeContactUpdate:     &ContactUpdate{},
		TypeContactDelete:     &ContactDelete{},
		TypeContactDndUpdate:  &ContactDndUpdate{},
		TypeContactTagUpdate:  &ContactTagUpdate{},
		TypeNoteCreate:        &NoteCreate{},
		TypeNoteUpdate:        &NoteUpdate{},
		TypeNoteDelete:        &NoteDelete{},
		TypeTaskCreate:        &TaskCreate{},
		TypeTaskComplete:      &TaskComplete{},
		TypeTaskDelete:        &TaskDelete{},
		TypeAppointmentCreate: &AppointmentCreate{},
		TypeAppointmentUpdate: &AppointmentUpdate{},
		TypeAppointmentDelete: &AppointmentDelete{},
		TypeAppInstall:        &AppInstall{},
		TypeAppUninstall:      &AppUninstall{},
		"OpportunityCreate":   &UnknownEvent{},
		"taskcreate":          &UnknownEvent{}, // types are case-sensitive
	}
	if len(want) != 18 {
		t.Fatalf("table has %d entries", len(want))
	}
	for typ, w := range want {
		body := `{"type":"` + typ + `","locationId":"L","webhookId":"W","timestamp":"2025-01-28T14:35:00Z"}`
		e := mustParse(t, body)
		if reflect.TypeOf(e) != reflect.TypeOf(w) {
			t.Errorf("%s: got %T, want %T", typ, e, w)
			continue
		}
		m := e.EventMeta()
		if m.Type != typ || m.LocationID != "L" || m.WebhookID != "W" || !m.Timestamp.Equal(testNow) || string(m.Raw) != body {
			t.Errorf("%s: meta = %+v", typ, m)
		}
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"empty":          "",
		"spaces":         "   ",
		"null":           "null",
		"string":         `"TaskCreate"`,
		"array":          `[]`,
		"truncated":      `{"type":"TaskCreate"`,
		"no type":        `{"id":"x"}`,
		"empty type":     `{"type":""}`,
		"numeric type":   `{"type":5}`,
		"bad timestamp":  `{"type":"TaskCreate","timestamp":"soon"}`,
		"bad contact ts": `{"type":"ContactCreate","timestamp":true}`,
		"appointment":    `{"type":"AppointmentCreate","appointment":"x"}`,
		"trial":          `{"type":"INSTALL","trial":{"trialDuration":"ten"}}`,
		"uninstall":      `{"type":"UNINSTALL","appId":7}`,
	} {
		e, err := Parse([]byte(body))
		if !errors.Is(err, ErrMalformedPayload) || e != nil {
			t.Errorf("%s: Parse = %v, %v; want ErrMalformedPayload", name, e, err)
		}
	}
}

// One odd value in the record of an event does not fail the payload: the
// field is left zero and the record's Extra holds it.
func TestParseToleratesOddRecordValues(t *testing.T) {
	t.Parallel()
	for body, member := range map[string]string{
		`{"type":"TaskCreate","dueDate":"next week","title":"T"}`:             `dueDate`,
		`{"type":"ContactCreate","tags":"a,b","firstName":"A"}`:               `tags`,
		`{"type":"ContactUpdate","birthMonth":8.5,"firstName":"A"}`:           `birthMonth`,
		`{"type":"NoteCreate","body":{},"title":"T"}`:                         `body`,
		`{"type":"AppointmentCreate","appointment":{"source":1,"title":"T"}}`: `source`,
	} {
		e, err := Parse([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		var extra map[string]json.RawMessage
		switch e := e.(type) {
		case *TaskCreate:
			extra = e.Task.Extra()
		case *ContactCreate:
			extra = e.Contact.Extra()
		case *ContactUpdate:
			extra = e.Contact.Extra()
		case *NoteCreate:
			extra = e.Note.Extra()
		case *AppointmentCreate:
			extra = e.Appointment.Extra()
		}
		if len(extra) != 1 || extra[member] == nil {
			t.Errorf("%s: Extra = %s, want only %s", body, extra, member)
		}
	}
}

func TestParseContactEvent(t *testing.T) {
	t.Parallel()
	body := `{"type":"ContactDndUpdate","locationId":"loc","webhookId":"w","timestamp":"2025-01-28T14:35:00.000Z",
	"id":"c1","firstName":"John","email":"j@example.com","dateAdded":"2021-11-26T12:41:02.193Z","dateOfBirth":"2000-01-05T00:00:00.000Z",
	"dnd":true,"dndSettings":{"SMS":{"status":"inactive","message":"m","code":"101"}},"tags":["a","b"],
	"customFields":[{"id":"cf1","value":"XYZ Corp"}],"futureField":{"x":1}}`
	e, ok := mustParse(t, body).(*ContactDndUpdate)
	if !ok {
		t.Fatal("not a *ContactDndUpdate")
	}
	c := e.Contact
	if c.ID != "c1" || c.FirstName != "John" || c.Email != "j@example.com" || c.LocationID != "loc" || !c.DND {
		t.Fatalf("contact = %+v", c)
	}
	if c.Type != "" {
		t.Errorf("Contact.Type = %q: the payload's type is the event type", c.Type)
	}
	if !c.DateAdded.Equal(mustTime(t, "2021-11-26T12:41:02.193Z")) || !c.DateOfBirth.Equal(mustTime(t, "2000-01-05T00:00:00Z")) {
		t.Errorf("dates = %v, %v", c.DateAdded, c.DateOfBirth)
	}
	if c.DNDSettings == nil || c.DNDSettings.SMS == nil || c.DNDSettings.SMS.Status != contacts.DNDInactive || c.DNDSettings.SMS.Code != "101" {
		t.Errorf("dndSettings = %+v", c.DNDSettings)
	}
	if len(c.CustomFields) != 1 || c.CustomFields[0].ID != "cf1" {
		t.Fatalf("customFields = %+v", c.CustomFields)
	}
	if s, _ := c.CustomFields[0].Value.AsString(); s != "XYZ Corp" {
		t.Errorf("custom field value = %q", s)
	}
	if !reflect.DeepEqual(c.Tags, []string{"a", "b"}) {
		t.Errorf("tags = %v", c.Tags)
	}
	// Unknown fields survive; the event's own keys are not "unknown".
	if extra := c.Extra(); len(extra) != 1 || string(extra["futureField"]) != `{"x":1}` {
		t.Errorf("Extra = %s", extra)
	}
}

// Contact events decode their custom fields into reused slices: one
// payload's custom fields never show in the next, and a missing, null and
// empty "customFields" read as they do when a contact is decoded alone
// (nil, nil, empty).
func TestParseCustomFieldsOneAfterAnother(t *testing.T) {
	t.Parallel()
	bodies := []string{
		`{"customFields":[{"id":"a","value":1},{"id":"b","field_value":"x"},{"key":"k","value":[1]}]}`,
		`{"id":"c"}`,
		`{"customFields":[]}`,
		`{"customFields":null}`,
		`{"customFields":[{"id":"a","value":1},{"id":"b","value":2},{"id":"c","value":3}],"customFields":[{"id":"d"}]}`,
		`{"customFields":[{"id":"x"},{"id":"y"},{"id":"z"}]}`,
		`{"customFields":[{"id":"a","value":1}],"customFields":[]}`,
		`{"customFields":[],"id":"c"}`,
		`{"customFields":[` + strings.Repeat(`{"id":"many","value":true},`, 300) + `{}]}`,
		`{"id":"last"}`,
	}
	// Rounds, so that the later payloads meet wires the earlier ones used.
	for range 20 {
		for _, body := range bodies {
			e, err := Parse([]byte(`{"type":"ContactUpdate",` + body[1:]))
			if err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			var want contacts.Contact
			if err := json.Unmarshal([]byte(body), &want); err != nil {
				t.Fatal(err)
			}
			if got := e.(*ContactUpdate).Contact.CustomFields; !reflect.DeepEqual(got, want.CustomFields) {
				t.Fatalf("%s: custom fields = %#v, want %#v", body, got, want.CustomFields)
			}
		}
	}
}

func TestParseTaskEvents(t *testing.T) {
	t.Parallel()
	const fields = `"locationId":"loc","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","id":"t1","assignedTo":"u1","body":"b","contactId":"c1","title":"T","dateAdded":"2021-11-29T13:37:28.304Z","dueDate":"2021-12-22T06:55:00Z"`
	want := tasks.Task{ID: "t1", AssignedTo: "u1", Body: "b", ContactID: "c1", Title: "T", DueDate: mustTime(t, "2021-12-22T06:55:00Z")}
	added := mustTime(t, "2021-11-29T13:37:28.304Z")

	e1 := mustParse(t, `{"type":"TaskCreate",`+fields+`}`).(*TaskCreate)
	e2 := mustParse(t, `{"type":"TaskComplete",`+fields+`}`).(*TaskComplete)
	e3 := mustParse(t, `{"type":"TaskDelete",`+fields+`}`).(*TaskDelete)
	for name, got := range map[string]struct {
		task  tasks.Task
		added time.Time
	}{"create": {e1.Task, e1.DateAdded}, "complete": {e2.Task, e2.DateAdded}, "delete": {e3.Task, e3.DateAdded}} {
		w := want
		w.Completed = name == "complete"
		if g := got.task; g.ID != w.ID || g.AssignedTo != w.AssignedTo || g.Body != w.Body || g.ContactID != w.ContactID ||
			g.Title != w.Title || !g.DueDate.Equal(w.DueDate) || g.Completed != w.Completed || g.Extra() != nil {
			t.Errorf("%s: task = %+v, want %+v, Extra %s", name, got.task, w, got.task.Extra())
		}
		if !got.added.Equal(added) {
			t.Errorf("%s: DateAdded = %v", name, got.added)
		}
	}
}

func TestParseNoteEvent(t *testing.T) {
	t.Parallel()
	e := mustParse(t, `{"type":"NoteUpdate","locationId":"loc","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","id":"n1","body":"hello","contactId":"c1","dateAdded":"2021-11-26T12:41:02.193Z"}`).(*NoteUpdate)
	want := notes.Note{ID: "n1", Body: "hello", ContactID: "c1", DateAdded: mustTime(t, "2021-11-26T12:41:02.193Z")}
	if g := e.Note; g.ID != want.ID || g.Body != want.Body || g.ContactID != want.ContactID || !g.DateAdded.Equal(want.DateAdded) || g.Extra() != nil {
		t.Fatalf("note = %+v, want %+v, Extra %s", e.Note, want, e.Note.Extra())
	}
}

func TestParseAppointmentEvent(t *testing.T) {
	t.Parallel()
	e := mustParse(t, `{"type":"AppointmentUpdate","locationId":"loc","webhookId":"w","timestamp":"2025-01-28T14:35:00Z",
	"appointment":{"id":"a1","title":"Demo","calendarId":"cal","contactId":"c1","appointmentStatus":"confirmed","users":["u1","u2"],
	"source":"booking_widget","startTime":"2023-09-25T16:00:00+05:30","endTime":"2023-09-25T16:30:00+05:30","other":true}}`).(*AppointmentUpdate)
	a := e.Appointment
	if a.ID != "a1" || a.Title != "Demo" || a.CalendarID != "cal" || a.ContactID != "c1" || a.AppointmentStatus != "confirmed" || !reflect.DeepEqual(a.Users, []string{"u1", "u2"}) {
		t.Fatalf("appointment = %+v", a)
	}
	if e.Source != "booking_widget" {
		t.Errorf("Source = %q", e.Source)
	}
	if !a.StartTime.Equal(time.Date(2023, 9, 25, 10, 30, 0, 0, time.UTC)) || !a.EndTime.Equal(time.Date(2023, 9, 25, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("times = %v, %v", a.StartTime, a.EndTime)
	}
	if extra := a.Extra(); len(extra) != 1 || string(extra["other"]) != "true" {
		t.Errorf("Extra = %s (source is Appointment.Source, other is unknown)", extra)
	}
	// No appointment object at all is not an error.
	if e := mustParse(t, `{"type":"AppointmentDelete"}`).(*AppointmentDelete); e.Appointment.ID != "" {
		t.Fatal("phantom appointment")
	}
}

func TestParseAppEvents(t *testing.T) {
	t.Parallel()
	e := mustParse(t, `{"type":"INSTALL","appId":"app","companyId":"co","locationId":"loc","userId":"u","planId":"p",
	"trial":{"onTrial":true,"trialDuration":10,"trialStartDate":"2024-07-23T23:54:51.264Z"},
	"isWhitelabelCompany":true,"whitelabelDetails":{"domain":"example.com","logoUrl":"https://example.com/logo.png"},"companyName":"Co"}`).(*AppInstall)
	want := AppInstall{
		Meta:  e.Meta,
		AppID: "app", CompanyID: "co", UserID: "u", PlanID: "p",
		Trial:               Trial{OnTrial: true, Duration: 10, StartDate: mustTime(t, "2024-07-23T23:54:51.264Z")},
		IsWhitelabelCompany: true,
		WhitelabelDetails:   WhitelabelDetails{Domain: "example.com", LogoURL: "https://example.com/logo.png"},
		CompanyName:         "Co",
	}
	if !reflect.DeepEqual(*e, want) || e.LocationID != "loc" {
		t.Fatalf("install = %+v", *e)
	}
	u := mustParse(t, `{"type":"UNINSTALL","appId":"app","companyId":"co"}`).(*AppUninstall)
	if u.AppID != "app" || u.CompanyID != "co" || u.LocationID != "" {
		t.Fatalf("uninstall = %+v", *u)
	}
}

func TestParseUnknownKeepsRaw(t *testing.T) {
	t.Parallel()
	body := `{"type":"OpportunityStatusUpdate","webhookId":"w","status":"won"}`
	e := mustParse(t, body).(*UnknownEvent)
	if e.Type != "OpportunityStatusUpdate" || string(e.Raw) != body {
		t.Fatalf("unknown = %+v", e)
	}
}

// TestParseRawIsACopy: events must not alias a buffer the caller reuses.
func TestParseRawIsACopy(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"NoteCreate","id":"n1"}`)
	e, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	copy(body, bytes.Repeat([]byte("x"), len(body)))
	if string(e.EventMeta().Raw) != `{"type":"NoteCreate","id":"n1"}` {
		t.Fatalf("Raw aliases the input: %s", e.EventMeta().Raw)
	}
}

// TestUnmarshalEventDirectly decodes event structs with encoding/json, as a
// caller reading them from a queue would. The embedded Meta and the named
// tasks.Task / contacts.Contact fields (which have UnmarshalJSON methods)
// must not take over decoding of the whole struct.
func TestUnmarshalEventDirectly(t *testing.T) {
	t.Parallel()
	var tc TaskCreate
	if err := json.Unmarshal(taskBody("direct", testNow), &tc); err != nil {
		t.Fatal(err)
	}
	if tc.WebhookID != "direct" || tc.Type != "TaskCreate" || !tc.Timestamp.Equal(testNow) || tc.Task.Title != "Follow up" || tc.DateAdded.IsZero() {
		t.Fatalf("TaskCreate = %+v", tc)
	}
	var batch []ContactUpdate
	if err := json.Unmarshal([]byte(`[{"type":"ContactUpdate","webhookId":"w1","id":"c1"},{"type":"ContactUpdate","webhookId":"w2","id":"c2"}]`), &batch); err != nil {
		t.Fatal(err)
	}
	if len(batch) != 2 || batch[1].WebhookID != "w2" || batch[1].Contact.ID != "c2" || string(batch[0].Raw) != `{"type":"ContactUpdate","webhookId":"w1","id":"c1"}` {
		t.Fatalf("batch = %+v", batch)
	}
	// Decoding again replaces the contact, as decoding a Contact does; a
	// failed decoding leaves it as it was.
	cu := batch[0]
	if err := json.Unmarshal([]byte(`{"type":"ContactUpdate","id":"c3","firstName":"A","customFields":[{"id":"f"}]}`), &cu); err != nil || cu.Contact.FirstName != "A" {
		t.Fatalf("ContactUpdate = %+v, %v", cu, err)
	}
	if err := cu.UnmarshalJSON([]byte(`{"type":"ContactUpdate","id":"c4",`)); err == nil || cu.Contact.ID != "c3" || len(cu.Contact.CustomFields) != 1 {
		t.Fatalf("after a failed decoding: %+v, %v", cu.Contact, err)
	}
	if err := json.Unmarshal([]byte(`{"type":"ContactUpdate","id":"c4"}`), &cu); err != nil || cu.Contact.ID != "c4" || cu.Contact.FirstName != "" || cu.Contact.CustomFields != nil {
		t.Fatalf("decoded again: %+v, %v", cu.Contact, err)
	}
	var in AppInstall
	if err := json.Unmarshal([]byte(`{"type":"INSTALL","webhookId":"w","appId":"a"}`), &in); err != nil || in.AppID != "a" || in.WebhookID != "w" {
		t.Fatalf("AppInstall = %+v, %v", in, err)
	}
	// Every event type implements json.Unmarshaler itself.
	for _, e := range []any{&ContactCreate{}, &ContactUpdate{}, &ContactDelete{}, &ContactDndUpdate{}, &ContactTagUpdate{},
		&NoteCreate{}, &NoteUpdate{}, &NoteDelete{}, &TaskCreate{}, &TaskComplete{}, &TaskDelete{},
		&AppointmentCreate{}, &AppointmentUpdate{}, &AppointmentDelete{}, &AppInstall{}, &AppUninstall{}, &UnknownEvent{}} {
		if err := json.Unmarshal([]byte(`{"type":"X","webhookId":"direct"}`), e); err != nil {
			t.Errorf("%T: %v", e, err)
			continue
		}
		if e.(Event).EventMeta().WebhookID != "direct" {
			t.Errorf("%T: meta not decoded", e)
		}
	}
}

// specDir returns $GHL_SPEC_DIR, relative paths resolved against the module
// root, or skips the test.
func specDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("GHL_SPEC_DIR")
	if dir == "" {
		t.Skip("GHL_SPEC_DIR not set: set it to the ghl-api reference directory to check the documented webhook examples")
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, dir)
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("GHL_SPEC_DIR=%q is relative and no go.mod was found above the test directory", dir)
		}
		root = parent
	}
}

// exampleBlock matches the ```json example blocks (not ```json json_schema).
var exampleBlock = regexp.MustCompile("(?s)```json\\s*\\n(.*?)```")

// docErrata lists documented examples whose "type" contradicts their page:
// HighLevel's AppointmentUpdate and AppointmentDelete pages show an
// AppointmentCreate payload.
var docErrata = map[string]string{
	"AppointmentUpdate.md": TypeAppointmentCreate,
	"AppointmentDelete.md": TypeAppointmentCreate,
}

func TestDocumentedExamples(t *testing.T) {
	dir := filepath.Join(specDir(t), "webhook-events")
	files, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 16 {
		t.Fatalf("found %d pages in %s, want the 16 documented event types", len(files), dir)
	}
	pageType := map[string]string{"AppInstall": TypeAppInstall, "AppUninstall": TypeAppUninstall}
	covered := map[reflect.Type]bool{}
	for _, file := range files {
		page := filepath.Base(file)
		t.Run(page, func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			blocks := exampleBlock.FindAllSubmatch(doc, -1)
			if len(blocks) == 0 {
				t.Fatal("no ```json example")
			}
			want := strings.TrimSuffix(page, ".md")
			if pt, ok := pageType[want]; ok {
				want = pt
			}
			for i, b := range blocks {
				example := b[1]
				e, err := Parse(example)
				if err != nil {
					t.Fatalf("example %d: %v", i, err)
				}
				typ := e.EventMeta().Type
				if typ != want && docErrata[page] != typ {
					t.Fatalf("example %d has type %q on page %s", i, typ, page)
				}
				if _, unknown := e.(*UnknownEvent); unknown {
					t.Fatalf("example %d (%s) decoded to *UnknownEvent", i, typ)
				}
				checkExample(t, e, example)
				covered[reflect.TypeOf(e)] = true
				if leadingType(example) != typ {
					t.Errorf("example %d (%s) does not start with its type: Parse needs a second pass", i, typ)
				}
				if typ != want {
					// Decode the erratum as its page's type too.
					fixed := bytes.Replace(example, []byte(`"`+typ+`"`), []byte(`"`+want+`"`), 1)
					e, err := Parse(fixed)
					if err != nil || e.EventMeta().Type != want {
						t.Fatalf("example %d as %s: %v", i, want, err)
					}
					checkExample(t, e, fixed)
					covered[reflect.TypeOf(e)] = true
				}
			}
		})
	}
	if len(covered) != 16 {
		t.Errorf("documented examples cover %d event types, want 16: %v", len(covered), covered)
	}
}

// checkExample compares the decoded event with the example's own JSON, field
// by documented field, so a dropped or misnamed field fails.
func checkExample(t *testing.T, e Event, example []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(example, &m); err != nil {
		t.Fatal(err)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	date := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("example date %q: %v", s, err)
		}
		return v
	}
	eq := func(field string, got, want any) {
		t.Helper()
		if gt, ok := got.(time.Time); ok {
			if !gt.Equal(want.(time.Time)) {
				t.Errorf("%s = %v, want %v", field, got, want)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", field, got, want)
		}
	}
	meta := e.EventMeta()
	eq("locationId", meta.LocationID, str("locationId"))
	strs := func(v any) []string {
		if v == nil {
			return nil
		}
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	}
	contact := func(c contacts.Contact) {
		for k, got := range map[string]string{
			"id": c.ID, "address1": c.Address1, "city": c.City, "state": c.State, "companyName": c.CompanyName,
			"country": c.Country, "source": c.Source, "email": c.Email, "name": c.Name, "firstName": c.FirstName,
			"lastName": c.LastName, "phone": c.Phone, "postalCode": c.PostalCode, "website": c.Website, "assignedTo": c.AssignedTo,
		} {
			eq(k, got, str(k))
		}
		eq("dnd", c.DND, m["dnd"])
		eq("dateAdded", c.DateAdded, date(str("dateAdded")))
		eq("dateOfBirth", c.DateOfBirth, date(str("dateOfBirth")))
		eq("tags", c.Tags, strs(m["tags"]))
		cfs, _ := m["customFields"].([]any)
		if len(c.CustomFields) != len(cfs) {
			t.Fatalf("customFields: %d, want %d", len(c.CustomFields), len(cfs))
		}
		for i, cf := range cfs {
			cf := cf.(map[string]any)
			eq("customFields.id", c.CustomFields[i].ID, cf["id"])
			want, _ := json.Marshal(cf["value"])
			eq("customFields.value", string(c.CustomFields[i].Value.Raw()), string(want))
		}
		if d, ok := m["dndSettings"].(map[string]any); ok {
			if c.DNDSettings == nil {
				t.Fatal("dndSettings not decoded")
			}
			for ch, got := range map[string]*contacts.DNDSetting{"SMS": c.DNDSettings.SMS, "Call": c.DNDSettings.Call, "Email": c.DNDSettings.Email,
				"GMB": c.DNDSettings.GMB, "FB": c.DNDSettings.FB, "WhatsApp": c.DNDSettings.WhatsApp} {
				w := d[ch].(map[string]any)
				if got == nil {
					t.Fatalf("dndSettings.%s missing", ch)
				}
				eq("dndSettings."+ch, *got, contacts.DNDSetting{Status: contacts.DNDStatus(w["status"].(string)), Message: w["message"].(string), Code: w["code"].(string)})
			}
		}
		eq("Contact.Extra", len(c.Extra()), 0)
	}
	task := func(tk tasks.Task, added time.Time) {
		for k, got := range map[string]string{"id": tk.ID, "assignedTo": tk.AssignedTo, "body": tk.Body, "contactId": tk.ContactID, "title": tk.Title} {
			eq(k, got, str(k))
		}
		eq("dueDate", tk.DueDate, date(str("dueDate")))
		eq("dateAdded", added, date(str("dateAdded")))
		eq("Task.Extra", len(tk.Extra()), 0)
	}
	note := func(n notes.Note) {
		for k, got := range map[string]string{"id": n.ID, "body": n.Body, "contactId": n.ContactID} {
			eq(k, got, str(k))
		}
		eq("dateAdded", n.DateAdded, date(str("dateAdded")))
		eq("Note.Extra", len(n.Extra()), 0)
	}
	appt := func(a contacts.Appointment, source string) {
		w := m["appointment"].(map[string]any)
		s := func(k string) string { return w[k].(string) }
		for k, got := range map[string]string{"id": a.ID, "address": a.Address, "title": a.Title, "calendarId": a.CalendarID,
			"contactId": a.ContactID, "groupId": a.GroupID, "appointmentStatus": a.AppointmentStatus,
			"assignedUserId": a.AssignedUserID, "notes": a.Notes, "source": source} {
			eq("appointment."+k, got, s(k))
		}
		eq("appointment.users", a.Users, strs(w["users"]))
		for k, got := range map[string]time.Time{"startTime": a.StartTime, "endTime": a.EndTime, "dateAdded": a.DateAdded, "dateUpdated": a.DateUpdated} {
			eq("appointment."+k, got, date(s(k)))
		}
		eq("Appointment.Extra", len(a.Extra()), 0)
	}
	switch e := e.(type) {
	case *ContactCreate:
		contact(e.Contact)
	case *ContactUpdate:
		contact(e.Contact)
	case *ContactDelete:
		contact(e.Contact)
	case *ContactDndUpdate:
		contact(e.Contact)
	case *ContactTagUpdate:
		contact(e.Contact)
	case *TaskCreate:
		task(e.Task, e.DateAdded)
	case *TaskComplete:
		task(e.Task, e.DateAdded)
		eq("completed", e.Task.Completed, true)
	case *TaskDelete:
		task(e.Task, e.DateAdded)
	case *NoteCreate:
		note(e.Note)
	case *NoteUpdate:
		note(e.Note)
	case *NoteDelete:
		note(e.Note)
	case *AppointmentCreate:
		appt(e.Appointment, e.Source)
	case *AppointmentUpdate:
		appt(e.Appointment, e.Source)
	case *AppointmentDelete:
		appt(e.Appointment, e.Source)
	case *AppInstall:
		for k, got := range map[string]string{"appId": e.AppID, "companyId": e.CompanyID, "userId": e.UserID, "planId": e.PlanID, "companyName": e.CompanyName} {
			eq(k, got, str(k))
		}
		wl, _ := m["isWhitelabelCompany"].(bool)
		eq("isWhitelabelCompany", e.IsWhitelabelCompany, wl)
		tr := m["trial"].(map[string]any)
		eq("trial", e.Trial, Trial{OnTrial: tr["onTrial"].(bool), Duration: tr["trialDuration"].(float64), StartDate: e.Trial.StartDate})
		eq("trial.trialStartDate", e.Trial.StartDate, date(tr["trialStartDate"].(string)))
		d, _ := m["whitelabelDetails"].(map[string]any)
		ds := func(k string) string { s, _ := d[k].(string); return s }
		eq("whitelabelDetails", e.WhitelabelDetails, WhitelabelDetails{Domain: ds("domain"), LogoURL: ds("logoUrl")})
	case *AppUninstall:
		eq("appId", e.AppID, str("appId"))
		eq("companyId", e.CompanyID, str("companyId"))
	default:
		t.Fatalf("no check for %T", e)
	}
}

// TestParseOnePass checks which payloads Parse decodes in one pass (those
// whose first member is their type, as HighLevel sends them), and that the
// others decode as encoding/json settles them.
func TestParseOnePass(t *testing.T) {
	t.Parallel()
	one := []string{
		string(benchBody(t)),
		`{"type":"ContactDelete"}`,
		`{ "type" : "ContactTagUpdate" , "webhookId" : "w" , "timestamp" : 1738074900000 , "tags" : [ ] }`,
		`{"type":"ContactCreate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","customFields":[{"id":"f","value":"webhookIds, timestamps"}]}`,
	}
	for _, body := range one {
		if leadingType([]byte(body)) == "" {
			t.Errorf("not decoded in one pass: %s", body)
		}
		e, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if c := eventContact(e); c.Type != "" || c.Extra() != nil {
			t.Errorf("%s: Contact.Type = %q, Extra = %s", body, c.Type, c.Extra())
		}
	}
	for body, want := range map[string]string{
		`{"locationId":"l","type":"ContactCreate"}`:                          TypeContactCreate, // type not first
		`{"type":"Contact\u0043reate"}`:                                      TypeContactCreate,
		`{"type":"ContactCreate","type":"NoteCreate","webhookId":"w"}`:       TypeNoteCreate, // the last one wins
		`{"type":"ContactCreate","TYPE":"ContactUpdate"}`:                    TypeContactUpdate,
		`{"TYPE":"TaskCreate","type":"NoteDelete"}`:                          TypeNoteDelete,
		`{"type":"ContactCreate","webhookId":"w","webhookId":"x"}`:           TypeContactCreate,
		`{"type":"ContactCreate","Timestamp":"2025-01-28T14:35:00Z","id":5}`: TypeContactCreate,
	} {
		e, err := Parse([]byte(body))
		if err != nil || e.EventMeta().Type != want {
			t.Errorf("%s: Parse = %v, %v; want type %s", body, e, err, want)
		}
	}
}
