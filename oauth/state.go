package oauth

import (
	"crypto/rand"
	"crypto/subtle"
)

// NewState returns a random state value (128 bits, base32) for
// App.AuthCodeURL. Keep it where only the installing browser can present it
// again, such as a short-lived HttpOnly cookie, and check the callback's
// state parameter with VerifyState before exchanging the code.
//
// Installs started from HighLevel's marketplace (the "Add App" button) reach
// the redirect URI without a state; whether to accept those is the caller's
// policy.
func NewState() string { return rand.Text() }

// VerifyState reports whether got (the callback's state parameter) equals
// want (the value from NewState), in constant time. An empty want never
// matches, so a missing cookie cannot pass.
func VerifyState(got, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
