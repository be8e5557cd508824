package bridge

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

// TestSecretRotation: buttons posted before BRIDGE_SECRET was rotated still
// work while the old secret is in BRIDGE_SECRET_PREVIOUS; new buttons are
// signed with the new secret only; once the old secret is dropped, the old
// buttons are refused.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWebhookTarget())
	due := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	first := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "First", DueDate: due})
	second := e.hl.AddTask(ghltest.Task{ContactID: e.contact.ID, Title: "Second", DueDate: due})
	// Two lists signed with the old secret (a click updates its own list,
	// re-signing its buttons).
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	oldList, untouched := e.posts(e.channel.ID)[0], e.posts(e.channel.ID)[1]

	newSecret := Secret(strings.Repeat("n", 40))
	restart := func(previous ...Secret) {
		e.stop()
		e.cfg.Secret, e.cfg.PreviousSecrets = newSecret, previous
		e.start()
		e.run()
	}
	restart(testSecret)
	click, err := e.mm.As(e.alice.ID).ClickButton(context.Background(), oldList.ID, "complete"+first.ID)
	taskDone := func(id string) bool {
		for _, tk := range e.hl.Tasks(e.contact.ID) {
			if tk.ID == id {
				return tk.Completed
			}
		}
		return false
	}
	if err != nil || click.Status != http.StatusOK || !taskDone(first.ID) {
		t.Fatalf("an old button after the rotation: %v %+v", err, click)
	}

	// A list posted now is signed with the new secret alone: it works
	// once the previous secret is gone, and the old list does not.
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	posts := e.posts(e.channel.ID)
	newList := posts[len(posts)-1]
	restart()
	click, err = e.mm.As(e.alice.ID).ClickButton(context.Background(), untouched.ID, "complete"+second.ID)
	if err != nil || click.Status != http.StatusForbidden {
		t.Fatalf("an old button once the old secret is dropped: %v %+v", err, click)
	}
	if taskDone(second.ID) {
		t.Fatal("the old button completed a task after its secret was dropped")
	}
	click, err = e.mm.As(e.alice.ID).ClickButton(context.Background(), newList.ID, "complete"+second.ID)
	if err != nil || click.Status != http.StatusOK {
		t.Fatalf("a new button: %v %+v", err, click)
	}
	if !taskDone(second.ID) {
		t.Error("the new button did not complete the task")
	}
}
