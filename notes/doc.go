// Package notes reads and writes the notes HighLevel keeps on a contact
// (the Notes operations of the Contacts API v2).
//
// Create a Service from the one shared [ghl.Client]:
//
//	c, err := ghl.NewClient(ghl.WithToken(token))
//	...
//	svc := notes.New(c)
//	n, err := svc.Create(ctx, contactID, notes.CreateParams{Body: "Asked for a quote"})
//
// Every method checks its input before sending anything, returning an error
// that satisfies errors.Is(err, ghl.ErrInvalidParam). HighLevel's errors are
// *ghl.APIError; use ghl.IsNotFound for a missing contact or note.
//
// Create is a POST and is never retried after the request may have reached
// HighLevel: if the connection fails without a response, or HighLevel answers
// 5xx, the error wraps ghl.ErrOutcomeUnknown, and the caller should List
// before creating again. Reads, updates and deletes are idempotent and are
// retried by the client's retry policy.
package notes
