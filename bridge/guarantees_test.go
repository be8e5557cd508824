package bridge

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

// enqueueFails is a Store whose Enqueue fails the first n times while
// everything else, the webhook dedupe included, works.
type enqueueFails struct {
	Store
	n     atomic.Int32 // failures still to come
	calls atomic.Int32
}

func (s *enqueueFails) Enqueue(ctx context.Context, ev OutboxEvent, seenUntil time.Time, take Take) (bool, []OutboxEvent, error) {
	s.calls.Add(1)
	if s.n.Add(-1) >= 0 {
		return false, nil, errors.New("disk full")
	}
	return s.Store.Enqueue(ctx, ev, seenUntil, take)
}

// TestWebhookNotStoredIsNotAcknowledged holds the promise that HighLevel
// gets a 2xx only for an event the bridge has stored: when the outbox write
// fails after the dedupe check passed, the webhook is answered non-2xx and
// its webhookId is not remembered, so HighLevel's redelivery is stored and
// posted, once. Fails if acceptEvent logs a failed Enqueue and returns nil.
func TestWebhookNotStoredIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRun(), withoutWebhookTarget())
	store := &enqueueFails{Store: openStoreT(t, "bbolt")}
	store.n.Store(1)
	e.runOn(store)

	url := e.srv.URL + PathWebhook
	body := webhookBody("enq1", e.contact.ID, time.Now())
	if got := postWebhook(t, e, signedWebhook(t, url, body)); got/100 == 2 {
		t.Fatalf("webhook whose outbox write failed: %d, want non-2xx", got)
	}
	if n := store.calls.Load(); n != 1 {
		t.Fatalf("Enqueue called %d times, want 1 (the dedupe check must pass first)", n)
	}
	if st, err := store.OutboxStats(context.Background()); err != nil || st.Pending != 0 {
		t.Fatalf("outbox after the failed write: %+v %v", st, err)
	}

	// HighLevel redelivers the same webhook (same webhookId, same body):
	// stored and posted, once; a further redelivery is acknowledged only.
	for range 2 {
		if got := postWebhook(t, e, signedWebhook(t, url, body)); got != http.StatusOK {
			t.Fatalf("redelivery: %d, want 200", got)
		}
	}
	e.settle()
	posted := 0
	for _, p := range e.posts(e.channel.ID) {
		if strings.Contains(postText(p), "Task enq1") {
			posted++
		}
	}
	if posted != 1 {
		t.Errorf("the redelivered event was posted %d times, want 1\nlogs:\n%s", posted, e.logs.String())
	}
}

// TestSecondClickUsesOwnCompletionRecord holds the promise that the
// bridge's own record of a completion answers a second Complete click
// ("already complete: @alice completed it") and prevents a second write,
// even when HighLevel cannot be read at that moment. Fails if completeTask
// skips the store's Completion lookup (the click then depends on
// HighLevel's answer and fails with it).
func TestSecondClickUsesOwnCompletionRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	task := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Call back", DueDate: time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)})
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	list := e.posts(e.channel.ID)[0]
	click, err := e.mm.As(e.alice.ID).ClickButton(context.Background(), list.ID, "complete"+task.ID)
	if err != nil || click.Status != http.StatusOK {
		t.Fatalf("first click: %v %+v", err, click)
	}
	write := "/contacts/" + e.contact.ID + "/tasks/" + task.ID + "/completed"
	if n := countRequests(e.hl, "PUT", write); n != 1 {
		t.Fatalf("%d completion writes after the first click, want 1", n)
	}

	// HighLevel's task read now fails; bob clicks a stale copy of the button.
	e.hl.Fail(ghltest.Fault{Method: "GET", Path: "/contacts/*/tasks/*", Status: http.StatusServiceUnavailable})
	req := *click.Request
	req.UserID, req.UserName = e.bob.ID, "bob"
	res := replayAction(t, e, &req)
	if want := "**Call back** is already complete: @alice completed it."; res.EphemeralText != want && res.EphemeralText != "This task is already complete: @alice completed it." {
		t.Errorf("second click while HighLevel fails: %q, want %q (or without the title)", res.EphemeralText, want)
	}
	if n := countRequests(e.hl, "PUT", write); n != 1 {
		t.Errorf("%d completion writes after the second click, want 1", n)
	}
}
