package oauth

import (
	"fmt"
	"testing"
)

// TestHeldStateNotForgotten: a key's state that a call holds, even before
// it takes the state's lock, is not forgotten however many other keys are
// used, and the next caller gets the same state (one refresh at a time per
// key). Fails if only locked states are kept.
func TestHeldStateNotForgotten(t *testing.T) {
	a, err := NewApp(Config{ClientID: "id", ClientSecret: "s", Store: NewMemoryStore(), MaxKeys: 2})
	if err != nil {
		t.Fatal(err)
	}
	held := a.state("held")
	for i := range 10 {
		a.release(a.state(fmt.Sprint("k", i)))
	}
	if again := a.state("held"); again != held {
		t.Error("a held state was forgotten: a second caller got another one")
	} else {
		a.release(again)
	}
	a.release(held)
	for i := range 10 {
		a.release(a.state(fmt.Sprint("k", i)))
	}
	if n := KeyStates(a); n != 2 {
		t.Errorf("%d states once released; want 2", n)
	}
}
