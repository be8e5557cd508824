package contacts

import (
	"encoding/json"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl/internal/isotime"
	"github.com/ghlkit/ghl/internal/jsonx"
)

// This file is Contact's fast decoder: one pass over the bytes, no
// reflection, for the contacts that webhooks and list pages carry. It handles
// the common shape of the wire form and nothing else. Whenever the input
// holds something it does not decode exactly as encoding/json does through
// the slow path (decodeSlow), it gives up and the slow path decodes the same
// bytes, so the result, errors included, is always the slow path's.
// FuzzContactDecode holds the two to that.
//
// The fast path gives up on:
//   - anything that is not valid JSON (the slow path reports the error);
//   - member names with escapes or non-ASCII bytes, names that differ from a
//     known one only in case (encoding/json matches names case-insensitively)
//     and names repeated in one object;
//   - a value of a type the field does not take (a number for a string
//     field, say: the slow path reports it), null inside the string and
//     object arrays, integers with a fraction, an exponent or 19 digits and
//     more, and dates isotime cannot read;
//   - strings holding invalid UTF-8 or a \u escape of a UTF-16 surrogate,
//     where they are decoded rather than kept raw;
//   - values nested more than maxFastDepth deep.

// maxFastDepth bounds the nesting the fast path follows in raw values
// (Extra, custom field values); deeper input takes the slow path.
const maxFastDepth = 64

// Known member names of the nested objects, from their struct tags like
// contactKeys, so that a field added to a struct but not to its decoder below
// makes the fast path give up rather than drop the field.
var (
	dndSettingsKeys        = jsonx.Names(reflect.TypeFor[DNDSettings]())
	dndSettingKeys         = jsonx.Names(reflect.TypeFor[DNDSetting]())
	inboundDNDSettingsKeys = jsonx.Names(reflect.TypeFor[InboundDNDSettings]())
	inboundDNDSettingKeys  = jsonx.Names(reflect.TypeFor[InboundDNDSetting]())
	attributionKeys        = jsonx.Names(reflect.TypeFor[AttributionSource]())
	customFieldWireKeys    = jsonx.Names(reflect.TypeFor[customFieldWire]())
)

// decodeFast decodes the contact data into c and reports whether it could;
// when it cannot, c is left as it was.
func decodeFast(data []byte, c *Contact) bool {
	d := fastDecoder{data: data}
	var f Contact
	if !d.contact(&f) {
		return false
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return false
	}
	*c = f
	return true
}

// fastDecoder walks data from pos. Its methods read one value each and
// report false when the fast path must give up.
type fastDecoder struct {
	data []byte
	pos  int
	buf  []byte // scratch space for strings with escapes

	// Arrays are collected here, then copied to a slice of their exact
	// length: one allocation each rather than one per doubling.
	strs   [16]string
	fields [32]CustomField
}

func (d *fastDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (d *fastDecoder) peek() byte {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// open consumes the opening brace of an object and reports whether the
// object is empty (its closing brace is consumed too).
func (d *fastDecoder) open() (empty, ok bool) {
	if d.peek() != '{' {
		return false, false
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return true, true
	}
	return false, true
}

// name reads a member name and its colon. It accepts only printable ASCII
// without escapes.
func (d *fastDecoder) name() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	data, start := d.data, d.pos+1
	i := start
	for i < len(data) && plainASCII[data[i]] {
		i++
	}
	if i >= len(data) || data[i] != '"' {
		return nil, false
	}
	d.pos = i + 1
	if d.peek() != ':' {
		return nil, false
	}
	d.pos++
	return data[start:i], true
}

// next consumes the separator after a member or element: it reports more
// for a comma and !more for the closing byte end.
func (d *fastDecoder) next(end byte) (more, ok bool) {
	switch d.peek() {
	case ',':
		d.pos++
		return true, true
	case end:
		d.pos++
		return false, true
	}
	return false, false
}

// literal consumes lit (true, false or null) if it comes next.
func (d *fastDecoder) literal(lit string) bool {
	if d.peek() != lit[0] || len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

// null consumes null if it comes next.
func (d *fastDecoder) null() bool { return d.peek() == 'n' && d.literal("null") }

// str reads a string and returns its decoded bytes, which are valid UTF-8.
// They alias data or d.buf: copy them before reading on.
func (d *fastDecoder) str() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	data, start := d.data, d.pos+1
	i := start
	for i < len(data) && plainASCII[data[i]] {
		i++
	}
	if i < len(data) && data[i] == '"' { // the common case
		d.pos = i + 1
		return data[start:i], true
	}
	for ; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			s := data[start:i]
			if !utf8.Valid(s) {
				return nil, false // encoding/json would replace the bad bytes
			}
			return s, true
		case c == '\\':
			return d.escaped(start, i)
		case c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// plainASCII marks the bytes a string holds as they are that are ASCII: all
// but control characters, the quote and the backslash.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escaped continues str from the first backslash at i, decoding into d.buf.
func (d *fastDecoder) escaped(start, i int) ([]byte, bool) {
	b := append(d.buf[:0], d.data[start:i]...)
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = b
			if !utf8.Valid(b) {
				return nil, false
			}
			return b, true
		case c < 0x20:
			return nil, false
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			return nil, false
		}
		switch e := d.data[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(d.data[i+2:])
			if !ok || 0xd800 <= r && r < 0xe000 {
				return nil, false // surrogates: left to encoding/json
			}
			b = utf8.AppendRune(b, r)
			i += 4
		default:
			return nil, false
		}
		i += 2
	}
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip consumes one value of any type, checking it against JSON's grammar,
// and returns its bytes (without surrounding white space).
func (d *fastDecoder) skip(depth int) ([]byte, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	c := d.peek()
	start := d.pos
	var ok bool
	switch c {
	case '"':
		ok = d.skipString()
	case '{':
		ok = d.skipContainer(depth, '}')
	case '[':
		ok = d.skipContainer(depth, ']')
	case 't':
		ok = d.literal("true")
	case 'f':
		ok = d.literal("false")
	case 'n':
		ok = d.literal("null")
	default:
		ok = d.number()
	}
	return d.data[start:d.pos], ok
}

// skipString consumes a string without decoding it. Like encoding/json it
// does not check UTF-8 here: raw values keep their bytes.
func (d *fastDecoder) skipString() bool {
	for i := d.pos + 1; i < len(d.data); i++ {
		if plainASCII[d.data[i]] {
			continue
		}
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if i+1 >= len(d.data) {
				return false
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := hex4(d.data[i+2:]); !ok {
					return false
				}
				i += 5
			default:
				return false
			}
		}
	}
	return false
}

// skipContainer consumes an object (end '}') or an array (end ']').
func (d *fastDecoder) skipContainer(depth int, end byte) bool {
	d.pos++
	if d.peek() == end {
		d.pos++
		return true
	}
	for {
		if end == '}' {
			if d.peek() != '"' || !d.skipString() || d.peek() != ':' {
				return false
			}
			d.pos++
		}
		if _, ok := d.skip(depth + 1); !ok {
			return false
		}
		more, ok := d.next(end)
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// number consumes a number in JSON's grammar:
// -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
func (d *fastDecoder) number() bool {
	b, i := d.data, d.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	d.pos = i
	return true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// integer reads a JSON integer of at most 18 digits (so it fits an int64
// without checking), as strconv.ParseInt reads it.
func (d *fastDecoder) integer() (int64, bool) {
	start := d.pos
	if !d.number() {
		return 0, false
	}
	b := d.data[start:d.pos]
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false // a fraction or an exponent
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// raw reads any value as a copy of its bytes, as json.RawMessage does.
func (d *fastDecoder) raw(dst *json.RawMessage) bool {
	v, ok := d.skip(0)
	if ok {
		*dst = append(json.RawMessage(nil), v...)
	}
	return ok
}

// string reads a string or null (which leaves dst as it is).
func (d *fastDecoder) string(dst *string) bool {
	if d.null() {
		return true
	}
	s, ok := d.str()
	if ok {
		*dst = string(s)
	}
	return ok
}

// bool reads true, false or null (which leaves dst as it is).
func (d *fastDecoder) bool(dst *bool) bool {
	switch d.peek() {
	case 't':
		*dst = true
		return d.literal("true")
	case 'f':
		*dst = false
		return d.literal("false")
	}
	return d.null()
}

// int reads an integer or null.
func (d *fastDecoder) int(dst *int) bool {
	if d.null() {
		return true
	}
	n, ok := d.integer()
	*dst = int(n)
	return ok && int64(*dst) == n // encoding/json refuses what int cannot hold
}

// date reads a date as isotime.Time does: a string isotime.Parse accepts,
// epoch milliseconds, or null.
func (d *fastDecoder) date(dst *time.Time) bool {
	switch c := d.peek(); {
	case c == 'n':
		return d.literal("null")
	case c == '"':
		s, ok := d.str()
		if !ok {
			return false
		}
		t, err := isotime.Parse(string(s))
		*dst = t
		return err == nil
	case c == '-' || '0' <= c && c <= '9':
		ms, ok := d.integer()
		*dst = time.UnixMilli(ms).UTC()
		return ok
	}
	return false
}

// strings reads an array of strings, or null. Null elements are left to
// encoding/json.
func (d *fastDecoder) strings(dst *[]string) bool {
	if d.null() {
		return true
	}
	if d.peek() != '[' {
		return false
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		*dst = []string{}
		return true
	}
	out := d.strs[:0]
	for {
		s, ok := d.str()
		if !ok {
			return false
		}
		out = append(out, string(s))
		more, ok := d.next(']')
		if !ok {
			return false
		}
		if !more {
			*dst = make([]string, len(out))
			copy(*dst, out)
			return true
		}
	}
}

// raws reads an array of raw values (SearchAfter), or null.
func (d *fastDecoder) raws(dst *[]json.RawMessage) bool {
	if d.null() {
		return true
	}
	if d.peek() != '[' {
		return false
	}
	d.pos++
	out := []json.RawMessage{}
	if d.peek() == ']' {
		d.pos++
		*dst = out
		return true
	}
	for {
		var r json.RawMessage
		if !d.raw(&r) {
			return false
		}
		out = append(out, r)
		more, ok := d.next(']')
		if !ok {
			return false
		}
		if !more {
			*dst = out
			return true
		}
	}
}

// unknown handles a member the struct being decoded does not have: it
// reports false when the name matches one of known case-insensitively, or
// might (non-ASCII bytes fold in Unicode), since encoding/json would then
// decode the member into that field.
func unknown(name []byte, known []string) bool {
	for _, k := range known {
		if len(k) == len(name) && asciiEqualFold(k, name) {
			return false
		}
	}
	return true // name() admits ASCII only
}

func asciiEqualFold(s string, b []byte) bool {
	for i := range len(s) {
		x, y := s[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// once sets bit i of seen and reports whether it was clear: a repeated
// member is left to encoding/json, which merges some repeats.
func once(seen *uint64, i uint) bool {
	if *seen&(1<<i) != 0 {
		return false
	}
	*seen |= 1 << i
	return true
}

// skipUnknown skips the value of a member name that is not one of known.
func (d *fastDecoder) skipUnknown(name []byte, known []string) bool {
	if !unknown(name, known) {
		return false
	}
	_, ok := d.skip(0)
	return ok
}

// contact reads the top-level object.
func (d *fastDecoder) contact(c *Contact) bool {
	empty, ok := d.open()
	if !ok || empty {
		return ok
	}
	var seen uint64
	for {
		name, ok := d.name()
		if !ok {
			return false
		}
		switch string(name) {
		case "id":
			ok = once(&seen, 0) && d.string(&c.ID)
		case "locationId":
			ok = once(&seen, 1) && d.string(&c.LocationID)
		case "name":
			ok = once(&seen, 2) && d.string(&c.Name)
		case "firstName":
			ok = once(&seen, 3) && d.string(&c.FirstName)
		case "lastName":
			ok = once(&seen, 4) && d.string(&c.LastName)
		case "firstNameLowerCase":
			ok = once(&seen, 5) && d.string(&c.FirstNameLowerCase)
		case "lastNameLowerCase":
			ok = once(&seen, 6) && d.string(&c.LastNameLowerCase)
		case "fullNameLowerCase":
			ok = once(&seen, 7) && d.string(&c.FullNameLowerCase)
		case "email":
			ok = once(&seen, 8) && d.string(&c.Email)
		case "emailLowerCase":
			ok = once(&seen, 9) && d.string(&c.EmailLowerCase)
		case "phone":
			ok = once(&seen, 10) && d.string(&c.Phone)
		case "gender":
			ok = once(&seen, 11) && d.string(&c.Gender)
		case "companyName":
			ok = once(&seen, 12) && d.string(&c.CompanyName)
		case "website":
			ok = once(&seen, 13) && d.string(&c.Website)
		case "timezone":
			ok = once(&seen, 14) && d.string(&c.Timezone)
		case "address1":
			ok = once(&seen, 15) && d.string(&c.Address1)
		case "city":
			ok = once(&seen, 16) && d.string(&c.City)
		case "state":
			ok = once(&seen, 17) && d.string(&c.State)
		case "country":
			ok = once(&seen, 18) && d.string(&c.Country)
		case "postalCode":
			ok = once(&seen, 19) && d.string(&c.PostalCode)
		case "dnd":
			ok = once(&seen, 20) && d.bool(&c.DND)
		case "dndSettings":
			ok = once(&seen, 21) && d.dndSettings(&c.DNDSettings)
		case "inboundDndSettings":
			ok = once(&seen, 22) && d.inboundDNDSettings(&c.InboundDNDSettings)
		case "bounceEmail":
			ok = once(&seen, 23) && d.bool(&c.BounceEmail)
		case "unsubscribeEmail":
			ok = once(&seen, 24) && d.bool(&c.UnsubscribeEmail)
		case "type":
			ok = once(&seen, 25) && d.string(&c.Type)
		case "source":
			ok = once(&seen, 26) && d.string(&c.Source)
		case "assignedTo":
			ok = once(&seen, 27) && d.string(&c.AssignedTo)
		case "businessId":
			ok = once(&seen, 28) && d.string(&c.BusinessID)
		case "visitorId":
			ok = once(&seen, 29) && d.string(&c.VisitorID)
		case "keyword":
			ok = once(&seen, 30) && d.string(&c.Keyword)
		case "ssn":
			ok = once(&seen, 31) && d.string(&c.SSN)
		case "deleted":
			ok = once(&seen, 32) && d.bool(&c.Deleted)
		case "tags":
			ok = once(&seen, 33) && d.strings(&c.Tags)
		case "customFields":
			ok = once(&seen, 34) && d.customFields(&c.CustomFields)
		case "followers":
			ok = once(&seen, 35) && d.strings(&c.Followers)
		case "offers":
			ok = once(&seen, 36) && d.strings(&c.Offers)
		case "products":
			ok = once(&seen, 37) && d.strings(&c.Products)
		case "attachments":
			ok = once(&seen, 38) && d.raw(&c.Attachments)
		case "attributionSource":
			ok = once(&seen, 39) && d.attributionSource(&c.AttributionSource)
		case "lastAttributionSource":
			ok = once(&seen, 40) && d.attributionSource(&c.LastAttributionSource)
		case "attributions":
			ok = once(&seen, 41) && d.attributions(&c.Attributions)
		case "dateOfBirth":
			ok = once(&seen, 42) && d.date(&c.DateOfBirth)
		case "birthMonth":
			ok = once(&seen, 43) && d.int(&c.BirthMonth)
		case "birthDay":
			ok = once(&seen, 44) && d.int(&c.BirthDay)
		case "dateAdded":
			ok = once(&seen, 45) && d.date(&c.DateAdded)
		case "dateUpdated":
			ok = once(&seen, 46) && d.date(&c.DateUpdated)
		case "lastActivity":
			ok = once(&seen, 47) && d.date(&c.LastActivity)
		case "lastSessionActivityAt":
			ok = once(&seen, 48) && d.date(&c.LastSessionActivityAt)
		case "searchAfter":
			ok = once(&seen, 49) && d.raws(&c.SearchAfter)
		default:
			ok = d.extra(name, &c.Extra)
		}
		if !ok {
			return false
		}
		more, ok := d.next('}')
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// extra keeps an unknown top-level member in *dst.
func (d *fastDecoder) extra(name []byte, dst *map[string]json.RawMessage) bool {
	if !unknown(name, contactKeys) {
		return false
	}
	if *dst == nil {
		*dst = make(map[string]json.RawMessage)
	} else if _, dup := (*dst)[string(name)]; dup {
		return false
	}
	var v json.RawMessage
	if !d.raw(&v) {
		return false
	}
	(*dst)[string(name)] = v
	return true
}

func (d *fastDecoder) dndSettings(dst **DNDSettings) bool {
	if d.null() {
		return true
	}
	s := new(DNDSettings)
	empty, ok := d.open()
	if !ok {
		return false
	}
	*dst = s
	if empty {
		return true
	}
	var seen uint64
	for {
		name, ok := d.name()
		if !ok {
			return false
		}
		switch string(name) {
		case "Call":
			ok = once(&seen, 0) && d.dndSetting(&s.Call)
		case "Email":
			ok = once(&seen, 1) && d.dndSetting(&s.Email)
		case "SMS":
			ok = once(&seen, 2) && d.dndSetting(&s.SMS)
		case "WhatsApp":
			ok = once(&seen, 3) && d.dndSetting(&s.WhatsApp)
		case "GMB":
			ok = once(&seen, 4) && d.dndSetting(&s.GMB)
		case "FB":
			ok = once(&seen, 5) && d.dndSetting(&s.FB)
		default:
			ok = d.skipUnknown(name, dndSettingsKeys)
		}
		if !ok {
			return false
		}
		if more, ok := d.next('}'); !ok || !more {
			return ok
		}
	}
}

func (d *fastDecoder) dndSetting(dst **DNDSetting) bool {
	if d.null() {
		return true
	}
	s := new(DNDSetting)
	empty, ok := d.open()
	if !ok {
		return false
	}
	*dst = s
	if empty {
		return true
	}
	var seen uint64
	for {
		name, ok := d.name()
		if !ok {
			return false
		}
		switch string(name) {
		case "status":
			ok = once(&seen, 0) && d.string((*string)(&s.Status))
		case "message":
			ok = once(&seen, 1) && d.string(&s.Message)
		case "code":
			ok = once(&seen, 2) && d.string(&s.Code)
		default:
			ok = d.skipUnknown(name, dndSettingKeys)
		}
		if !ok {
			return false
		}
		if more, ok := d.next('}'); !ok || !more {
			return ok
		}
	}
}

func (d *fastDecoder) inboundDNDSettings(dst **InboundDNDSettings) bool {
	if d.null() {
		return true
	}
	s := new(InboundDNDSettings)
	empty, ok := d.open()
	if !ok {
		return false
	}
	*dst = s
	if empty {
		return true
	}
	var seen uint64
	for {
		name, ok := d.name()
		if !ok {
			return false
		}
		switch string(name) {
		case "all":
			ok = once(&seen, 0) && d.inboundDNDSetting(&s.All)
		default:
			ok = d.skipUnknown(name, inboundDNDSettingsKeys)
		}
		if !ok {
			return false
		}
		if more, ok := d.next('}'); !ok || !more {
			return ok
		}
	}
}

func (d *fastDecoder) inboundDNDSetting(dst **InboundDNDSetting) bool {
	if d.null() {
		return true
	}
	s := new(InboundDNDSetting)
	empty, ok := d.open()
	if !ok {
		return false
	}
	*dst = s
	if empty {
		return true
	}
	var seen uint64
	for {
		name, ok := d.name()
		if !ok {
			return false
		}
		switch string(name) {
		case "status":
			ok = once(&seen, 0) && d.string((*string)(&s.Status))
		case "message":
			ok = once(&seen, 1) && d.string(&s.Message)
		default:
			ok = d.skipUnknown(name, inboundDNDSettingKeys)
		}
		if !ok {
			return false
		}
		if more, ok := d.next('}'); !ok || !more {
			return ok
		}
	}
}

func (d *fastDecoder) attributionSource(dst **AttributionSource) bool {
	if d.null() {
		return true
	}
	a := new(AttributionSource)
	if !d.attribution(a) {
		return false
	}
	*dst = a
	return true
}

// attributions reads an array of attribution objects, or null. Null
// elements are left to encoding/json.
func (d *fastDecoder) attributions(dst *[]AttributionSource) bool {
	if d.null() {
		return true
	}
	if d.peek() != '[' {
		return false
	}
	d.pos++
	out := []AttributionSource{}
	if d.peek() == ']' {
		d.pos++
		*dst = out
		return true
	}
	for {
		var a AttributionSource
		if !d.attribution(&a) {
			return false
		}
		out = append(out, a)
		more, ok := d.next(']')
		if !ok {
			return false
		}
		if !more {
			*dst = out
			return true
		}
	}
}

func (d *fastDecoder) attribution(a *AttributionSource) bool {
	empty, ok := d.open()
	if !ok || empty {
		return ok
	}
	var seen uint64
	for {
		name, ok := d.name()
		if !ok {
			return false
		}
		switch string(name) {
		case "url":
			ok = once(&seen, 0) && d.string(&a.URL)
		case "campaign":
			ok = once(&seen, 1) && d.string(&a.Campaign)
		case "campaignId":
			ok = once(&seen, 2) && d.string(&a.CampaignID)
		case "utmSource":
			ok = once(&seen, 3) && d.string(&a.UTMSource)
		case "utmMedium":
			ok = once(&seen, 4) && d.string(&a.UTMMedium)
		case "utmContent":
			ok = once(&seen, 5) && d.string(&a.UTMContent)
		case "referrer":
			ok = once(&seen, 6) && d.string(&a.Referrer)
		case "fbclid":
			ok = once(&seen, 7) && d.string(&a.FBCLID)
		case "gclid":
			ok = once(&seen, 8) && d.string(&a.GCLID)
		case "msclikid":
			ok = once(&seen, 9) && d.string(&a.MSCLKID)
		case "dclid":
			ok = once(&seen, 10) && d.string(&a.DCLID)
		case "fbc":
			ok = once(&seen, 11) && d.string(&a.FBC)
		case "fbp":
			ok = once(&seen, 12) && d.string(&a.FBP)
		case "fbEventId":
			ok = once(&seen, 13) && d.string(&a.FBEventID)
		case "userAgent":
			ok = once(&seen, 14) && d.string(&a.UserAgent)
		case "ip":
			ok = once(&seen, 15) && d.string(&a.IP)
		case "medium":
			ok = once(&seen, 16) && d.string(&a.Medium)
		case "mediumId":
			ok = once(&seen, 17) && d.string(&a.MediumID)
		default:
			ok = d.skipUnknown(name, attributionKeys)
		}
		if !ok {
			return false
		}
		if more, ok := d.next('}'); !ok || !more {
			return ok
		}
	}
}

// customFields reads the custom fields array, or null, as customFieldWire
// does. Null elements are left to encoding/json.
func (d *fastDecoder) customFields(dst *[]CustomField) bool {
	if d.null() {
		return true
	}
	if d.peek() != '[' {
		return false
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		*dst = []CustomField{}
		return true
	}
	out := d.fields[:0]
	for {
		var w customFieldWire
		if !d.customField(&w) {
			return false
		}
		out = append(out, w.field())
		more, ok := d.next(']')
		if !ok {
			return false
		}
		if !more {
			*dst = make([]CustomField, len(out))
			copy(*dst, out)
			return true
		}
	}
}

func (d *fastDecoder) customField(w *customFieldWire) bool {
	empty, ok := d.open()
	if !ok || empty {
		return ok
	}
	var seen uint64
	for {
		name, ok := d.name()
		if !ok {
			return false
		}
		switch string(name) {
		case "id":
			ok = once(&seen, 0) && d.string(&w.ID)
		case "key":
			ok = once(&seen, 1) && d.string(&w.Key)
		case "field_value":
			ok = once(&seen, 2) && d.raw(&w.FieldValue)
		case "value":
			ok = once(&seen, 3) && d.raw(&w.Value)
		default:
			ok = d.skipUnknown(name, customFieldWireKeys)
		}
		if !ok {
			return false
		}
		if more, ok := d.next('}'); !ok || !more {
			return ok
		}
	}
}
