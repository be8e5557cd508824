// Package mattermost is ghlkit's chat half: a Mattermost REST API v4 client,
// a formatter that renders HighLevel contacts, tasks and notes as
// Mattermost messages, and the http.Handlers an integration needs for slash
// commands, interactive buttons and interactive dialogs.
//
// Mattermost's own Go modules are not used; the types here are written by
// hand against Mattermost's documented REST API and integration formats.
// Package mattermosttest is a fake Mattermost server for tests.
//
// # Client
//
// NewClient takes the server URL and a bot or personal access token:
//
//	c, err := mattermost.NewClient("https://chat.example.com", botToken)
//	post, err := c.CreatePost(ctx, &mattermost.Post{ChannelID: ch, Message: "Hello"})
//
// Its calls are CreatePost, PatchPost, GetPost, GetThread, GetPostsSince,
// GetPostsPage, PostsCreatedSince, CreateEphemeralPost, OpenDialog and Me,
// each taking a context first.
// Incoming webhooks (POST /hooks/<key>) have their own WebhookPoster, and a
// slash command's response_url its ResponseClient.
//
// Bad input is refused before anything is sent, with an error matching
// ErrInvalidParam; that includes what Mattermost's server would refuse: a
// message over MaxMessageRunes (posts, webhook text, slash command responses
// and each of their extra responses, an action's update; refused, never
// cut: split long text with SplitMessage), props over MaxPropsRunes, more
// than MaxFileIDs files, and a dialog past the server's limits
// (ValidateDialog). Mattermost's error answers are *APIError:
//
//	var apiErr *mattermost.APIError
//	if errors.As(err, &apiErr) {
//		log.Print(apiErr.StatusCode, apiErr.ID, apiErr.RequestID)
//	}
//
// IsNotFound, IsUnauthorized and IsForbidden test the common cases. When
// the context ends, calls return ctx.Err() itself. Tokens, webhook keys and
// response URLs never appear in errors or logs (WithLogger); they are
// replaced by [REDACTED].
//
// # Retries and duplicate posts
//
// The client uses ghlkit's one retry policy (the same as package ghl):
// GET, PUT and requests known to be safe are retried on connection errors,
// 429 and 5xx with capped exponential backoff; other POSTs only when the
// request provably never left, or on 429. See WithRetry.
//
// Creating a post is a POST, yet CreatePost is retried safely: every create
// carries a pending_post_id (generated unless the Post has one), the same on
// every retry, and Mattermost answers a repeated pending_post_id with the
// post it already created. A create whose connection dropped after
// Mattermost stored it therefore returns that post on retry and never posts
// twice. (Mattermost remembers the ids for about 30 seconds, per app
// server.) A retry that overlaps a create Mattermost is still saving gets a
// "pending" 500, which is retried the same way; if the retries run out the
// error matches ErrPostPending (repeat with the same pending_post_id, never
// a new one). Incoming webhooks and ephemeral posts have no such
// deduplication: when their outcome is unknown the error matches
// ErrOutcomeUnknown and nothing is retried.
//
// # Formatting
//
// Formatter renders a contact card, a task list, a single task, a note, a
// note list, and "task created" and "task completed" confirmations as
// Message values (Markdown text plus attachments), which convert to a Post,
// a CommandResponse or a WebhookMessage. Text from the CRM is untrusted and
// is escaped: Markdown that would change the layout is backslash-escaped and
// @channel, @all, @here and @user mentions are broken with a zero-width
// space so they notify no one (EscapeMarkdown, EscapeInline, PlainText).
// Mattermost users who enabled notifications for plain words (their first
// name, say) can still be notified by CRM text that contains those words;
// nothing short of mangling the text prevents that.
//
// A post holds at most MaxMessageRunes characters. Lists longer than that
// are split at item boundaries into several messages (SplitMessage); post
// them with Client.PostMessages, which threads the parts.
//
// # Slash commands
//
// SlashHandler serves a custom slash command's request URL. It checks the
// command token (the form's token and the "Authorization: Token" header) in
// constant time against the tokens it was given, answers 401 without doing
// anything when they do not match, and otherwise calls a SlashFunc.
// CommandSet is a ready SlashFunc: it parses the text with a small grammar
// (quoted arguments, --flag value, --switch; see ParseCommand), routes to
// Commands by name and generates help:
//
//	set := mattermost.NewCommandSet("/ghl")
//	set.Add(mattermost.Command{
//		Name: "task add", Help: "Create a task.",
//		Args:  []mattermost.ArgSpec{{Name: "contact-id"}, {Name: "title", Rest: true}},
//		Flags: []mattermost.FlagSpec{{Name: "due", Placeholder: "date"}},
//		Run: func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
//			...
//		},
//	})
//	h, err := mattermost.NewSlashHandler([]string{commandToken}, set.Dispatch)
//	mux.Handle("/mattermost/command", h)
//
// Mattermost waits only a few seconds for an answer: return Defer(ack,
// work) to answer at once and have the handler post work's result to the
// command's response_url.
//
// # Buttons and dialogs
//
// Mattermost does not sign the requests it sends when a button is clicked
// or a dialog submitted, and it passes the button's context and the dialog's
// state through unchanged. Signer signs them (HMAC-SHA256 with an expiry,
// bound to the action name or dialog callback ID), and ActionHandler and
// DialogHandler accept only requests whose signature verifies: a missing or
// altered context or state gets 403, an expired one a polite message, and in
// neither case is the integrator's function called. A Binding ties a token
// to where and for whom it is valid: a button to the channel it is posted
// in, a dialog to the user who opened it, and to one use (the receiver
// records Token.NonceKey); the handlers refuse a token used elsewhere, with
// the reason (RefusalText).
//
//	signer, err := mattermost.NewSigner(secret) // 32+ random bytes
//	in, err := signer.Integration("https://bridge.example.com/mattermost/action", "complete",
//		map[string]string{"task": taskID, "contact": contactID}, mattermost.Binding{ChannelID: channelID})
//	// put in into an Action of a post's attachment
//
//	actions, err := mattermost.NewActionHandler(signer)
//	actions.Handle("complete", func(ctx context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
//		// req.Values["task"] is what was signed
//		done := formatter.TaskCompleted(task, req.UserName)
//		return &mattermost.ActionResponse{Update: &mattermost.PostUpdate{
//			Message: done.Text, Props: mattermost.Props{Attachments: done.Attachments}}}, nil
//	})
//
// DialogHandler.Open signs values into a dialog's state and opens it with a
// trigger ID, which is valid for the server's integration timeout (30
// seconds by default on current servers, 3 on old ones); its DialogFuncs
// receive the submission or the cancellation (both of type
// "dialog_submission", the cancellation with Cancelled set) and answer with
// per-field errors (FieldErrors) to keep the dialog open.
//
// The handlers are plain http.Handlers that share nothing: mount them on
// any mux, wrap them in middleware, or build a bridge on top of them.
package mattermost
