package oauth

import "errors"

// Sentinel errors. Test for them with errors.Is. Errors from HighLevel's
// token endpoint also wrap the *oauth2.RetrieveError it produced, so
// errors.As(err, &retrieveErr) gives the status code and HighLevel's body.
var (
	// ErrNotFound is returned by TokenStore.Load when the store holds no
	// token for the key: the app was never installed there (or the token was
	// deleted).
	ErrNotFound = errors.New("oauth: no token stored for this key")

	// ErrReinstallRequired means HighLevel refused the refresh token
	// (invalid_grant), or the token cannot be renewed at all. Retrying will
	// not help: a person must install the app again (the install flow, then
	// App.Exchange). Tell it apart from a network blip, which is worth a retry.
	ErrReinstallRequired = errors.New("oauth: HighLevel refused the refresh token; the app must be installed again")

	// ErrTokenNotSaved means HighLevel issued a new token pair but the
	// TokenStore refused it. The old refresh token is already dead on
	// HighLevel's side, so the new pair is kept in memory and saved again on
	// the next Token call (or TokenSource.Flush). See TokenSource.
	ErrTokenNotSaved = errors.New("oauth: new token not saved to the token store")

	// ErrDecrypt means a FileStore file, or a token sealed by a Sealer,
	// could not be decrypted: it was altered, belongs to another key, or was
	// sealed with an encryption key the store was not given.
	ErrDecrypt = errors.New("oauth: token file cannot be decrypted")
)
