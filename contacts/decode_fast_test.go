package contacts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fastSeeds are contacts as HighLevel sends them (webhook events, Get,
// Search) and other input the fast decoder handles itself.
var fastSeeds = []string{
	// A contact event, meta members included.
	`{"type":"ContactCreate","locationId":"Wq2bLk7mN4pR8sT1vX3z","webhookId":"7d1c2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f","timestamp":"2025-03-02T09:15:27.412Z",` +
		`"id":"Hk3mP9qR2sT5vW8xY1zA","address1":"12 Harbour Rd","city":"Portsmouth","state":"NH","companyName":"Tidewater Supply","country":"US",` +
		`"source":"landing page","dateAdded":"2024-12-01T16:04:11.020Z","dateOfBirth":"1987-04-19T00:00:00.000Z","dnd":false,` +
		`"email":"m.okafor@example.org","name":"Mara Okafor","firstName":"Mara","lastName":"Okafor","phone":"+16035550142","postalCode":"03801",` +
		`"tags":["wholesale","q1-promo"],"website":"https://tidewater.example.org","attachments":[],"assignedTo":"Uu8yT6rE4wQ2aS0dF9gH",` +
		`"customFields":[{"id":"Cf1aB2cD3eF4gH5iJ6kL","value":"Net 30"},{"id":"Cf7mN8oP9qR0sT1uV2wX","value":1250.75},` +
		`{"id":"Cf3yZ4aB5cD6eF7gH8iJ","value":["email","sms"]},{"id":"Cf9kL0mN1oP2qR3sT4uV","value":{"f1":{"url":"https://files.example.org/a.pdf","meta":{"size":1024}}}}]}`,
	// Do-not-disturb on every channel, pretty-printed.
	`{
  "type": "ContactDndUpdate",
  "locationId": "Wq2bLk7mN4pR8sT1vX3z",
  "id": "Hk3mP9qR2sT5vW8xY1zA",
  "dnd": true,
  "dndSettings": {
    "Call": {"status": "permanent", "message": "asked not to call", "code": "102"},
    "Email": {"status": "active", "message": "bounced", "code": "101"},
    "SMS": {"status": "inactive"},
    "WhatsApp": {"status": "active", "message": "", "code": ""},
    "GMB": null,
    "FB": {"status": "inactive", "note": "kept out"}
  },
  "inboundDndSettings": {"all": {"status": "active", "message": "quiet hours"}},
  "tags": []
}`,
	// Get's contact, every field.
	`{"id":"Pq4rS6tU8vW0xY2zA4bC","locationId":"Wq2bLk7mN4pR8sT1vX3z","name":"Jonas Weber","firstName":"Jonas","lastName":"Weber",` +
		`"firstNameLowerCase":"jonas","lastNameLowerCase":"weber","fullNameLowerCase":"jonas weber","email":"J.Weber@example.de","emailLowerCase":"j.weber@example.de",` +
		`"phone":"+4930901820","gender":"male","companyName":"Weber & Söhne","website":"https:\/\/weber.example.de","timezone":"Europe/Berlin",` +
		`"address1":"Torstraße 5","city":"Berlin","state":"BE","country":"DE","postalCode":"10119","dnd":false,"bounceEmail":false,"unsubscribeEmail":true,` +
		`"type":"customer","source":"public api","assignedTo":"Uu8yT6rE4wQ2aS0dF9gH","businessId":"641c094001436dbc2081e642","visitorId":"v-1",` +
		`"keyword":"spring","ssn":"","deleted":false,"followers":["Uu8yT6rE4wQ2aS0dF9gH"],"offers":[],"products":["prod_1"],"attachments":"",` +
		`"attributionSource":{"url":"Trigger Link","campaign":null,"utmSource":"newsletter","utmMedium":"email","referrer":"https://www.google.com","gclid":"CjOKCQjw","fbp":"fb.1.1674748390986.1171287961","ip":"58.111.106.198","medium":"survey","mediumId":"FglfHAn30PRwsZVyQlKp","sessionSource":"CRM UI"},` +
		`"lastAttributionSource":{"url":"https://weber.example.de/kontakt","userAgent":"Mozilla/5.0","fbEventId":"e1","msclikid":"m","dclid":"d","fbc":"c","fbclid":"f","campaignId":"ci","utmContent":"uc"},` +
		`"dateOfBirth":"1990-09-25","birthMonth":8,"birthDay":25,"dateAdded":"2021-08-31T09:59:41.937Z","dateUpdated":"2021-08-31T09:59:41Z",` +
		`"lastActivity":1626435570564,"lastSessionActivityAt":"","customFields":[{"id":"Cf1aB2cD3eF4gH5iJ6kL","key":"contact.terms","field_value":"Net 60"},{"id":"x","value":null}],` +
		`"additionalEmails":[{"email":"jonas@example.com"}],"additionalPhones":[],"companyId":null,"score":[],"validEmail":true}`,
	// A search result.
	`{"id":"ocQHyuzHvysMo5N5VsXc","locationId":"C2QujeCh8ZnC7al2InWR","email":"JohnDeo@gmail.com","timezone":"Asia/Calcutta","country":"DE",` +
		`"source":"xyz form","dateAdded":"2020-10-29T09:31:30.255Z","customFields":[],"tags":["nisi sint commodo amet","consequat"],` +
		`"businessId":"641c094001436dbc2081e642","attributions":[{"url":"u1","isFirst":true},{"utmSessionSource":"Direct traffic","medium":"form","mediumId":"f1","isLast":true}],` +
		`"followers":[],"searchAfter":[1603963890255,"ocQHyuzHvysMo5N5VsXc"]}`,
	// Dates in every form; strings with escapes.
	`{"dateAdded":"2020-10-25T11:00:00+05:30","dateUpdated":"2021-07-16 11:39:30","lastActivity":-1,"birthDay":-0,"dateOfBirth":null,"lastSessionActivityAt":"2021-07-16T11:39:30.564+0000",` +
		`"name":"Zoë \"Z\" O\u2019Neil\\n","tags":["a\tb","\u00e9t\u00E9","\/"]}`,
	`{}`, ` { } `, `{"id":null,"tags":null,"customFields":null,"dndSettings":null,"attachments":null,"searchAfter":null,"birthDay":null,"dnd":null}`,
	"{\"x\":\"\xff\",\"k\":\"kelvin\",\"attachments\":[\"\xfe\"]}", // raw values keep their bytes, as json.RawMessage does
}

// slowSeeds are input the fast decoder must leave to encoding/json.
var slowSeeds = []string{
	// Case variants, escaped or non-ASCII names, repeats.
	`{"FIRSTNAME":"Ada"}`, `{"Tags":["x"]}`, `{"\u0069d":"escaped"}`, `{"ſource":"long s folds to s"}`, "{\"\u212aeyword\":\"Kelvin sign folds to k\"}",
	`{"id":"a","id":"b"}`, `{"x":1,"x":2}`, `{"dndSettings":{"sms":{"status":"active"}}}`, `{"dndSettings":{"SMS":{"STATUS":"active"}}}`,
	`{"dndSettings":{"SMS":{"status":"active"}},"dndSettings":{"Email":{"status":"active"}}}`,
	`{"customFields":[{"id":"a","Value":1}]}`, `{"customFields":[{"id":"a","value":1,"value":2}]}`, `{"customFields":[null]}`,
	`{"tags":["a",null]}`, `{"attributions":[null]}`, `{"attributionSource":{"URL":"u"}}`, `{"inboundDndSettings":{"ALL":{}}}`,
	// Types the fields do not take, odd numbers and dates.
	`{"id":5}`, `{"dnd":"true"}`, `{"tags":"a"}`, `{"birthMonth":8.0}`, `{"birthMonth":1e1}`, `{"birthDay":9223372036854775807}`,
	`{"birthDay":99999999999999999999}`, `{"dateAdded":"yesterday"}`, `{"dateAdded":true}`, `{"dateAdded":1.5}`, `{"dateAdded":{}}`,
	`{"customFields":[{"id":7}]}`, `{"customFields":{}}`, `{"dndSettings":[]}`, `{"searchAfter":{}}`,
	// Strings encoding/json rewrites.
	"{\"name\":\"\xff\"}", `{"name":"\ud83d\ude00"}`, `{"name":"\udc00"}`, "{\"tags\":[\"\xed\xa0\x80\"]}",
	// Invalid JSON, which both paths must refuse, and null, which
	// UnmarshalJSON handles before either.
	`null`, `[]`, `"x"`, ``, `{`, `{"id":"a",}`, `{"id":"a"} x`, `{"id":"a"}}`, `{"id" "a"}`, `{"x":01}`, `{"x":1.}`, `{"x":-}`, `{"x":tru}`,
	`{"x":[1,]}`, `{"x":{"a"}}`, "{\"x\":\"a\nb\"}", `{"x":"\q"}`, `{"x":"\u12"}`, `{'x':1}`, `{"x":nul}`, `{"x":1e}`, `{"x":+1}`,
	"{\"x\":1}\x00", "\xef\xbb\xbf{}",
	`{"deep":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
}

func FuzzContactDecode(f *testing.F) {
	for _, s := range slices.Concat(fastSeeds, slowSeeds) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var slow Contact
		slowErr := decodeSlow(data, &slow)

		in := bytes.Clone(data)
		var fast Contact
		if !decodeFast(in, &fast) {
			if !reflect.DeepEqual(fast, Contact{}) {
				t.Fatalf("the fast path gave up on %q but changed the contact: %+v", data, fast)
			}
			return
		}
		if slowErr != nil {
			t.Fatalf("the fast path accepted %q, which encoding/json refuses: %v", data, slowErr)
		}
		if !json.Valid(data) {
			t.Fatalf("the fast path accepted invalid JSON %q", data)
		}
		// The result must not share memory with the input.
		for i := range in {
			in[i] = '#'
		}
		if diff := diffContacts(fast, slow); diff != "" {
			t.Fatalf("fast and slow paths disagree on %q: %s\nfast %+v\nslow %+v", data, diff, fast, slow)
		}
	})
}

// diffContacts compares two decoded contacts, Extra as decoded JSON values
// (and, stricter, as bytes), and describes the first difference.
func diffContacts(a, b Contact) string {
	if len(a.Extra) != len(b.Extra) {
		return fmt.Sprintf("Extra has %d members, want %d", len(a.Extra), len(b.Extra))
	}
	for k, av := range a.Extra {
		bv, ok := b.Extra[k]
		if !ok {
			return fmt.Sprintf("Extra[%q] is not expected", k)
		}
		var ax, bx any
		if json.Unmarshal(av, &ax) != nil || json.Unmarshal(bv, &bx) != nil || !reflect.DeepEqual(ax, bx) {
			return fmt.Sprintf("Extra[%q] = %s, want %s", k, av, bv)
		}
		if !bytes.Equal(av, bv) {
			return fmt.Sprintf("Extra[%q] = %s, want the bytes %s", k, av, bv)
		}
	}
	a.Extra, b.Extra = nil, nil
	if !reflect.DeepEqual(a, b) {
		return "fields differ"
	}
	return ""
}

// TestDecodeFastTakes checks that the contacts HighLevel sends take the fast
// path, so that it is not silently bypassed, and that the odd shapes do not.
func TestDecodeFastTakes(t *testing.T) {
	t.Parallel()
	for i, s := range fastSeeds {
		var c Contact
		if !decodeFast([]byte(s), &c) {
			t.Errorf("seed %d took the slow path: %s", i, s)
		}
	}
	for _, s := range slowSeeds {
		var c Contact
		if decodeFast([]byte(s), &c) {
			t.Errorf("the fast path decoded %q", s)
		}
	}
}

// TestDecodeFastKnowsEveryField checks that every field of Contact is
// decoded by the fast path rather than left to the slow one (which would be
// correct, only slow), and that an unknown name lands in Extra.
func TestDecodeFastKnowsEveryField(t *testing.T) {
	t.Parallel()
	for _, k := range contactKeys {
		var c Contact
		if in := `{"` + k + `":null}`; !decodeFast([]byte(in), &c) {
			t.Errorf("the fast path does not decode %s", in)
		}
		if c.Extra != nil {
			t.Errorf("%s landed in Extra", k)
		}
	}
	var c Contact
	if !decodeFast([]byte(`{"newField":{"a":[1, "x"]}}`), &c) || string(c.Extra["newField"]) != `{"a":[1, "x"]}` {
		t.Errorf("Extra = %s", c.Extra)
	}
}

// FuzzContactDecodeGenerated is FuzzContactDecode on contacts built from
// the fuzzer's seed: the known names, other spellings of them and unknown
// ones, with values of every type, so that each field meets every kind of
// value (byte mutations rarely get that far into a valid object).
func FuzzContactDecodeGenerated(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		checkGenerated(t, seed)
	})
}

// TestDecodeFastGenerated runs a fixed set of generated contacts on every
// test run, and checks that the generator reaches the fast path.
func TestDecodeFastGenerated(t *testing.T) {
	t.Parallel()
	fast := 0
	const n = 3000
	for seed := range uint64(n) {
		if checkGenerated(t, seed) {
			fast++
		}
	}
	t.Logf("%d of %d generated contacts took the fast path", fast, n)
	if fast < n/10 || fast > n*9/10 {
		t.Errorf("%d of %d generated contacts took the fast path", fast, n)
	}
}

// checkGenerated compares the two paths on the contact of seed and reports
// whether the fast path decoded it.
func checkGenerated(t *testing.T, seed uint64) bool {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x6768_6c6b_6974))
	g := gen{r: r, odd: []int{1 << 30, 80, 25, 6}[r.IntN(4)]}
	g.object(topGen, 0)
	data := g.b.Bytes()
	var slow Contact
	slowErr := decodeSlow(data, &slow)
	var fast Contact
	if !decodeFast(data, &fast) {
		return false
	}
	if slowErr != nil {
		t.Fatalf("the fast path accepted %s, which encoding/json refuses: %v", data, slowErr)
	}
	if diff := diffContacts(fast, slow); diff != "" {
		t.Fatalf("fast and slow paths disagree on %s: %s\nfast %+v\nslow %+v", data, diff, fast, slow)
	}
	return true
}

// gen writes random JSON shaped like a contact. One choice in odd is an
// odd one: another spelling of a name, a value of another type, a string
// encoding/json rewrites, a null element.
type gen struct {
	r   *rand.Rand
	b   bytes.Buffer
	odd int
}

// genObject lists an object's member names and how to write each value;
// names not listed get a value from anyValues.
type genObject struct {
	names  []string
	values map[string]func(*gen, int)
}

var (
	strValues    = []string{`""`, `"x"`, `"John Deo"`, `"a\"b\\c\/d\n\t\u00e9"`, `"\u2019"`, `"é"`, `null`, `"https://example.com/a?b=c"`}
	oddStrValues = []string{`"\ud83d\ude00"`, `"\udc00"`, "\"\xff\"", "\"\xed\xa0\x80\"", `1`, `true`, `[]`}
	dateValues   = []string{`"2021-07-08T02:30:00.000Z"`, `"2020-10-25T11:00:00Z"`, `"1990-09-25"`, `"2021-07-16 11:00:00"`,
		`"2021-07-16T11:00:00+05:30"`, `""`, `1626435570564`, `-1`, `0`, `null`}
	oddDateValues = []string{`"yesterday"`, `1.5`, `1e3`, `true`, `"\u0032021-07-08T02:30:00Z"`, `9223372036854775807`, `{}`}
	anyValues     = []string{`null`, `true`, `false`, `0`, `-0`, `12`, `-7`, `1.5`, `1e2`, `9223372036854775807`, `123456789012345678`,
		`""`, `"x"`, `"a\"b"`, `"\u00e9"`, "\"\xfe\"", `[]`, `{}`, `["a","b"]`, `["a",null]`, `[1,"x",{"y":[null]}]`, `{"a":{"b":[]}}`}
)

// oddOne reports whether to make an odd choice.
func (g *gen) oddOne() bool { return g.r.IntN(g.odd) == 0 }

// choose writes a value from vals, or from odd for an odd choice.
func (g *gen) choose(vals, odd []string) {
	if g.oddOne() {
		g.pick(odd)
	} else {
		g.pick(vals)
	}
}

func (g *gen) space() {
	if g.r.IntN(4) == 0 {
		g.b.WriteString([]string{" ", "\n  ", "\t", "\r\n"}[g.r.IntN(4)])
	}
}

func (g *gen) pick(vals []string) { g.b.WriteString(vals[g.r.IntN(len(vals))]) }

// name writes n, or for an odd choice another spelling of it or an
// unknown name, and returns the name as it matches a field.
func (g *gen) name(n string) string {
	if g.oddOne() {
		switch g.r.IntN(4) {
		case 0:
			n = strings.ToUpper(n)
		case 1:
			n = "unknown" + strings.ToUpper(n[:1])
		case 2:
			g.b.WriteString(`"\u00` + fmt.Sprintf("%x", n[0]) + n[1:] + `"`)
			return n
		case 3: // non-ASCII letters that fold to ASCII ones
			n = strings.NewReplacer("s", "ſ", "k", "\u212a").Replace(n)
		}
	}
	g.b.WriteString(`"` + n + `"`)
	return n
}

// object writes an object of o's names in random order; an odd choice
// repeats a name.
func (g *gen) object(o *genObject, depth int) {
	if depth > 3 {
		g.b.WriteString(`{}`)
		return
	}
	g.b.WriteByte('{')
	order := g.r.Perm(len(o.names))[:g.r.IntN(len(o.names)/2+2)%(len(o.names)+1)]
	for i, j := range order {
		if i > 0 {
			g.b.WriteByte(',')
			if g.oddOne() {
				j = order[g.r.IntN(i)]
			}
		}
		g.space()
		n := g.name(o.names[j])
		g.space()
		g.b.WriteByte(':')
		g.space()
		if v, ok := o.values[n]; ok && !g.oddOne() {
			v(g, depth+1)
		} else {
			g.pick(anyValues)
		}
		g.space()
	}
	g.b.WriteByte('}')
}

// array writes an array of elements written by elem, sometimes with a null.
func (g *gen) array(elem func(*gen, int), depth int) {
	g.b.WriteByte('[')
	for i := range g.r.IntN(4) {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.space()
		if g.oddOne() {
			g.b.WriteString("null")
		} else {
			elem(g, depth)
		}
	}
	g.b.WriteByte(']')
}

func genStr(g *gen, _ int)  { g.choose(strValues, oddStrValues) }
func genDate(g *gen, _ int) { g.choose(dateValues, oddDateValues) }
func genBool(g *gen, _ int) { g.choose([]string{"true", "false", "null"}, []string{`"true"`, "1"}) }
func genInt(g *gen, _ int) {
	g.choose([]string{"8", "25", "-0", "0", "null", "-12"}, []string{"1.0", "1e1", `"8"`, "99999999999999999999", "9223372036854775807"})
}
func genAny(g *gen, _ int)  { g.pick(anyValues) }
func genStrs(g *gen, d int) { g.array(genStr, d) }
func genAnys(g *gen, d int) { g.array(genAny, d) }

// objectGen returns a value writer for o, or null.
func objectGen(o *genObject) func(*gen, int) {
	return func(g *gen, d int) {
		if g.r.IntN(10) == 0 {
			g.b.WriteString("null")
			return
		}
		if g.oddOne() {
			g.pick(anyValues)
			return
		}
		g.object(o, d)
	}
}

var (
	settingGen = &genObject{names: []string{"status", "message", "code", "note"},
		values: map[string]func(*gen, int){"status": genStr, "message": genStr, "code": genStr}}
	dndGen = &genObject{names: []string{"Call", "Email", "SMS", "WhatsApp", "GMB", "FB", "other"},
		values: map[string]func(*gen, int){"Call": objectGen(settingGen), "Email": objectGen(settingGen), "SMS": objectGen(settingGen),
			"WhatsApp": objectGen(settingGen), "GMB": objectGen(settingGen), "FB": objectGen(settingGen)}}
	inboundGen = &genObject{names: []string{"all", "other"}, values: map[string]func(*gen, int){"all": objectGen(settingGen)}}
	fieldGen   = &genObject{names: []string{"id", "key", "field_value", "value", "fieldKey"},
		values: map[string]func(*gen, int){"id": genStr, "key": genStr, "field_value": genAny, "value": genAny}}
	attributionGen = &genObject{names: attributionKeys, values: map[string]func(*gen, int){}}
	topGen         = &genObject{names: append([]string{"newField", "additionalEmails"}, contactKeys...), values: map[string]func(*gen, int){
		"dnd": genBool, "bounceEmail": genBool, "unsubscribeEmail": genBool, "deleted": genBool,
		"birthMonth": genInt, "birthDay": genInt,
		"dateOfBirth": genDate, "dateAdded": genDate, "dateUpdated": genDate, "lastActivity": genDate, "lastSessionActivityAt": genDate,
		"tags": genStrs, "followers": genStrs, "offers": genStrs, "products": genStrs,
		"attachments": genAny, "searchAfter": genAnys,
		"dndSettings": objectGen(dndGen), "inboundDndSettings": objectGen(inboundGen),
		"attributionSource": objectGen(attributionGen), "lastAttributionSource": objectGen(attributionGen),
		"attributions": func(g *gen, d int) { g.array(objectGen(attributionGen), d) },
		"customFields": func(g *gen, d int) { g.array(objectGen(fieldGen), d) },
		"newField":     func(g *gen, d int) { g.object(fieldGen, d) },
	}}
)

func init() {
	for _, k := range attributionKeys {
		attributionGen.values[k] = genStr
	}
	for _, k := range contactKeys {
		if _, ok := topGen.values[k]; !ok {
			topGen.values[k] = genStr
		}
	}
}
