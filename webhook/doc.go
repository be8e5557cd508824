// Package webhook receives HighLevel's webhooks safely: it verifies each
// delivery's signature on the raw body, rejects stale and replayed
// deliveries, and decodes the payload into a typed event.
//
// Anyone who learns a webhook URL can post to it, so a receiver must prove
// each delivery came from HighLevel, and process it once. The usual mistakes,
// and what this package does instead:
//
//   - Verifying a re-serialized body: signatures are checked on the exact
//     bytes received, before anything is decoded.
//   - Letting unsigned requests through: a missing, empty, repeated,
//     malformed or non-matching signature is a rejection, each with its own
//     sentinel error (ErrNoSignature, ErrMalformedSignature,
//     ErrBadSignature, ErrNoKey), never a warning.
//   - Ignoring replays: the payload's timestamp must be within a tolerance
//     (DefaultTolerance, 5 minutes, either way; else ErrTooOld), and its
//     webhookId is remembered for that window by a DedupeStore (a repeat is
//     ErrDuplicate). Only verified deliveries reach the store.
//   - Remembering too early: a webhookId marked as seen before processing
//     succeeded turns HighLevel's redelivery of a failed event into a
//     "duplicate" that is never processed. Verify has no side effect;
//     remembering is a separate, two-phase step (Reserve, then Commit or
//     Release).
//
// # Signatures
//
// HighLevel signs the raw body with Ed25519 in the X-GHL-Signature header
// (standard base64). Configure its public key with WithPublicKeys; give
// several during a rotation. The legacy scheme, RSA-SHA256 in X-WH-Signature,
// was deprecated by HighLevel on 2026-07-01 and is accepted only after
// WithLegacyRSA, which defaults to the key HighLevel publishes
// (HighLevelRSAPublicKeyPEM). When a request carries both headers and an
// Ed25519 key is configured, the Ed25519 signature alone decides.
//
// Signature checks use public keys only: no secret is compared, so there is
// nothing to leak through timing.
//
// # Receiving
//
// Handler is an http.Handler that does everything: it caps the body, checks
// the method, verifies, deduplicates, calls your function with the event and
// answers HighLevel with a status that makes it retry exactly when it should.
// If your function fails, the webhookId is released so that HighLevel's retry
// (same webhookId) is processed instead of being dropped as a duplicate; a
// retry that arrives while the first attempt still runs is told to come back
// later (503) rather than acknowledged for work that may yet fail.
//
// Outside net/http, Verifier.Verify does the checks on a body and headers
// you read yourself and remembers nothing. To process each event once,
// follow it with Verifier.Reserve, then Verifier.Commit when processing
// succeeded or Verifier.Release when it failed (see Verify's example).
//
// # Events
//
// Verify, Handler and Parse produce an Event: a pointer to a struct chosen by
// the payload's type (*ContactCreate, *TaskComplete, *AppInstall, ...), or an
// *UnknownEvent holding the raw JSON for a type this package does not know.
// Contacts, tasks, notes and appointments use the REST API's types
// (contacts.Contact, tasks.Task, notes.Note, contacts.Appointment), so code
// handling a webhook and code handling an API response are the same. Dates
// are time.Time in UTC, decoded from any form HighLevel sends.
//
// # Testing receivers
//
// Signer signs payloads as HighLevel does. ghltest.WebhookPrivateKeys and
// ghltest.WebhookPublicKeys give a fixed key pair for tests (published in
// ghltest's source, so never trusted in production), the one ghltest's fake
// server signs its webhooks with. WithClock sets the clock of a test that
// verifies a recorded delivery; for time passing, testing/synctest works
// with the default clock.
package webhook
