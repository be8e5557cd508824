package bridge

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
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
	// A list and a task's post signed with the old secret. (Completing a
	// task redraws every post showing it, re-signing its buttons: the
	// untouched post shows another task.)
	e.slash(e.alice, e.channel.ID, "/ghl tasks "+e.contact.ID)
	e.slash(e.alice, e.channel.ID, "/ghl task add "+e.contact.ID+" Second --due 2030-01-02")
	var second ghltest.Task
	for _, tk := range e.hl.Tasks(e.contact.ID) {
		if tk.Title == "Second" {
			second = tk
		}
	}
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

// TestWebhookKeysDuringRotation: with the old and the new key configured,
// deliveries signed with the new one are accepted; with the old alone,
// refused.
func TestWebhookKeysDuringRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oldPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	newPub, _ := ghltest.WebhookPublicKeys()
	for _, tc := range []struct {
		keys string
		want int
	}{
		{base64.StdEncoding.EncodeToString(oldPub), http.StatusUnauthorized},
		{base64.StdEncoding.EncodeToString(oldPub) + ", " + base64.StdEncoding.EncodeToString(newPub), http.StatusOK},
	} {
		e.stop()
		e.cfg.WebhookPublicKey = tc.keys
		e.start()
		e.run()
		body := webhookBody("rot-"+strconv.Itoa(tc.want), e.contact.ID, time.Now())
		if got := postWebhook(t, e, signedWebhook(t, e.srv.URL+PathWebhook, body)); got != tc.want {
			t.Errorf("keys %q: %d, want %d", tc.keys, got, tc.want)
		}
	}
}
