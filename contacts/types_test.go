package contacts_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
)

// TestUpdateParamsJSON pins the exact body for each state of a Field.
func TestUpdateParamsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    contacts.UpdateParams
		want string
	}{
		{"unchanged sends nothing", contacts.UpdateParams{}, `{}`},
		{"set", contacts.UpdateParams{FirstName: ghl.Set("Ada"), DND: ghl.Set(true)}, `{"firstName":"Ada","dnd":true}`},
		{"set empty values", contacts.UpdateParams{PostalCode: ghl.Set(""), DND: ghl.Set(false), Tags: ghl.Set([]string{})},
			`{"postalCode":"","dnd":false,"tags":[]}`},
		{"null", contacts.UpdateParams{Email: ghl.Null[string](), Website: ghl.Null[string](), AssignedTo: ghl.Null[string]()},
			`{"email":null,"website":null,"assignedTo":null}`},
		{"mixed", contacts.UpdateParams{
			Name:        ghl.Set("Ada Lovelace"),
			Phone:       ghl.Null[string](),
			DNDSettings: ghl.Set(contacts.DNDSettings{Email: &contacts.DNDSetting{Status: contacts.DNDInactive}}),
			InboundDNDSettings: ghl.Set(contacts.InboundDNDSettings{
				All: &contacts.InboundDNDSetting{Status: contacts.DNDActive, Message: "stop"},
			}),
			CustomFields: []contacts.CustomField{
				{ID: "cf1", Value: contacts.NullValue()},
				{Key: "size", Value: contacts.StringsValue()},
			},
		}, `{"name":"Ada Lovelace","phone":null,"dndSettings":{"Email":{"status":"inactive"}},` +
			`"inboundDndSettings":{"all":{"status":"active","message":"stop"}},"customFields":[{"id":"cf1","field_value":null},{"key":"size","field_value":[]}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
			// Decoding the body gives back the same states.
			var back contacts.UpdateParams
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			b2, _ := json.Marshal(back)
			if string(b2) != tc.want {
				t.Errorf("round trip: %s", b2)
			}
		})
	}
}

// TestUpdateTagsNil checks that Set(nil) tags are sent as [] rather than
// null, which HighLevel refuses for tags.
func TestUpdateTagsNil(t *testing.T) {
	t.Parallel()
	svc, m := newMock(t)
	m.reply(200, `{"contact":{"id":"c1"}}`)
	if _, err := svc.Update(t.Context(), "c1", contacts.UpdateParams{Tags: ghl.Set([]string(nil))}); err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.only(t), "PUT", "/contacts/c1", `{"tags":[]}`)
}

func TestField(t *testing.T) {
	t.Parallel()
	var zero ghl.Field[string]
	if !zero.IsZero() || zero.IsNull() {
		t.Error("zero Field is not unchanged")
	}
	if v, ok := zero.Get(); ok || v != "" {
		t.Error("zero Field has a value")
	}
	s := ghl.Set("x")
	if s.IsZero() || s.IsNull() {
		t.Error("Set is unchanged or null")
	}
	if v, ok := s.Get(); !ok || v != "x" {
		t.Errorf("Set(x).Get() = %q, %v", v, ok)
	}
	n := ghl.Null[int]()
	if n.IsZero() || !n.IsNull() {
		t.Error("Null is not null")
	}
	if _, ok := n.Get(); ok {
		t.Error("Null has a value")
	}
	var f ghl.Field[int]
	if err := json.Unmarshal([]byte(`"x"`), &f); err == nil {
		t.Error("decoding a string into Field[int] succeeded")
	}
}

func TestContactJSON(t *testing.T) {
	t.Parallel()
	in := `{
		"id": "c1",
		"locationId": "loc1",
		"firstName": "Ada",
		"dnd": true,
		"dndSettings": {"Call": {"status": "permanent", "message": "no", "code": "x"}, "SMS": {"status": "active"}},
		"dateAdded": "2021-07-08T02:30:00.000Z",
		"dateUpdated": "2020-10-25T11:00:00Z",
		"dateOfBirth": "1990-09-25",
		"lastActivity": 1626435570564,
		"lastSessionActivityAt": "",
		"tags": ["a", "b"],
		"customFields": [
			{"id": "s", "value": "text"},
			{"id": "n", "value": 100.5},
			{"id": "l", "value": ["x", "y"]},
			{"id": "o", "value": {"u1": {"url": "https://x"}}},
			{"id": "k", "key": "my_field", "field_value": "fv"}
		],
		"attributionSource": {"url": "Trigger Link", "utmSource": null, "gclid": "g"},
		"attributions": [{"url": "u1"}, {"url": "u2", "medium": "survey"}],
		"followers": ["u1"],
		"searchAfter": [1625203106704, "c1"],
		"additionalEmails": [{"email": "x@y.z"}],
		"newField": {"nested": [1, 2]}
	}`
	var c contacts.Contact
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	wantDates := map[string][2]time.Time{
		"dateAdded":             {c.DateAdded, time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
		"dateUpdated":           {c.DateUpdated, time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)},
		"dateOfBirth":           {c.DateOfBirth, time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		"lastActivity":          {c.LastActivity, time.Date(2021, 7, 16, 11, 39, 30, 564e6, time.UTC)},
		"lastSessionActivityAt": {c.LastSessionActivityAt, {}},
	}
	for name, d := range wantDates {
		if !d[0].Equal(d[1]) {
			t.Errorf("%s = %v, want %v", name, d[0], d[1])
		}
	}
	if c.ID != "c1" || c.FirstName != "Ada" || !c.DND || !reflect.DeepEqual(c.Tags, []string{"a", "b"}) {
		t.Errorf("fields: %+v", c)
	}
	if c.DNDSettings == nil || *c.DNDSettings.Call != (contacts.DNDSetting{Status: contacts.DNDPermanent, Message: "no", Code: "x"}) ||
		c.DNDSettings.SMS.Status != contacts.DNDActive || c.DNDSettings.Email != nil {
		t.Errorf("DNDSettings = %+v", c.DNDSettings)
	}
	if a := c.AttributionSource; a == nil || a.URL != "Trigger Link" || a.GCLID != "g" || a.UTMSource != "" {
		t.Errorf("AttributionSource = %+v", a)
	}
	if len(c.Attributions) != 2 || c.Attributions[1].Medium != "survey" {
		t.Errorf("Attributions = %+v", c.Attributions)
	}
	if len(c.SearchAfter) != 2 || string(c.SearchAfter[0]) != "1625203106704" || string(c.SearchAfter[1]) != `"c1"` {
		t.Errorf("SearchAfter = %s", c.SearchAfter)
	}

	// Custom fields of every value type.
	cf := c.CustomFields
	if len(cf) != 5 {
		t.Fatalf("CustomFields = %+v", cf)
	}
	if s, ok := cf[0].Value.AsString(); !ok || s != "text" {
		t.Errorf("string value = %q, %v", s, ok)
	}
	if _, ok := cf[0].Value.AsStrings(); ok {
		t.Error("a string value read as a list")
	}
	if n, ok := cf[1].Value.AsNumber(); !ok || n != 100.5 {
		t.Errorf("number value = %v, %v", n, ok)
	}
	if _, ok := cf[1].Value.AsString(); ok {
		t.Error("a number value read as a string")
	}
	if l, ok := cf[2].Value.AsStrings(); !ok || !reflect.DeepEqual(l, []string{"x", "y"}) {
		t.Errorf("list value = %v, %v", l, ok)
	}
	var files map[string]struct {
		URL string `json:"url"`
	}
	if err := cf[3].Value.Decode(&files); err != nil || files["u1"].URL != "https://x" {
		t.Errorf("object value = %+v, %v", files, err)
	}
	if _, ok := cf[3].Value.AsNumber(); ok {
		t.Error("an object value read as a number")
	}
	if cf[4].Key != "my_field" {
		t.Errorf("key = %q", cf[4].Key)
	}
	if s, _ := cf[4].Value.AsString(); s != "fv" {
		t.Errorf("field_value = %q", s)
	}

	// Unknown fields are kept and written back.
	if extra := c.Extra(); len(extra) != 2 || string(extra["newField"]) != `{"nested": [1, 2]}` {
		t.Errorf("Extra = %s", extra)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back contacts.Contact
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	// Raw JSON comes back compacted, so compare encodings.
	if out2, err := json.Marshal(back); err != nil || string(out2) != string(out) {
		t.Errorf("round trip changed the contact:\n got %s\nwant %s", out2, out)
	}
	if !back.DateAdded.Equal(c.DateAdded) || !reflect.DeepEqual(back.Tags, c.Tags) || !reflect.DeepEqual(back.DNDSettings, c.DNDSettings) {
		t.Errorf("round trip: %+v", back)
	}
	var generic map[string]json.RawMessage
	if err := json.Unmarshal(out, &generic); err != nil {
		t.Fatal(err)
	}
	if string(generic["dateAdded"]) != `"2021-07-08T02:30:00.000Z"` || string(generic["dateOfBirth"]) != `"1990-09-25T00:00:00.000Z"` {
		t.Errorf("dates written as %s and %s", generic["dateAdded"], generic["dateOfBirth"])
	}
	if _, ok := generic["lastSessionActivityAt"]; ok {
		t.Error("zero date written")
	}
	if string(generic["customFields"]) != `[{"id":"s","field_value":"text"},{"id":"n","field_value":100.5},{"id":"l","field_value":["x","y"]},`+
		`{"id":"o","field_value":{"u1":{"url":"https://x"}}},{"id":"k","key":"my_field","field_value":"fv"}]` {
		t.Errorf("customFields written as %s", generic["customFields"])
	}
}

// One odd value never fails a contact: the record decodes, the odd field is
// left zero and Extra holds its value as sent.
func TestContactOddValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		member string // an odd member, put among ordinary ones
		check  func(c *contacts.Contact) bool
		nested bool // the field holds what could be read, so it is not written back
	}{
		{`"birthMonth":8.5`, func(c *contacts.Contact) bool { return c.BirthMonth == 0 }, false},
		{`"birthDay":"25"`, func(c *contacts.Contact) bool { return c.BirthDay == 0 }, false},
		{`"dateOfBirth":"25th of September"`, func(c *contacts.Contact) bool { return c.DateOfBirth.IsZero() }, false},
		{`"dateAdded":true`, func(c *contacts.Contact) bool { return c.DateAdded.IsZero() }, false},
		{`"tags":"a"`, func(c *contacts.Contact) bool { return c.Tags == nil }, false},
		{`"dnd":"yes"`, func(c *contacts.Contact) bool { return !c.DND }, false},
		{`"dndSettings":{"SMS":{"status":5}}`, func(c *contacts.Contact) bool { return c.DNDSettings.SMS.Status == "" }, true},
	}
	for _, tc := range tests {
		in := `{"id":"c1",` + tc.member + `,"firstName":"Ada","birthMonth2":1}`
		var c contacts.Contact
		if err := json.Unmarshal([]byte(in), &c); err != nil {
			t.Errorf("%s: %v", tc.member, err)
			continue
		}
		if c.ID != "c1" || c.FirstName != "Ada" || !tc.check(&c) {
			t.Errorf("%s: decoded %+v", tc.member, c)
		}
		name, value, _ := strings.Cut(tc.member, ":")
		name = strings.Trim(name, `"`)
		extra := c.Extra()
		if len(extra) != 2 || string(extra[name]) != value || string(extra["birthMonth2"]) != "1" {
			t.Errorf("%s: Extra = %s", tc.member, extra)
		}
		// Written back, the odd value is kept until its field is set.
		if b, err := json.Marshal(c); err != nil || strings.Contains(string(b), tc.member) == tc.nested {
			t.Errorf("%s: Marshal = %s, %v", tc.member, b, err)
		}
	}
	var c contacts.Contact
	if err := json.Unmarshal([]byte(`{"birthMonth":8.5}`), &c); err != nil {
		t.Fatal(err)
	}
	c.BirthMonth = 9
	if b, err := json.Marshal(c); err != nil || string(b) != `{"birthMonth":9}` {
		t.Errorf("Marshal after setting the field = %s, %v", b, err)
	}

	// The date forms HighLevel returns for dateOfBirth.
	for _, dob := range []string{`"1990-09-25"`, `"09/25/1990"`, `"1990-09-25T00:00:00.000Z"`, `"1990-09-25T00:00:00Z"`, `654220800000`} {
		var c contacts.Contact
		if err := json.Unmarshal([]byte(`{"dateOfBirth":`+dob+`}`), &c); err != nil ||
			!c.DateOfBirth.Equal(time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)) || c.Extra() != nil {
			t.Errorf("dateOfBirth %s = %v, %v, Extra %s", dob, c.DateOfBirth, err, c.Extra())
		}
	}

	// What is not an object at all still fails.
	for _, in := range []string{`[]`, `"c1"`, `5`} {
		var c contacts.Contact
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("decoding %s succeeded", in)
		}
	}
	// null leaves a contact as it is, as encoding/json does for structs.
	kept := contacts.Contact{ID: "keep"}
	if err := json.Unmarshal([]byte(`null`), &kept); err != nil || kept.ID != "keep" {
		t.Errorf("null: %+v, %v", kept, err)
	}
}

func TestFieldValue(t *testing.T) {
	t.Parallel()
	obj, err := contacts.JSONValue(map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := contacts.JSONValue(func() {}); err == nil {
		t.Error("JSONValue(func) succeeded")
	}
	tests := []struct {
		v    contacts.FieldValue
		json string
	}{
		{contacts.StringValue(`a "b"`), `"a \"b\""`},
		{contacts.NumberValue(100), `100`},
		{contacts.NumberValue(-0.25), `-0.25`},
		{contacts.StringsValue("x", "y"), `["x","y"]`},
		{contacts.StringsValue(), `[]`},
		{obj, `{"a":1}`},
		{contacts.NullValue(), `null`},
		{contacts.FieldValue{}, `null`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal = %s, %v; want %s", b, err, tc.json)
		}
	}
	if !contacts.NullValue().IsNull() || contacts.NullValue().IsZero() {
		t.Error("NullValue is not null")
	}
	if !(contacts.FieldValue{}).IsZero() {
		t.Error("zero FieldValue is not zero")
	}
	if n, ok := contacts.StringValue(" 42.5 ").AsNumber(); !ok || n != 42.5 {
		t.Errorf("numeric string = %v, %v", n, ok)
	}
	if _, ok := contacts.StringValue("abc").AsNumber(); ok {
		t.Error("non-numeric string read as a number")
	}
	if err := (contacts.FieldValue{}).Decode(new(any)); err == nil {
		t.Error("Decode of an absent value succeeded")
	}
	// A custom field with no value omits field_value.
	b, _ := json.Marshal(contacts.CustomField{ID: "x"})
	if string(b) != `{"id":"x"}` {
		t.Errorf("CustomField without value = %s", b)
	}
	// A decoded null stays null (it clears the field when sent back).
	var f contacts.CustomField
	if err := json.Unmarshal([]byte(`{"id":"x","field_value":null}`), &f); err != nil || !f.Value.IsNull() {
		t.Errorf("null field_value = %+v, %v", f, err)
	}
	if err := json.Unmarshal([]byte(`{"id":5}`), &f); err == nil {
		t.Error("numeric id decoded")
	}
}

func TestBulkTagsResponseJSON(t *testing.T) {
	t.Parallel()
	var r contacts.BulkTagsResult
	err := json.Unmarshal([]byte(`{"succeded":true,"errorCount":1,"responses":["plain",{"contactId":"c1","type":"error","message":"m"}]}`), &r)
	if err != nil {
		t.Fatal(err)
	}
	want := contacts.BulkTagsResult{Succeeded: true, ErrorCount: 1, Responses: []contacts.BulkTagsResponse{
		{Message: "plain"}, {ContactID: "c1", Type: "error", Message: "m"},
	}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v", r)
	}
}

func TestAppointmentJSON(t *testing.T) {
	t.Parallel()
	var a contacts.Appointment
	err := json.Unmarshal([]byte(`{"id":"e1","startTime":"2021-07-16 11:00:00","endTime":"2021-07-16T11:30:00+02:00","isRecurring":false}`), &a)
	if err != nil {
		t.Fatal(err)
	}
	if !a.StartTime.Equal(time.Date(2021, 7, 16, 11, 0, 0, 0, time.UTC)) || !a.EndTime.Equal(time.Date(2021, 7, 16, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("times = %v, %v", a.StartTime, a.EndTime)
	}
	if extra := a.Extra(); len(extra) != 1 || string(extra["isRecurring"]) != "false" {
		t.Errorf("Extra = %s", extra)
	}
	b, err := json.Marshal(a)
	if err != nil || string(b) != `{"id":"e1","startTime":"2021-07-16T11:00:00.000Z","endTime":"2021-07-16T09:30:00.000Z","isRecurring":false}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

// TestContactExtraDetection checks which members land in Extra.
func TestContactExtraDetection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string // Extra's keys
	}{
		{`{}`, nil},
		{`{"id":"x","tags":["a,\"b\""],"attachments":[{"z":1},"}"],"dndSettings":{"SMS":{"status":"active","unknownInside":1}}}`, nil},
		{`{"FIRSTNAME":"case-insensitive match, as encoding/json"}`, nil},
		{`{"id":"x","zzz":1}`, []string{"zzz"}},
		{`{"zzz":{"id":"nested"},"id":"x"}`, []string{"zzz"}},
		{` { "id" : "x" , "a\"b" : [1,{"c":2}] } `, []string{`a"b`}},
		{`{"customFields":[{"id":"1","value":{"k":"}"}}],"last":"x"}`, []string{"last"}},
		{`{"\u0069d":"escaped known name"}`, nil},
	}
	for _, tc := range tests {
		var c contacts.Contact
		if err := json.Unmarshal([]byte(tc.in), &c); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		var got []string
		for k := range c.Extra() {
			got = append(got, k)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Extra keys = %q, want %q", tc.in, got, tc.want)
		}
	}
}
