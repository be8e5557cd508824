package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// A payload as HighLevel sends it. Real deliveries carry the current time;
// the examples pin the Verifier's clock instead.
const payload = `{"type":"TaskCreate","locationId":"ve9EPM428h8vShlRW1KT","webhookId":"0b4b7c1e-7e3a-4c1f-9f0e-2d7c8a1b5e6f","timestamp":"2025-01-28T14:35:00.000Z","id":"UlRWGLSXh0ji5qbiGu4i","assignedTo":"63e4qiWDsFJjOYAC8phG","body":"Call about the renewal","contactId":"CWBf1PR9LvvBkcYqiXlc","title":"Renewal call","dateAdded":"2025-01-28T14:34:58.112Z","dueDate":"2025-01-30T09:00:00.000Z"}`

var sent = time.Date(2025, 1, 28, 14, 35, 1, 0, time.UTC)

// testSigner signs with ghltest's published test keys, as a test of your own
// receiver would.
func testSigner() *webhook.Signer {
	ed, rk := ghltest.WebhookPrivateKeys()
	return &webhook.Signer{Ed25519: ed, RSA: rk}
}

// Verify a delivery outside net/http, then process it once: Reserve before,
// Commit after success, Release after a failure so HighLevel's redelivery is
// processed.
func ExampleVerifier_Verify() {
	h, err := testSigner().Sign([]byte(payload))
	if err != nil {
		log.Fatal(err)
	}

	// In production: webhook.WithPublicKeys(os.Getenv("GHL_WEBHOOK_PUBLIC_KEY")).
	edKey, _ := ghltest.WebhookPublicKeys()
	v, err := webhook.NewVerifier(
		webhook.WithEd25519PublicKeys(edKey),
		webhook.WithClock(func() time.Time { return sent }), // the payload's time
	)
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	receive := func(body []byte, process func(webhook.Event) error) error {
		e, err := v.Verify(body, h)
		if err != nil {
			return err
		}
		if err := v.Reserve(ctx, e); err != nil {
			return err // ErrDuplicate: processed already; ErrInProgress: retry later
		}
		if err := process(e); err != nil {
			_ = v.Release(context.WithoutCancel(ctx), e)
			return err
		}
		return v.Commit(context.WithoutCancel(ctx), e)
	}
	show := func(e webhook.Event) error {
		if e, ok := e.(*webhook.TaskCreate); ok {
			fmt.Printf("%s %q due %s\n", e.Type, e.Task.Title, e.Task.DueDate.Format(time.DateOnly))
		}
		return nil
	}

	// Processing fails: HighLevel's redelivery is processed.
	err = receive([]byte(payload), func(webhook.Event) error { return errors.New("database down") })
	fmt.Println(err)
	fmt.Println(receive([]byte(payload), show))

	// Processed: the same delivery again is a duplicate.
	err = receive([]byte(payload), show)
	fmt.Println(errors.Is(err, webhook.ErrDuplicate))

	// One byte changed, and the signature no longer matches.
	forged := bytes.Replace([]byte(payload), []byte("Renewal"), []byte("renewal"), 1)
	_, err = v.Verify(forged, h)
	fmt.Println(errors.Is(err, webhook.ErrBadSignature))
	// Output:
	// database down
	// TaskCreate "Renewal call" due 2025-01-30
	// <nil>
	// true
	// true
}

// Receive webhooks with Handler: it answers HighLevel with the right status
// and calls the function once per event.
func ExampleNewHandler() {
	edKey, _ := ghltest.WebhookPublicKeys()
	v, err := webhook.NewVerifier(
		webhook.WithEd25519PublicKeys(edKey),
		webhook.WithClock(func() time.Time { return sent }),
	)
	if err != nil {
		log.Fatal(err)
	}
	h, err := webhook.NewHandler(v, func(ctx context.Context, e webhook.Event) error {
		switch e := e.(type) {
		case *webhook.TaskCreate:
			fmt.Println("new task:", e.Task.Title)
		case *webhook.ContactDelete:
			fmt.Println("contact deleted:", e.Contact.ID)
		default:
			fmt.Println("ignored", e.EventMeta().Type)
		}
		return nil // an error here answers 500, so HighLevel retries
	})
	if err != nil {
		log.Fatal(err)
	}
	// In production: http.Handle("POST /webhooks/ghl", h)
	srv := httptest.NewServer(h)
	defer srv.Close()

	deliver := func(body []byte, sig http.Header) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		for k, vals := range sig {
			req.Header[k] = vals
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	sig, err := testSigner().Sign([]byte(payload))
	if err != nil {
		log.Fatal(err)
	}
	deliver([]byte(payload), sig)     // processed
	deliver([]byte(payload), sig)     // duplicate: acknowledged, not processed again
	deliver([]byte(payload), nil)     // unsigned
	deliver([]byte(payload+" "), sig) // altered
	// Output:
	// new task: Renewal call
	// 200 OK
	// 200 OK
	// 401 Unauthorized
	// 401 Unauthorized
}

// Parse decodes a payload already authenticated elsewhere; an unknown type is
// not an error.
func ExampleParse() {
	e, err := webhook.Parse([]byte(`{"type":"OpportunityCreate","locationId":"loc1","id":"opp1"}`))
	if err != nil {
		log.Fatal(err)
	}
	if u, ok := e.(*webhook.UnknownEvent); ok {
		fmt.Println(u.Type, string(u.Raw))
	}
	// Output:
	// OpportunityCreate {"type":"OpportunityCreate","locationId":"loc1","id":"opp1"}
}
