// Package ghl is the shared transport of ghlkit, a Go SDK for HighLevel's
// (GoHighLevel / LeadConnector) Contacts API v2.
//
// A Client authenticates, paces, retries and decodes; the typed services in
// the sub-packages share it:
//
//	c, err := ghl.NewClient(ghl.WithToken(os.Getenv("GHL_TOKEN")), ghl.WithLocationID(loc))
//	ts := tasks.New(c)      // github.com/ghlkit/ghl/tasks
//	ns := notes.New(c)      // github.com/ghlkit/ghl/notes
//	cs := contacts.New(c)   // github.com/ghlkit/ghl/contacts
//
// # Authentication
//
// WithToken takes a static bearer token: a Private Integration Token or a
// location access token. WithTokenSource takes an oauth2.TokenSource, such as
// the rotating, persisted sources of package github.com/ghlkit/ghl/oauth.
// Grant the least privilege that works: contacts.readonly to read,
// contacts.write only where the integration writes. When an OAuth token says
// which scopes it holds, a write it cannot make fails before it is sent with
// a *ScopeError naming the missing scope.
//
// # Errors
//
// A non-2xx answer is an *APIError carrying the status, HighLevel's message
// (sent as a string or a list of strings), its raw body and the rate-limit
// state:
//
//	var apiErr *ghl.APIError
//	if errors.As(err, &apiErr) {
//		log.Printf("HighLevel said %d: %s", apiErr.StatusCode, apiErr.Message)
//	}
//
// Helpers answer the common questions: IsNotFound, IsUnauthorized,
// IsRateLimited. Bad input is refused before any request with a *ParamError
// (errors.Is(err, ErrInvalidParam)). When the context ends, calls return
// ctx.Err() itself. No error or log line ever contains a token.
//
// # Retries
//
// Reads (GET), PUT and DELETE are retried on connection errors and on 429,
// 500, 502, 503 and 504. A create (POST) is retried only when HighLevel
// answered 429 or the request provably never left (dial, DNS, TLS handshake):
// after a timeout or a 5xx it may have been applied, and repeating it could
// create a duplicate, so the call fails with an error matching
// ErrOutcomeUnknown instead. Read-only POSTs such as a contact search are
// retried like reads. Retry-After is honoured up to RetryPolicy.MaxWait;
// otherwise the wait grows exponentially with jitter. A cancelled context
// ends a wait at once. When retries run out, HighLevel's last answer is
// returned as an *APIError.
//
// # Rate limits
//
// HighLevel allows 100 requests per 10 seconds per app and location, and a
// daily cap. The client paces itself to stay under the burst limit (see
// WithRateLimit), adopts the limits HighLevel announces in its X-RateLimit-*
// headers, and reports the latest state, the daily remainder included,
// through Client.RateLimit and Response.Rate.
//
// # Pagination
//
// List endpoints return one page per call; their All methods
// (contacts.Service.ListAll, SearchAll) walk every page lazily as an
// iter.Seq2: one page in memory, no request after the loop stops.
//
// # Updates and HighLevel's answers
//
// The UpdateParams of packages contacts, tasks and notes hold each optional
// field as a [Field]: leave it zero to keep the value, [Set] it to send a
// value, or [Null] it to clear the value where the spec allows null. When
// HighLevel answers a change with {"succeded": false}, the error wraps
// [ErrNotSucceeded]; a 2xx answer without the record it should wrap is
// [ErrNotFound].
//
// # Logging
//
// The client logs nothing unless given a *slog.Logger with WithLogger;
// WithLogger(nil) also logs nothing.
//
// # Metrics and tracing
//
// WithObserver calls a function after every attempt of every request,
// retries included, with its method, route template ("/contacts/{id}/tasks",
// no IDs or query), status, attempt number and duration, so that a program
// feeds its own metrics library; the SDK depends on none.
//
// # Testing
//
// Package github.com/ghlkit/ghl/ghltest runs an in-memory HighLevel on
// loopback, with faults and rate limits, for tests and demos; package
// github.com/ghlkit/ghl/webhook verifies HighLevel's signed webhooks.
package ghl
