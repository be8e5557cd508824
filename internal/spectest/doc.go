// Package spectest validates HTTP requests and responses against
// HighLevel's OpenAPI specification (apps/contacts.json and apps/oauth.json
// of the reference directory) with kin-openapi, for conformance tests.
//
// The specification is not part of the project: Load reads it from the
// directory named by the GHL_SPEC_DIR environment variable (a path relative
// to the module root, such as ../shared/reference/ghl-api, or absolute) and
// skips the test when the variable is unset.
//
// # Quirks of the specification, and how they are handled
//
//   - The spec's server is https://services.leadconnectorhq.com; requests to
//     any host (ghltest's 127.0.0.1 URL) are matched on their path only.
//   - GET and POST /contacts/ are declared with a trailing slash; a request
//     to /contacts is matched to /contacts/ (HighLevel, like ghltest,
//     ignores the trailing slash).
//   - Schemas typed "object" without properties whose example is not an
//     object (dateOfBirth of the contact DTOs, field_value of the numeric
//     and monetary custom fields) accept any JSON value: HighLevel sends
//     and expects strings and numbers there.
//   - Arrays typed as strings whose example holds objects (the "responses"
//     of the bulk tags update response) accept objects too: HighLevel
//     returns one object per contact.
//   - The "value" of a contact's custom field (CustomFieldSchema) is typed
//     string, but HighLevel returns numbers, lists and objects for numeric,
//     checkbox and file fields, as the input schemas and the webhook-events
//     docs (string, number, array, object) show: any type is accepted.
//   - POST /contacts/bulk/tags/update/{type} does not declare its "type"
//     path parameter; it is not validated.
//   - Examples are not validated (several contradict their schemas).
//   - Response statuses: a 2xx status the operation does not declare is an
//     error (so 201 versus 200 is checked); undeclared error statuses (403,
//     404, 429...) are not validated, since the spec documents few of them.
//   - Security: any "Authorization: Bearer <token>" header satisfies the
//     spec's bearer schemes; scopes are not checked here.
package spectest
