// Package bridge connects a HighLevel location with Mattermost: teams read a
// contact's tasks and notes in chat and act on them there, and HighLevel's
// changes appear in the right channel or thread. It is built only from this
// module's packages: ghl, contacts, tasks and notes for HighLevel, webhook
// to verify HighLevel's deliveries, and mattermost for the REST client, the
// formatter and the slash command, button and dialog handlers.
//
// A Bridge is an http.Handler serving
//
//	POST /ghl/webhook          HighLevel's webhooks (signed; see package webhook)
//	POST /mattermost/command   the slash command (token-checked)
//	POST /mattermost/action    Complete buttons (HMAC-signed contexts)
//	POST /mattermost/dialog    the "new task" dialog (HMAC-signed state)
//	GET  /healthz              liveness: {"status": ...}; details with BRIDGE_ADMIN_TOKEN
//	GET  /readyz               readiness: 200 once the probes of HighLevel, Mattermost and the store passed
//	GET  /metrics              Prometheus metrics (unless Config.MetricsAddr moves them)
//
// plus a deliverer, started with Run, that posts HighLevel's events to
// Mattermost. Run also probes every part at start (Probe), logs the
// results, and probes again in the background while one fails. Mount it in your own server or run examples/bridge:
//
//	cfg, err := bridge.ConfigFromEnv(os.Getenv)
//	b, err := bridge.New(cfg, bridge.WithLogger(logger))
//	go b.Run(ctx)
//	srv := &http.Server{
//		Addr:              cfg.Addr,
//		Handler:           b,
//		ReadHeaderTimeout: 10 * time.Second,
//		ReadTimeout:       30 * time.Second,
//		WriteTimeout:      60 * time.Second,
//		IdleTimeout:       2 * time.Minute,
//		MaxHeaderBytes:    64 << 10,
//	}
//	err = srv.ListenAndServe()
//
// Never serve it with http.ListenAndServe: without timeouts a client that
// sends slowly holds a connection for ever.
//
// # Slash command
//
// /ghl help; contact <c>; tasks <c>; notes <c> [--move]; task add <c> <title…>
// [--due YYYY-MM-DD|RFC3339] [--body text] (without a title: a dialog);
// task done <c> <taskId>; task edit <c> <taskId> [--title] [--due] [--body]
// [--assignee]; task reopen|delete <c> <taskId>; note add <c> <text…>; note
// edit <c> <noteId> <text…>; note delete <c> <noteId>; contact set <c>
// field=value…; contact add --first --last --email --phone; contact delete
// <c>; tag add|remove <c> <tag…>; search <text>; appointments <c>; business
// <businessId>; subscribe <c>; unsubscribe <c>. A contact <c> is an ID, an
// email or a phone number. Failures answer ephemerally, naming what went
// wrong, and leave nothing half done.
//
// Deletes and contact set are previewed (before → after) with Confirm and
// Cancel buttons bound to their author, the channel and one use, for 15
// minutes; a record changed in HighLevel since the preview (its dateUpdated,
// or for tasks and notes a digest of the record) is shown again rather than
// overwritten. Task posts carry an Edit button (a list, an "Edit a task…"
// menu) whose form is prefilled and sends only what changed; the post is
// redrawn in place.
//
// # Exactly once, both ways
//
// A webhook is answered 200 only once its event is on disk, in the outbox of
// the Store, in the same transaction that records its webhookId (the Store is
// the webhook.Verifier's DedupeStore, so replays are refused across
// restarts). The deliverer posts outbox events with retries and capped,
// jittered backoff, so a Mattermost outage delays posts and loses none, also
// across a restart; each post carries a pending_post_id derived from the
// webhookId, so a retry after a lost answer is recognised by Mattermost.
// Events of one contact are posted in order.
//
// Changes made from chat (a task created or completed, a note added or
// edited, a contact created or changed, tags changed) are
// marked in the Store before or as they are made, and the deliverer holds a
// contact's events while such a change is under way, so HighLevel's webhook
// for it is not announced a second time. A create whose answer is lost
// (ghl.ErrOutcomeUnknown) is looked up in HighLevel rather than repeated.
// Completing a task checks the Store and HighLevel first and is serialised
// per task: a second click, a replayed click, or a click on a task
// completed meanwhile writes nothing and says the task is already complete.
//
// # Many locations (app mode)
//
// With an OAuth app and no location (Config.OAuth set, Config.LocationID
// empty) one Bridge serves every location that installs the app: it serves
// GET /oauth/install and /oauth/callback, keeps each location's tokens in
// its store, and gives each location its own HighLevel client. Channels
// are connected to locations with the connect command. A webhook of a
// location where the app is installed is stored as above; one of a
// location where it is not is answered and counted
// (IgnoredWebhooks.NotInstalled). Events go only to the channels connected
// to their location. An UNINSTALL deletes the location's tokens and tells
// its channels once, through the outbox; an agency's UNINSTALL does so for
// every location whose token came through the agency.
//
// # State
//
// BoltStore keeps the threads, subscriptions, outbox, accepted webhookIds,
// completions and own-change marks in one bbolt file (Config.DataPath);
// writes that arrive together share one transaction and one fsync. Any
// Store implementation can replace it (WithStore).
//
// # Limits
//
// Mattermost deduplicates a repeated pending_post_id for only about 30
// seconds, so each event post also carries its pending_post_id in the
// "ghlkit_event" prop. An attempt in doubt (after a failed attempt, or for an
// event left by a process that stopped before recording its outcome) first
// looks for that marker among every post created in the channel since the
// event arrived (paging past the 1,000 posts one Mattermost "since" answer
// holds), and posts only when it is not there. A post of the earlier attempt
// that someone deleted meanwhile is found only while fewer than 1,000 posts
// of the channel changed since the event arrived. One Bridge owns a state file; run one
// replica per location.
package bridge
