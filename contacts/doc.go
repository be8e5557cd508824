// Package contacts reads and writes HighLevel contacts: the Contacts API v2
// other than tasks and notes, which have their own packages.
//
// Create a Service from the one shared [ghl.Client]:
//
//	c, err := ghl.NewClient(ghl.WithToken(token), ghl.WithLocationID(locationID))
//	...
//	svc := contacts.New(c)
//	ct, err := svc.Get(ctx, contactID)
//
// # Operations
//
//   - One contact: Get, Create, Update, Upsert, Delete.
//   - Many: List (GET /contacts/, deprecated by HighLevel) and Search (POST
//     /contacts/search), one page per call; ListAll and SearchAll walk every
//     page as an iter.Seq2[Contact, error]. ListByBusiness lists the contacts
//     of a business.
//   - Lookup: GetDuplicate (HighLevel's duplicate rules); FindByEmail and
//     FindByPhone, which fall back to Search.
//   - Tags: AddTags, RemoveTags, BulkAddTags, BulkRemoveTags.
//   - Businesses: BulkAddToBusiness, BulkRemoveFromBusiness.
//   - Followers: AddFollowers, RemoveFollowers.
//   - Campaigns and workflows: AddToCampaign, RemoveFromCampaign,
//     RemoveFromAllCampaigns, AddToWorkflow, RemoveFromWorkflow.
//   - ListAppointments.
//
// # Locations
//
// Calls that need a locationId take it in their options or params; when left
// empty, the client's default location (ghl.WithLocationID) is used, and
// without one the call fails before sending anything.
//
// # Updating: unchanged, set, cleared
//
// UpdateParams holds every field as a [ghl.Field] (as in packages tasks and
// notes), which has three states: the zero Field leaves the contact's value
// alone, [ghl.Set] sends a value, and [ghl.Null] sends JSON null to clear it:
//
//	svc.Update(ctx, id, contacts.UpdateParams{
//		City:  ghl.Set("Berlin"),    // "city": "Berlin"
//		Email: ghl.Null[string](),   // "email": null
//		Tags:  ghl.Set([]string{}),  // "tags": [] (removes every tag)
//	})                                    // no other member is sent
//
// # Custom fields
//
// A custom field's value is a string, a number, a list of strings or an
// object, depending on the field's type. [FieldValue] keeps it as raw JSON,
// with constructors (StringValue, NumberValue, StringsValue, JSONValue,
// NullValue) and readers (AsString, AsNumber, AsStrings, Decode). A custom
// field written needs its ID, as the spec requires; a Key may go along but
// is not accepted alone.
//
// # Decoding
//
// Answers are decoded once, by encoding/json. One odd value never fails a
// contact: a date in a form HighLevel is not known to send, or a value of
// the wrong type (a birthMonth of 8.5), leaves its field zero, and
// Contact.Extra reports it as sent, with the members Contact does not model.
//
// # Errors
//
// Every method checks its input before sending anything (empty IDs, empty
// tag lists, a missing location), returning an error for which
// errors.Is(err, ghl.ErrInvalidParam) is true. HighLevel's errors are
// *ghl.APIError; ghl.IsNotFound is true for a missing contact and for
// lookups that found nothing. A change HighLevel answers with {"succeded":
// false} wraps ghl.ErrNotSucceeded. Create is a POST and is not retried once it
// may have reached HighLevel: an unknown outcome wraps ghl.ErrOutcomeUnknown.
// Search changes nothing, so it is retried like a GET.
package contacts
