// Package mattermosttest is a fake Mattermost server for tests, in the
// spirit of net/http/httptest and slack-go's slacktest. It runs on
// 127.0.0.1 and speaks the parts of Mattermost that package mattermost
// uses:
//
//   - REST API v4 with bearer-token auth: users/me, creating posts (with
//     pending_post_id deduplication within a 30-second window, and a 500
//     api.post.deduplicate_create_post.pending for a repeat that overlaps
//     a create still being saved, as Mattermost does), the server's post
//     limits (message, props, file IDs), patching, getting posts and
//     threads, a channel's posts since a time (update_at strictly after
//     it, at most 1,000, deleted posts included) or by page, ephemeral
//     posts, opening dialogs with a trigger ID (valid for the server's
//     integration timeout, 30 seconds by default) and Mattermost's dialog
//     limits.
//   - Incoming webhooks (POST /hooks/<key>; a text over the message limit
//     becomes several posts, as Mattermost cuts it) and slash command
//     response URLs (5 uses in 30 minutes).
//
// Posts, threads, ephemeral posts, opened dialogs and every request are kept
// for inspection (Post, Posts, Thread, Ephemeral, Dialogs, Requests). As on
// a real server, the API never returns a button's integration (URL and
// context) to clients; Post shows the stored one.
//
// Faults make it misbehave: Fail with a Fault answers a status (503 with
// Retry-After, say), adds latency, drops the connection, or applies a
// request and then drops the connection (AfterWrite) so that the client
// cannot know it worked; SetOutage makes everything answer 503 until it is
// turned off; SetLatency slows every request.
//
// A Session (Server.As) acts as a user and sends integrations exactly what
// Mattermost sends: a slash command's form POST with its token, a button
// click's JSON with the stored context, a dialog submission or
// cancellation (both of type "dialog_submission"; a cancellation has
// "cancelled": true). It then applies the answers as Mattermost would: in-channel
// responses become posts, ephemeral ones are recorded, a click's update
// replaces the post. NewSlashRequest, NewActionRequest and NewDialogRequest
// build the raw requests for tests that forge or alter them.
package mattermosttest
