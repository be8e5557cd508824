// Package oauth runs HighLevel's OAuth 2.0 token lifecycle for marketplace
// apps: the install flow, the code exchange, refreshing with single-use
// refresh tokens, agency-to-location tokens, and storing tokens safely.
//
// HighLevel's access tokens live about a day. Each refresh returns a new
// refresh token and kills the old one, so an app that refreshes twice at once,
// or loses the new refresh token before saving it, is locked out until a
// person installs it again. This package prevents both: one refresh at a time
// per location or company, and every new token is saved to a TokenStore
// before it is used.
//
// # Install flow
//
//	app, err := oauth.NewApp(oauth.Config{
//		ClientID: id, ClientSecret: secret,
//		RedirectURL: "https://example.com/oauth/callback",
//		Scopes: []string{"contacts.readonly", "contacts.write"},
//		Store: store, // a FileStore, or your database
//	})
//	// 1. Send the installer to the consent page.
//	state := oauth.NewState() // keep it in a short-lived HttpOnly cookie
//	http.Redirect(w, r, app.AuthCodeURL(state), http.StatusFound)
//	// 2. On the redirect URI, check state, exchange the code (this saves the token).
//	if !oauth.VerifyState(r.FormValue("state"), cookieValue) { ... }
//	tok, err := app.Exchange(ctx, r.FormValue("code"), oauth.UserTypeLocation)
//	// 3. Call the API for that location, with tokens that renew themselves.
//	ts, err := app.TokenSource(serverCtx, tok.LocationID)
//	client, err := ghl.NewClient(ghl.WithTokenSource(ts), ghl.WithLocationID(tok.LocationID))
//
// The client asks the TokenSource for a token before each request; on a 401
// it calls InvalidateToken and repeats the request once with a renewed token.
// The tokens carry their scopes, so a write with a token lacking
// contacts.write fails before it is sent (*ghl.ScopeError).
//
// # Agency tokens
//
// Installed for an agency (UserTypeCompany), the app gets a company token.
// App.LocationToken turns it into a token for one of the agency's locations
// and stores that under the location ID; the location's TokenSource renews it
// through the agency token. App.InstalledLocations lists the agency's
// locations and whether the app is installed in each.
//
// # Errors
//
// Errors from HighLevel's token endpoints wrap *oauth2.RetrieveError
// (status, body). HighLevel answers in the spec's shape {"statusCode",
// "message", "error"} rather than RFC 6749's; its message is kept as the
// RetrieveError's ErrorDescription, and so in the error's text.
// errors.Is(err, ErrReinstallRequired) means HighLevel refused the refresh
// token (spent, revoked or expired: invalid_grant, or a 400 or 401 whose
// message says the grant or the refresh token is invalid): only a new
// install helps. ErrTokenNotSaved means
// the TokenStore failed after HighLevel rotated the token; see TokenSource for
// exactly what happens then. ErrNotFound means nothing is stored for the key.
//
// # Storing tokens
//
// FileStore encrypts each token with AES-256-GCM under a key you provide and
// writes it atomically with mode 0600; EncryptionKey IDs allow rotating that
// key. MemoryStore is for tests. Any database works through the two-method
// TokenStore interface; a Sealer gives it the FileStore's encryption and key
// rotation. A store that several processes share should also implement
// RefreshLocker, so that only one of them spends a refresh token (the
// bridge's PostgreSQL store does, with an advisory lock per location).
package oauth
