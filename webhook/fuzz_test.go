package webhook

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/ghltest"
)

// fuzzSeeds are payloads of every event type plus odd shapes.
var fuzzSeeds = []string{
	`{"type":"ContactCreate","locationId":"l","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","id":"c","tags":["a"],"dnd":true,"customFields":[{"id":"f","value":1}],"dndSettings":{"SMS":{"status":"active"}}}`,
	`{"type":"ContactUpdate","webhookId":"w","timestamp":"2025-01-28T14:35:00.000Z","dateOfBirth":"2000-01-05T00:00:00.000Z"}`,
	`{"type":"ContactDelete","webhookId":"w","timestamp":1738074900000}`,
	`{"type":"ContactDndUpdate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","dndSettings":{}}`,
	`{"type":"ContactTagUpdate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","tags":[]}`,
	`{"type":"NoteCreate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","id":"n","body":"b","dateAdded":"2021-11-26T12:41:02.193Z"}`,
	`{"type":"NoteUpdate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"NoteDelete","webhookId":"w","timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"TaskCreate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","dueDate":"2021-11-26T12:41:02.193Z"}`,
	`{"type":"TaskComplete","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","completed":false}`,
	`{"type":"TaskDelete","webhookId":"w","timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"AppointmentCreate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","appointment":{"id":"a","startTime":"2023-09-25T16:00:00+05:30","source":"x"}}`,
	`{"type":"AppointmentUpdate","appointment":null}`,
	`{"type":"AppointmentDelete","appointment":{}}`,
	`{"type":"INSTALL","appId":"a","trial":{"onTrial":true,"trialDuration":10,"trialStartDate":"2024-07-23T23:54:51.264Z"},"whitelabelDetails":{}}`,
	`{"type":"UNINSTALL","appId":"a","companyId":"c"}`,
	`{"type":"Unheard","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","x":[1,{"y":null}]}`,
	`{"type":"TaskCreate","TYPE":"NoteCreate","type":"NoteDelete"}`,
	`{"type":"\u0054askCreate"}`,
	`{}`, `[]`, `null`, `"x"`, ``, `{"type":`, "{\"type\":\"TaskCreate\"}\x00",
	// Contact events shaped as HighLevel sends them, and repeats and
	// spellings of meta members that encoding/json settles.
	`{ "type" : "ContactUpdate" , "locationId" : "l" , "webhookId" : "w" , "timestamp" : "2025-01-28T14:35:00Z" , "id" : "c" , "webhookIdx" : 1 }`,
	`{"type":"ContactCreate","webhookId":"w","timestamp":1738074900000,"customFields":[{"id":"f","value":{"timestamp":1}}],"extra":"timestamp"}`,
	`{"type":"ContactCreate","webhookId":5,"webhookId":"w","timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"ContactCreate","webhookId":"w","timestamp":true,"timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"ContactCreate","webhookId":"w","webhookId":null,"timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"ContactCreate","WebhookId":"a","webhookId":"b","timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"ContactCreate","\u0077ebhookId":5,"webhookId":"w","timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"ContactCreate","timeſtamp":"x","timestamp":"2025-01-28T14:35:00Z"}`,
	`{"type":"ContactCreate","type":"NoteCreate","webhookId":"w"}`,
	`{"type":"ContactCreate","TYPE":"ContactUpdate","webhookId":"w"}`,
	`{"type":"ContactCreate","type":null,"webhookId":"w"}`,
	`{"type":"ContactCreate","locationId":5}`,
	`{"type":"ContactCreate","timestamp":"yesterday"}`,
	`{"type":"ContactCreate","webhookId":"w\u00e9","timestamp":"2025-01-28T14:35:00Z"}`,
	"{\"type\":\"ContactCreate\",\"webhookId\":\"w\xff\",\"timestamp\":\"2025-01-28T14:35:00Z\"}",
	`{"type":"ContactCreate","webhookId":"w","timestamp":"2025-01-28T14:35:00Z","id":"c"}x`,
	`{"type":"ContactTagUpdate","FIRSTNAME":"x","tags":["a"],"webhookId":"w"}`,
	`{"type":"ContactDndUpdate","locationId":"l","webhookId":"w","timestamp":"2025-01-28T14:35:00.000Z","id":"c","dnd":true,` +
		`"dndSettings":{"SMS":{"status":"inactive","message":"m","code":"101"},"Call":{"status":"active"},"GMB":null},"inboundDndSettings":{"all":{"status":"active"}}}`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Parse(body)
		if err != nil {
			if e != nil {
				t.Fatalf("event %T with error %v", e, err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		m := e.EventMeta()
		if m.Type == "" || !bytes.Equal(m.Raw, body) {
			t.Fatalf("meta = %+v", m)
		}
		// Decoding the concrete type directly gives the same event.
		direct := reflect.New(reflect.TypeOf(e).Elem()).Interface()
		if err := json.Unmarshal(body, direct); err != nil {
			t.Fatalf("Parse accepted %q but json.Unmarshal into %T failed: %v", body, direct, err)
		}
		// json.Unmarshal hands UnmarshalJSON the value without the white
		// space around it, so that Raw is the body trimmed.
		if raw := direct.(Event).EventMeta().Raw; !bytes.Equal(raw, bytes.Trim(body, " \t\r\n")) {
			t.Fatalf("json.Unmarshal of %q kept Raw %q", body, raw)
		}
		direct.(Event).EventMeta().Raw = m.Raw
		// Records keep the bytes they were decoded from (for Extra), so
		// compare the events as they are written.
		if a, b := marshal(t, e), marshal(t, direct); a != b {
			t.Fatalf("Parse and json.Unmarshal disagree on %q:\n%s\n%s", body, a, b)
		}
		// A contact event decodes as the contact alone would, but for the
		// event's members: "type" is the event type, and webhookId and
		// timestamp (in any spelling encoding/json matches) are no unknown
		// fields of the contact.
		if c := eventContact(e); c != nil {
			var want contacts.Contact
			if err := json.Unmarshal(body, &want); err != nil {
				t.Fatalf("Parse accepted %q but decoding the contact failed: %v", body, err)
			}
			want.Type = ""
			want.LocationID = m.LocationID
			if a, b := withoutEventMembers(t, c), withoutEventMembers(t, &want); !reflect.DeepEqual(a, b) {
				t.Fatalf("Parse and the contact decoding disagree on %q:\n%s\n%s", body, a, b)
			}
			// Written, nil and empty custom fields look alike; they are
			// not (and the slices they are read into are reused).
			if !reflect.DeepEqual(c.CustomFields, want.CustomFields) {
				t.Fatalf("Parse and the contact decoding disagree on the custom fields of %q:\n%#v\n%#v", body, c.CustomFields, want.CustomFields)
			}
		}
	})
}

// withoutEventMembers writes c and drops the members a webhook payload
// carries beside the contact's.
func withoutEventMembers(t *testing.T, c *contacts.Contact) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(marshal(t, c)), &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		for _, ev := range []string{"type", "webhookId", "timestamp"} {
			if strings.EqualFold(k, ev) {
				delete(m, k)
			}
		}
	}
	return m
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// eventContact returns the Contact of a contact event, or nil.
func eventContact(e Event) *contacts.Contact {
	switch e := e.(type) {
	case *ContactCreate:
		return &e.Contact
	case *ContactUpdate:
		return &e.Contact
	case *ContactDelete:
		return &e.Contact
	case *ContactDndUpdate:
		return &e.Contact
	case *ContactTagUpdate:
		return &e.Contact
	}
	return nil
}

func FuzzVerify(f *testing.F) {
	signer := testSigner()
	for _, s := range fuzzSeeds {
		body := []byte(s)
		h, err := signer.Sign(body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, h.Get(HeaderSignature), h.Get(HeaderLegacySignature))
		f.Add(body, h.Get(HeaderSignature), "")
		f.Add(body, "", h.Get(HeaderLegacySignature))
		f.Add(append(body, ' '), h.Get(HeaderSignature), h.Get(HeaderLegacySignature))
	}
	f.Add([]byte(`{}`), "", "")
	f.Add([]byte(`{}`), "AAAA", "====")
	edPub, rsaPub := ghltest.WebhookPublicKeys()
	v := newVerifier(f, true, WithoutDedupe())
	f.Fuzz(func(t *testing.T, body []byte, edSig, rsaSig string) {
		h := http.Header{}
		if edSig != "" {
			h.Set(HeaderSignature, edSig)
		}
		if rsaSig != "" {
			h.Set(HeaderLegacySignature, rsaSig)
		}
		e, err := v.Verify(body, h)
		if err != nil {
			if e != nil {
				t.Fatalf("event %T with error %v", e, err)
			}
			return
		}
		// Accepted: the deciding signature must really be valid for these
		// exact bytes, and the payload complete and fresh.
		if edSig != "" {
			sig, derr := base64.StdEncoding.DecodeString(edSig)
			if derr != nil || !ed25519.Verify(edPub, body, sig) {
				t.Fatalf("accepted a body whose X-GHL-Signature does not verify: %q", body)
			}
		} else if err := verifyRSAOnly(body, rsaSig, rsaPub); err != nil {
			t.Fatalf("accepted a body whose X-WH-Signature does not verify: %v", err)
		}
		m := e.EventMeta()
		if m.Type == "" || m.Timestamp.IsZero() || !bytes.Equal(m.Raw, body) {
			t.Fatalf("accepted incomplete event %+v", m)
		}
		if d := m.Timestamp.Sub(testNow); d > DefaultTolerance || d < -DefaultTolerance {
			t.Fatalf("accepted a timestamp %v from now", d)
		}
		// Any change to the accepted bytes must be rejected.
		for _, i := range []int{0, len(body) / 2, len(body) - 1} {
			mut := bytes.Clone(body)
			mut[i] ^= 0x01
			if _, err := v.Verify(mut, h); err == nil {
				t.Fatalf("accepted %q with byte %d flipped", body, i)
			}
		}
	})
}

// verifyRSAOnly checks a legacy signature independently of Verifier.
func verifyRSAOnly(body []byte, sig string, pub *rsa.PublicKey) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], raw)
}
