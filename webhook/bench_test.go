package webhook

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/ghltest"
)

// benchBody returns a ContactUpdate of about 2 KiB, shaped like HighLevel's.
func benchBody(tb testing.TB) []byte {
	var cf []string
	for i := range 20 {
		cf = append(cf, fmt.Sprintf(`{"id":"BcdmQEsNgz6AVpgLVU%02d","value":"Custom value number %d"}`, i, i))
	}
	body := fmt.Sprintf(`{"type":"ContactUpdate","locationId":"ve9EPM428h8vShlRW1KT","webhookId":"b6f0e4d2-5c1a-4c9e-9d61-1f2e3a4b5c6d","timestamp":"2025-01-28T14:35:00.000Z",`+
		`"id":"nmFmQEsNgz6AVpgLVUJ0","address1":"3535 1st St N","city":"Dolomite","state":"AL","companyName":"Loram ipsum","country":"US","source":"xyz form",`+
		`"dateAdded":"2021-11-26T12:41:02.193Z","dateOfBirth":"2000-01-05T00:00:00.000Z","dnd":true,`+
		`"dndSettings":{"SMS":{"status":"inactive","message":"m","code":"101"},"Email":{"status":"active","message":"m","code":"101"}},`+
		`"email":"john.deo@example.com","name":"John Deo","firstName":"John","lastName":"Deo","phone":"+919509597501","postalCode":"452001",`+
		`"tags":["id magna sed Lorem","Duis dolor commodo aliqua","vip","newsletter"],"website":"https://www.example.com/","attachments":[],`+
		`"assignedTo":"nmFmQEsNgz6AVpgLVUJ0","customFields":[%s]}`, strings.Join(cf, ","))
	if n := len(body); n < 1900 || n > 2200 {
		tb.Fatalf("bench body is %d bytes, want about 2 KiB", n)
	}
	return []byte(body)
}

// BenchmarkVerify is the whole Verify (signature, decode, timestamp) of a
// 2 KiB event, deduplication off so every iteration does the same work.
func BenchmarkVerify(b *testing.B) {
	body := benchBody(b)
	h := sign(b, body, true, false)
	v := newVerifier(b, false, WithoutDedupe())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(body, h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyDedupe adds the MemoryDedupe round trip (Reserve, then
// Release so the next iteration is not a duplicate).
func BenchmarkVerifyDedupe(b *testing.B) {
	body := benchBody(b)
	h := sign(b, body, true, false)
	v := newVerifier(b, false)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := v.Verify(body, h)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Reserve(ctx, e); err != nil {
			b.Fatal(err)
		}
		if err := v.Release(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519Verify is the floor: ed25519.Verify alone on the same
// bytes (with the header's base64 decoding, which any receiver needs).
func BenchmarkEd25519Verify(b *testing.B) {
	body := benchBody(b)
	h := sign(b, body, true, false)
	pub, _ := ghltest.WebhookPublicKeys()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		sig, err := base64.StdEncoding.DecodeString(h.Get(HeaderSignature))
		if err != nil || !ed25519.Verify(pub, body, sig) {
			b.Fatal("does not verify")
		}
	}
}

// BenchmarkParse is decoding alone.
func BenchmarkParse(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContactUnmarshal is contacts.Contact's own decoder
// (json.Unmarshal into a Contact) on the same payload, for comparison:
// contact events decode their Contact in the event's one pass instead.
func BenchmarkContactUnmarshal(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var c contacts.Contact
		if err := c.UnmarshalJSON(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySmall is Verify of a typical TaskCreate (about 350 bytes).
func BenchmarkVerifySmall(b *testing.B) {
	body := taskBody("small", testNow)
	h := sign(b, body, true, false)
	v := newVerifier(b, false, WithoutDedupe())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(body, h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyVsEd25519 alternates Verify (signature, one-pass decode,
// timestamp) and the bare signature check of BenchmarkEd25519Verify on the
// 2 KiB ContactUpdate, in blocks small enough that both meet the same load
// on a shared machine, and reports Verify's time as a multiple of the
// signature check's (verify-ratio; the target is at most 1.6).
func BenchmarkVerifyVsEd25519(b *testing.B) {
	const block = 20
	body := benchBody(b)
	h := sign(b, body, true, false)
	v := newVerifier(b, false, WithoutDedupe())
	pub, _ := ghltest.WebhookPublicKeys()
	var verify, bare time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for range block {
			if _, err := v.Verify(body, h); err != nil {
				b.Fatal(err)
			}
		}
		verify += time.Since(start)
		start = time.Now()
		for range block {
			sig, err := base64.StdEncoding.DecodeString(h.Get(HeaderSignature))
			if err != nil || !ed25519.Verify(pub, body, sig) {
				b.Fatal("does not verify")
			}
		}
		bare += time.Since(start)
	}
	if bare > 0 {
		b.ReportMetric(float64(verify)/float64(bare), "verify-ratio")
	}
}

// floorContact is the 2 KiB ContactUpdate as the plainest struct
// encoding/json v1 can decode it into: strings only, no methods, no
// embedding, no raw values. It is not a usable event (custom field values of
// other JSON types, odd dates and Extra are lost): it only measures what one
// encoding/json v1 pass over the payload costs at least.
type floorContact struct {
	Type, LocationID, WebhookID, Timestamp                  string
	ID, Address1, City, State, CompanyName, Country, Source string
	DateAdded, DateOfBirth                                  string
	DND                                                     bool
	DNDSettings                                             struct {
		SMS, Email struct{ Status, Message, Code string }
	}
	Email, Name, FirstName, LastName, Phone, PostalCode string
	Website, AssignedTo                                 string
	Tags, Attachments                                   []string
	CustomFields                                        []struct{ ID, Value string }
}

// BenchmarkDecodeFloorVsEd25519 alternates, in blocks as
// BenchmarkVerifyVsEd25519 does, the bare signature check with the cheapest
// encoding/json v1 work on the same 2 KiB payload, and reports each as a
// multiple of the signature check:
//
//   - valid-ratio: json.Valid, the validation json.Unmarshal runs first;
//   - envelope-ratio: json.Unmarshal reading only "type" (validation, then a
//     second scan that skips every other member);
//   - floor-ratio: json.Unmarshal into floorContact, the plainest struct;
//   - event-ratio: the ContactUpdate's own decoding, without Parse's
//     reading of "type" and copy of the payload;
//   - parse-ratio: Parse, the event this package returns.
//
// 1 + floor-ratio is the least verify-ratio a Verify built on encoding/json
// v1 can reach on the machine, whatever its struct shapes; Verify is about
// 1 + parse-ratio.
func BenchmarkDecodeFloorVsEd25519(b *testing.B) {
	const block = 20
	body := benchBody(b)
	h := sign(b, body, true, false)
	pub, _ := ghltest.WebhookPublicKeys()
	sides := []struct {
		metric string
		run    func() error
	}{
		{"", func() error { // the bare signature check, the unit
			sig, err := base64.StdEncoding.DecodeString(h.Get(HeaderSignature))
			if err != nil || !ed25519.Verify(pub, body, sig) {
				return errors.New("does not verify")
			}
			return nil
		}},
		{"valid-ratio", func() error {
			if !json.Valid(body) {
				return errors.New("not valid")
			}
			return nil
		}},
		{"envelope-ratio", func() error {
			var e struct{ Type string }
			if err := json.Unmarshal(body, &e); err != nil || e.Type != TypeContactUpdate {
				return fmt.Errorf("envelope: %q, %v", e.Type, err)
			}
			return nil
		}},
		{"floor-ratio", func() error {
			var c floorContact
			if err := json.Unmarshal(body, &c); err != nil || len(c.CustomFields) != 20 {
				return fmt.Errorf("floor: %d custom fields, %v", len(c.CustomFields), err)
			}
			return nil
		}},
		{"event-ratio", func() error {
			var e ContactUpdate
			return e.decode(body)
		}},
		{"parse-ratio", func() error {
			_, err := Parse(body)
			return err
		}},
	}
	spent := make([]time.Duration, len(sides))
	for b.Loop() {
		for i, s := range sides {
			start := time.Now()
			for range block {
				if err := s.run(); err != nil {
					b.Fatal(err)
				}
			}
			spent[i] += time.Since(start)
		}
	}
	for i, s := range sides[1:] {
		b.ReportMetric(float64(spent[i+1])/float64(spent[0]), s.metric)
	}
}
