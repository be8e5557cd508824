// Package tasks reads and writes the tasks HighLevel keeps on a contact
// (the Tasks operations of the Contacts API v2).
//
// Create a Service from the one shared [ghl.Client]:
//
//	c, err := ghl.NewClient(ghl.WithToken(token))
//	...
//	svc := tasks.New(c)
//	t, err := svc.Create(ctx, contactID, tasks.CreateParams{
//		Title:   "Call back",
//		DueDate: time.Now().Add(24 * time.Hour),
//	})
//
// Every method checks its input before sending anything, returning an error
// that satisfies errors.Is(err, ghl.ErrInvalidParam). HighLevel's errors are
// *ghl.APIError; use ghl.IsNotFound for a missing contact or task.
//
// Create is a POST and is never retried after the request may have reached
// HighLevel: if the connection fails without a response, or HighLevel answers
// 5xx, the error wraps ghl.ErrOutcomeUnknown, and the caller should List
// before creating again. Reads, updates and deletes are idempotent and are
// retried by the client's retry policy.
package tasks
