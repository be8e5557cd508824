// Package isotime reads and writes the ISO-8601 timestamps HighLevel puts on
// the wire.
//
// HighLevel is not consistent: responses carry JavaScript's toISOString form
// ("2021-07-08T02:30:00.000Z"), request examples use whole seconds
// ("2020-10-25T11:00:00Z"), "" or null stand for "no date", and elsewhere the
// API counts time in epoch milliseconds (the contacts list's startAfter).
// Decoding accepts all of them so that a variant on one field does not fail a
// whole response; encoding always produces the spec's UTC millisecond form.
package isotime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Layout is the form HighLevel documents and this package writes:
// UTC with millisecond precision, as JavaScript's Date.toISOString.
const Layout = "2006-01-02T15:04:05.000Z"

// layouts are tried in order by Parse. RFC3339Nano also accepts values without
// fractional seconds, so it covers both of the spec's forms.
var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // offset without colon: +0000
	"2006-01-02T15:04:05.999999999",      // no zone: HighLevel means UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02", // date only, midnight UTC
	// The other date forms the spec lists for a contact's dateOfBirth.
	"01/02/2006", "2006/01/02", "01-02-2006", "2006.01.02", "01.02.2006", "2006_01_02", "01_02_2006",
}

// DateLayout is the form Date writes, the spec's example for dateOfBirth.
const DateLayout = "2006-01-02"

// Format returns t in Layout (converted to UTC), or "" for the zero time.
func Format(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(Layout)
}

// Parse reads an ISO-8601 timestamp in any form HighLevel is known to send.
// The empty string yields the zero time. Results are in UTC; a value without a
// zone is taken to be UTC.
func Parse(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("isotime: cannot parse %q as an ISO-8601 timestamp", s)
}

// Time is a time.Time with HighLevel's JSON encoding. It is meant for wire
// structs inside this module; exported types keep plain time.Time fields and
// convert with Time(t) and time.Time(x).
type Time time.Time

// IsZero reports whether t is the zero time, so `json:",omitzero"` omits it.
func (t Time) IsZero() bool { return time.Time(t).IsZero() }

// MarshalJSON writes t in Layout, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(Layout)+2)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, Layout)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts a timestamp string in any form Parse accepts, "" or
// null (the zero time), or a JSON number of milliseconds since the Unix epoch.
// Any other value also yields the zero time, without an error: one odd date
// must not fail the decoding of the whole record around it (the record's
// Extra method reports the value as it came; see Valid).
func (t *Time) UnmarshalJSON(data []byte) error {
	v, _ := decode(data)
	*t = Time(v)
	return nil
}

// Valid reports whether data, a JSON value, is a timestamp UnmarshalJSON
// reads: a form Parse accepts, "", null or epoch milliseconds.
func Valid(data []byte) bool {
	_, ok := decode(data)
	return ok
}

func decode(data []byte) (time.Time, bool) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return time.Time{}, true
	}
	if data[0] == '"' {
		// RFC 3339, the form HighLevel sends most, reads without allocating.
		var t time.Time
		if t.UnmarshalJSON(data) == nil {
			return t.UTC(), true
		}
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return time.Time{}, false
		}
		v, err := Parse(s)
		return v, err == nil
	}
	ms, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// Date is a calendar date on the wire (a contact's dateOfBirth): it writes
// DateLayout and reads what Time reads.
type Date time.Time

// IsZero reports whether d is the zero time, so `json:",omitzero"` omits it.
func (d Date) IsZero() bool { return time.Time(d).IsZero() }

// MarshalJSON writes d's date in DateLayout (as d's own location gives it),
// or null for the zero time.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(DateLayout)+2)
	b = append(b, '"')
	b = time.Time(d).AppendFormat(b, DateLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON reads what Time.UnmarshalJSON reads.
func (d *Date) UnmarshalJSON(data []byte) error { return (*Time)(d).UnmarshalJSON(data) }
