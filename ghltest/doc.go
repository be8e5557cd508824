// Package ghltest is an in-memory HighLevel (LeadConnector) Contacts API v2
// server for tests, demos and benchmarks, in the spirit of net/http/httptest.
//
// NewServer starts a real HTTP server on 127.0.0.1. Point the SDK (or any
// HTTP client) at Server.URL, register bearer tokens with AddToken, seed
// data with AddContact, AddTask, AddNote, SeedContacts..., and inspect what
// the code under test did with Contact, Tasks, Notes and Requests.
//
//	srv := ghltest.NewServer()
//	t.Cleanup(srv.Close)
//	srv.AddToken("tok", "loc1", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
//	c := srv.AddContact(ghltest.Contact{LocationID: "loc1", FirstName: "Ada"})
//
// # What it serves
//
// Every path and method of HighLevel's apps/contacts.json, with HighLevel's
// JSON shapes ({"contact": …}, {"tasks": […]}, {"note": …}, {"succeded":
// true}), status codes (201 for creates, 200 otherwise) and error bodies
// ({"statusCode": 401, "message": "Invalid token: access token is
// invalid", "error": "Unauthorized"}; 422 carries "message" as a list of
// strings). Unknown routes get {"statusCode": 404, "message": "Cannot GET
// /path"}. A trailing slash is
// ignored, so GET /contacts and GET /contacts/ are the same route.
//
// Every Contacts request is checked in this order: fault injection,
// route, bearer token (401 "Invalid token: access token is invalid" when
// missing, unknown, revoked or expired), rate limit (429), the Version
// header (400 when missing or not 2021-07-28), the scope (401 "The token
// is not authorized for this scope.", which is what HighLevel answers),
// then the handler. Reads need contacts.readonly and writes need
// contacts.write; the scopes are separate, as in HighLevel, so a token
// needs both to read and write. POST /contacts/search and GET
// /contacts/search/duplicate are reads. The bulk routes, which the
// spec lists without security, need contacts.write too.
//
// A token belongs to one location. A locationId (query or body) of another
// location, or a contact of another location, gives 403 "The token does
// not have access to this location.". A contact, task or note that does
// not exist gives what HighLevel answers, 400 {"statusCode": 400,
// "message": "Contact not found"} ("Task not found", "Note not found"):
// the spec lists no 404 on the Contacts routes. ghl.IsNotFound recognises
// it.
//
// Validation follows HighLevel's NestJS pipes: missing or mistyped fields
// and properties the DTO does not declare give 422 with messages such as
// "title should not be empty" or "property foo should not exist". Each
// contact body accepts its own DTO's fields: an update with companyName,
// gender or locationId, which UpdateContactDto lacks, gets 422.
// Creating a contact (or changing one) to an email or phone another
// contact of the location has gives 400 "This location does not allow
// duplicated contacts." unless Location.AllowDuplicateContacts is set. As
// in HighLevel, phones are normalized (+1 for ten-digit numbers) and tags
// are lower-cased.
//
// # Listing and search
//
// GET /contacts/ returns contacts oldest first and pages with limit (max
// 100), startAfter (dateAdded in milliseconds) and startAfterId, with
// meta {total, currentPage, nextPage, prevPage, startAfter, startAfterId,
// nextPageUrl}; the cursor fields are absent on the last page.
//
// POST /contacts/search returns {"contacts": […], "total": n}, each contact
// with a "searchAfter" cursor ([sort values…, id]). It supports page and
// pageLimit (max 500; page × pageLimit at most 10,000), searchAfter, a
// free-text "query" (name, email, phone, company), "sort" ([{field,
// direction}]; default dateAdded desc) and "filters": {field, operator,
// value} items and {group: "AND"|"OR", filters: […]} groups. Operators:
// eq, not_eq, contains, not_contains, exists, not_exists for text fields
// (email, phone, firstNameLowerCase, companyName, businessId, …); eq/
// contains (any of the values) and not_eq/not_contains for tags and
// followers; eq/not_eq for dnd; range ({gt, gte, lt, lte}, ISO dates or
// milliseconds) for dateAdded and dateUpdated. Other fields or operators
// give 422. Sorting by dateAdded walks a sorted index, so paging through
// 100,000 contacts (SeedContacts) stays fast.
//
// GET /contacts/search/duplicate looks up by email first, then number, and
// answers {"contact": null} when there is none.
//
// # Rate limits
//
// Requests are counted per app and location (tokens from AddToken count as
// one app): DefaultRateLimitMax per DefaultRateLimitWindow and
// DefaultRateLimitDaily per UTC day, as HighLevel documents. Each
// authenticated response carries X-RateLimit-Limit-Daily,
// X-RateLimit-Daily-Remaining, X-RateLimit-Interval-Milliseconds,
// X-RateLimit-Max and X-RateLimit-Remaining; past a limit the server
// answers 429 with Retry-After. WithRateLimit changes the limits,
// WithoutRateLimit turns them off and WithClock lets a test move time.
// Responses to requests without a valid token, and the OAuth endpoints,
// carry no rate-limit headers.
//
// # OAuth
//
// POST /oauth/token (form-encoded; client credentials in the form or with
// HTTP Basic) supports the authorization_code and refresh_token grants
// with user_type Location or Company, POST /oauth/locationToken turns an
// agency token (oauth.write) into a location token, and GET
// /oauth/installedLocations lists an agency's locations (its own, added
// with AddLocation) and whether an app is installed in each (agency token
// with oauth.readonly; companyId and appId required; skip, limit, query,
// isInstalled and locationId filter; the fake has no trials, plans or app
// versions, so onTrial=true, planId or versionId match nothing). Register
// apps with
// AddOAuthClient and installs with Authorize, which returns the
// authorization code a redirect would carry. Refresh tokens rotate: each
// refresh returns a new one and the used one is rejected afterwards with
// 400 "Invalid grant: refresh token is invalid"; the access token it came
// with stays valid until it expires. Access tokens last
// WithAccessTokenLifetime (default a day) on the server's clock;
// RevokeToken invalidates one at once. OAuth errors have the spec's shape,
// {"statusCode", "message", "error"} (422s with a list of messages), which
// golang.org/x/oauth2 reports as *oauth2.RetrieveError and package oauth
// reads. Faults apply to
// the OAuth endpoints too. TokenRequests counts calls to
// /oauth/token, to assert that concurrent callers refreshed once.
//
// # Several locations and agencies
//
// One server holds any number of locations and agencies (companies): each
// token reaches only its own location. An agency installs an app with a
// Company install (Authorize), later sub-accounts join it with
// InstallLocation, and a location or the agency removes it with Uninstall
// or UninstallCompany, which kill the tokens concerned as HighLevel does.
// Each of these emits HighLevel's INSTALL or UNINSTALL event (AppInstall,
// AppUninstall) to the webhook target.
//
// # Faults
//
// Fail injects failures into matching requests: a status (429 with
// Retry-After, 500, 502, 503…), a dropped connection, latency, or
// AfterWrite, which performs the request and then drops the connection so
// the client cannot tell whether a create happened.
//
// # Webhooks
//
// After SetWebhookTarget, changes made through the API or the seeding
// methods are POSTed to the target as HighLevel's webhook events
// (ContactCreate, ContactUpdate, ContactTagUpdate, ContactDndUpdate,
// ContactDelete, TaskCreate, TaskComplete, TaskDelete, NoteCreate,
// NoteUpdate, NoteDelete, AppointmentCreate, AppointmentDelete, and the
// app's INSTALL and UNINSTALL) with
// "timestamp" (RFC 3339) and "webhookId", signed with the published test
// keys of WebhookPrivateKeys (verify with WebhookPublicKeys) unless
// WithWebhookSigner sets another signer.
// Delivery is asynchronous; FlushWebhooks waits
// for it and WebhookDeliveries reports it. FailWebhooks sends duplicates,
// stale timestamps or bad signatures. SeedContacts emits nothing.
//
// # Determinism
//
// IDs are 20-character alphanumerics drawn from a seeded generator
// (WithSeed), so a test that makes the same calls gets the same IDs.
// Tokens, codes and webhook IDs come from a separate stream and do not
// shift resource IDs.
package ghltest
