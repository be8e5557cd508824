package isotime

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2021-07-08T02:30:00.000Z", time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
		{"2020-10-25T11:00:00Z", time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)},
		{"2021-07-08T12:02:11.285Z", time.Date(2021, 7, 8, 12, 2, 11, 285e6, time.UTC)},
		{"2021-07-08T04:30:00+02:00", time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
		{"2021-07-08T04:30:00.5+0200", time.Date(2021, 7, 8, 2, 30, 0, 5e8, time.UTC)},
		{"2021-07-08T02:30:00", time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
		{"2021-07-08 02:30:00", time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
		{"2021-07-08", time.Date(2021, 7, 8, 0, 0, 0, 0, time.UTC)},
		// The date forms the spec lists for dateOfBirth.
		{"09/25/1990", time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		{"1990/09/25", time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		{"09-25-1990", time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		{"1990.09.25", time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		{"09.25.1990", time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		{"1990_09_25", time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		{"09_25_1990", time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v, want %v in UTC", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"yesterday", "2021-13-01T00:00:00Z", "25/09/1990", "1990-09-25x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	cest := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2020, 10, 25, 13, 0, 0, 0, cest), "2020-10-25T11:00:00.000Z"},
		{time.Date(2021, 7, 8, 12, 2, 11, 285_999_999, time.UTC), "2021-07-08T12:02:11.285Z"},
		{time.Time{}, ""},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	type wire struct {
		At   Time `json:"at"`
		Omit Time `json:"omit,omitzero"`
	}
	decode := []struct {
		in   string
		want time.Time
	}{
		{`{"at":"2021-07-08T02:30:00.000Z"}`, time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
		{`{"at":"2020-10-25T11:00:00Z"}`, time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)},
		{`{"at":""}`, time.Time{}},
		{`{"at":null}`, time.Time{}},
		{`{}`, time.Time{}},
		{`{"at":1625711400000}`, time.Date(2021, 7, 8, 2, 30, 0, 0, time.UTC)},
	}
	for _, tt := range decode {
		var w wire
		if err := json.Unmarshal([]byte(tt.in), &w); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if got := time.Time(w.At); !got.Equal(tt.want) {
			t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// An odd value decodes as the zero time without failing the object
	// around it, and Valid tells it apart.
	for _, bad := range []string{`"soon"`, `true`, `1.5`, `{}`, `"2021-13-01"`} {
		var w wire
		if err := json.Unmarshal([]byte(`{"at":`+bad+`,"omit":"2021-07-08"}`), &w); err != nil || !time.Time(w.At).IsZero() || time.Time(w.Omit).IsZero() {
			t.Errorf("Unmarshal(%s) = %v, %v, %v", bad, time.Time(w.At), time.Time(w.Omit), err)
		}
		if Valid([]byte(bad)) {
			t.Errorf("Valid(%s) = true", bad)
		}
	}
	for _, good := range []string{`"2021-07-08T02:30:00.000Z"`, `"09/25/1990"`, `""`, `null`, `1625711400000`} {
		if !Valid([]byte(good)) {
			t.Errorf("Valid(%s) = false", good)
		}
	}

	b, err := json.Marshal(wire{At: Time(time.Date(2021, 7, 8, 4, 30, 0, 0, time.FixedZone("", 7200)))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"at":"2021-07-08T02:30:00.000Z"}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	b, err = json.Marshal(wire{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"at":null}`; got != want {
		t.Errorf("Marshal(zero) = %s, want %s", got, want)
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC), `"1990-09-25"`},
		{time.Date(1990, 9, 25, 0, 30, 0, 0, berlin), `"1990-09-25"`}, // its own date, not UTC's
		{time.Time{}, `null`},
	} {
		b, err := json.Marshal(Date(tc.in))
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.in, b, err, tc.want)
		}
	}
	var d Date
	if err := json.Unmarshal([]byte(`"09/25/1990"`), &d); err != nil || !time.Time(d).Equal(time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Unmarshal = %v, %v", time.Time(d), err)
	}
}
