package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
	"github.com/ghlkit/ghl/webhook"
)

// Action names and dialog callback IDs, signed into buttons and dialogs.
const (
	actionComplete = "complete"
	dialogTaskAdd  = "task_add"
)

// commandTimeout bounds the work of one slash command, click or dialog:
// Mattermost waits 30 seconds for an integration at most.
const commandTimeout = 25 * time.Second

// chatRoutes registers the Mattermost endpoints on mux.
func (b *Bridge) chatRoutes(mux *http.ServeMux) error {
	set := mattermost.NewCommandSet(b.trigger)
	contactArg := mattermost.ArgSpec{Name: "contact"}
	// Alone, the contact may be typed with spaces (a phone number).
	onlyContact := []mattermost.ArgSpec{{Name: "contact", Rest: true}}
	cmds := []mattermost.Command{
		{Name: "contact", Help: "Show a contact's card (the contact is an ID, an email or a phone number).", Args: onlyContact, Run: b.cmdContact},
		{Name: "tasks", Help: "List the contact's tasks in this channel, each open one with a Complete button.", Args: onlyContact, Run: b.cmdTasks},
		{
			Name: "notes", Help: "Post the contact's notes in its thread; run again to add only new ones. Elsewhere than the thread's channel, shows them to you only.",
			Args:  onlyContact,
			Flags: []mattermost.FlagSpec{{Name: "move", Bool: true, Help: "move the contact's thread (and its events) to this channel; channel or bridge admins only"}},
			Run:   b.cmdNotes,
		},
		{
			Name: "task add", Help: "Create a task (due tomorrow 09:00 unless --due). Without a title, opens a form.",
			Args: []mattermost.ArgSpec{contactArg, {Name: "title", Optional: true, Rest: true}},
			Flags: []mattermost.FlagSpec{
				{Name: "due", Placeholder: "YYYY-MM-DD|RFC3339", Help: "due date, in " + b.cfg.Location.String() + " unless the time says its zone"},
				{Name: "body", Placeholder: "text", Help: "description; quote it if it has spaces"},
			},
			Run: b.cmdTaskAdd,
		},
		{Name: "task done", Help: "Mark a task complete.", Args: []mattermost.ArgSpec{contactArg, {Name: "taskId"}}, Run: b.cmdTaskDone},
		{Name: "note add", Help: "Add a note to the contact and post it in its thread.", Args: []mattermost.ArgSpec{contactArg, {Name: "text", Rest: true}}, Run: b.cmdNoteAdd},
		{Name: "subscribe", Help: "Post the contact's HighLevel events in this channel (channel or bridge admins only).", Args: onlyContact, Run: b.cmdSubscribe},
		{Name: "unsubscribe", Help: "Stop posting the contact's events in this channel (channel or bridge admins only).", Args: onlyContact, Run: b.cmdUnsubscribe},
		{Name: "status", Help: "Show the HighLevel location this channel acts on.", Run: b.cmdStatus},
	}
	if b.apps != nil {
		cmds = append(cmds,
			mattermost.Command{Name: "connect", Help: "Connect this channel to a HighLevel location where the app is installed (system or bridge admins only).", Args: []mattermost.ArgSpec{{Name: "locationId"}}, Run: b.cmdConnect},
			mattermost.Command{Name: "disconnect", Help: "Disconnect this channel from its HighLevel location (channel or bridge admins only).", Run: b.cmdDisconnect},
		)
	}
	examples := b.commandExamples()
	for _, c := range append(cmds, b.editCommands()...) {
		c.Example = examples[c.Name]
		c.Run = b.command(c.Name, writeCommands[c.Name], c.Run) // policy.go
		if err := set.Add(c); err != nil {
			return fmt.Errorf("bridge: command %q: %w", c.Name, err)
		}
	}
	tokens := make([]string, len(b.cfg.CommandTokens))
	for i, t := range b.cfg.CommandTokens {
		tokens[i] = string(t)
	}
	hopts := []mattermost.HandlerOption{mattermost.WithHandlerLogger(b.log)}
	slash, err := mattermost.NewSlashHandler(tokens, b.slashInChannels(set.Dispatch), hopts...)
	if err != nil {
		return fmt.Errorf("bridge: slash command handler: %w", err)
	}
	actions, err := mattermost.NewActionHandler(b.signer, hopts...)
	if err != nil {
		return fmt.Errorf("bridge: action handler: %w", err)
	}
	actions.Handle(actionComplete, b.action("complete button", true, b.actionComplete))
	dialogs, err := mattermost.NewDialogHandler(b.signer, hopts...)
	if err != nil {
		return fmt.Errorf("bridge: dialog handler: %w", err)
	}
	dialogs.Handle(dialogTaskAdd, b.dialog("task dialog", true, b.dialogTaskAdd))
	b.editRoutes(actions, dialogs)
	b.dialogs = dialogs
	// Mattermost may be set to send slash commands as GET: the handler
	// takes both and refuses other methods.
	mux.Handle(PathCommand, slash)
	mux.Handle("POST "+PathAction, actions)
	mux.Handle("POST "+PathDialog, dialogs)
	return nil
}

// publicURL returns the URL Mattermost reaches path of the bridge at.
func (b *Bridge) publicURL(path string) string {
	return strings.TrimRight(b.cfg.PublicURL, "/") + path
}

// --- HighLevel errors as users see them ---

// hlCall records the outcome of a HighLevel call for /healthz and turns
// its error into one the user can act on. what says what failed ("Looking
// up the contact").
func (b *Bridge) hlCall(what string, err error) error {
	if err == nil {
		b.hl.observe(b.now(), nil)
		return nil
	}
	var apiErr *ghl.APIError
	answered := errors.As(err, &apiErr) && apiErr.StatusCode < 500 && apiErr.StatusCode != http.StatusTooManyRequests && apiErr.StatusCode != http.StatusUnauthorized
	if answered || errors.Is(err, ghl.ErrInvalidParam) {
		b.hl.observe(b.now(), nil)
	} else {
		b.hl.observe(b.now(), err)
	}
	return &mattermost.UserError{Message: what + " failed: " + describeHLError(err), Err: err}
}

// describeHLError explains a HighLevel failure in a sentence.
func describeHLError(err error) string {
	var apiErr *ghl.APIError
	var scopeErr *ghl.ScopeError
	switch {
	case errors.As(err, &scopeErr):
		return fmt.Sprintf("the bridge's HighLevel token lacks the `%s` scope; an admin must grant it.", scopeErr.Scope)
	case errors.Is(err, ghl.ErrInvalidParam):
		return mattermost.EscapeInline(strings.TrimPrefix(err.Error(), "ghl: ")) + "."
	case errors.Is(err, context.DeadlineExceeded):
		return "HighLevel did not answer in time. Try again in a minute."
	case errors.As(err, &apiErr):
		switch {
		case apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden:
			msg := "HighLevel refused the bridge's token"
			if apiErr.Message != "" {
				msg += " (" + mattermost.EscapeInline(apiErr.Message) + ")"
			}
			return msg + "; an admin must check its token and scopes (`contacts.readonly`, `contacts.write`)."
		case apiErr.StatusCode == http.StatusTooManyRequests:
			return "HighLevel's rate limit is reached. Try again in a minute."
		case apiErr.StatusCode >= 500:
			return fmt.Sprintf("HighLevel is having trouble (%d). Try again in a minute.", apiErr.StatusCode)
		case apiErr.Message != "":
			return fmt.Sprintf("HighLevel said: %s (%d).", mattermost.EscapeInline(apiErr.Message), apiErr.StatusCode)
		default:
			return fmt.Sprintf("HighLevel answered %d.", apiErr.StatusCode)
		}
	default:
		return "HighLevel cannot be reached. Try again in a minute."
	}
}

// --- contacts ---

// resolveContact finds a contact by ID, email or phone number.
func (b *Bridge) resolveContact(ctx context.Context, ref string) (*contacts.Contact, error) {
	ref = strings.TrimSpace(ref)
	var c *contacts.Contact
	var err error
	s := b.svc(ctx)
	kind := "ID"
	switch {
	case strings.Contains(ref, "@"):
		kind = "email"
		c, err = s.contacts.FindByEmail(ctx, ref)
	case looksLikePhone(ref):
		kind = "phone number"
		c, err = s.contacts.FindByPhone(ctx, normalizePhone(ref))
	default:
		c, err = s.contacts.Get(ctx, ref)
	}
	if err != nil {
		var apiErr *ghl.APIError
		if ghl.IsNotFound(err) || (kind == "ID" && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest) {
			b.hl.observe(b.now(), nil)
			return nil, mattermost.UserErrorf("No contact with %s %s.", kind, code(ref))
		}
		if b.apps != nil && kind == "ID" && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden {
			// The location's own token may not read it: another
			// location's contact, which does not exist for this channel.
			b.hl.observe(b.now(), nil)
			return nil, mattermost.UserErrorf("No contact with ID %s in HighLevel location %s, the one this channel is connected to.", code(ref), code(s.locationID))
		}
		return nil, b.hlCall("Looking up the contact", err)
	}
	b.hl.observe(b.now(), nil)
	// Never trusted to HighLevel alone: a contact of another location is
	// not shown, let alone changed, from this channel.
	if c.LocationID != "" && c.LocationID != s.locationID {
		return nil, mattermost.UserErrorf("No contact with %s %s.", kind, code(ref))
	}
	b.names.put(c.ID, mattermost.ContactName(c))
	return c, nil
}

// looksLikePhone: an optional +, then digits and separators, 7 to 15 digits.
func looksLikePhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// normalizePhone writes a phone number in E.164 as HighLevel stores it,
// reading ten digits as a North American number, as HighLevel does.
func normalizePhone(s string) string {
	var d strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d.WriteRune(r)
		}
	}
	digits := d.String()
	switch {
	case strings.HasPrefix(s, "+"):
		return "+" + digits
	case len(digits) == 10:
		return "+1" + digits
	default:
		return "+" + digits
	}
}

// code puts user input in a code span for an error message.
func code(s string) string {
	return "`" + strings.ReplaceAll(mattermost.PlainText(s), "`", "'") + "`"
}

// --- commands ---

func (b *Bridge) cmdContact(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	return b.renderContact(c).CommandResponse(mattermost.ResponseEphemeral), nil
}

func (b *Bridge) cmdTasks(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	list, err := b.svc(ctx).tasks.List(ctx, c.ID)
	if err := b.hlCall("Listing the tasks", err); err != nil {
		return nil, err
	}
	msgs, err := b.renderTaskList(ctx, inv.Request.ChannelID, c, list, nil)
	if err != nil {
		return nil, err
	}
	return b.show(ctx, inv.Request, msgs, &shows{contactID: c.ID, view: viewList, taskIDs: taskIDs(list)})
}

func (b *Bridge) cmdNotes(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	list, err := b.svc(ctx).notes.List(ctx, c.ID)
	if err := b.hlCall("Listing the notes", err); err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, func(x, y notes.Note) int { return x.DateAdded.Compare(y.DateAdded) })
	sc := inv.Request
	mayPost, err := b.mayThreadHere(ctx, c.ID, sc.ChannelID)
	if err != nil {
		return nil, err
	}
	if inv.Bool("move") && !mayPost {
		// Moving the thread moves the contact's events: an admin's call.
		if err := b.routeHere(ctx, sc.UserID, sc.ChannelID); err != nil {
			return nil, err
		}
		mayPost = true
	}
	if !mayPost {
		return b.showNotes(ctx, c, list)
	}
	th, added, err := b.postNotes(ctx, c, sc.ChannelID, list)
	if err != nil {
		return nil, err
	}
	name := mattermost.ContactName(c)
	switch {
	case added == 0 && len(list) == 0:
		return mattermost.Ephemeral(fmt.Sprintf("%s has no notes yet.", mattermost.EscapeInline(name))), nil
	case added == 0:
		return mattermost.Ephemeral(fmt.Sprintf("No new notes for %s: the thread is up to date.", mattermost.EscapeInline(name)) + b.threadLink(th)), nil
	default:
		return mattermost.Ephemeral(fmt.Sprintf("Posted %s for %s in the notes thread.", plural(added, "new note", "new notes"), mattermost.EscapeInline(name)) + b.threadLink(th)), nil
	}
}

// notesShown is how many of a contact's latest notes showNotes shows.
const notesShown = 20

// showNotes shows the contact's latest notes to the user only: in a
// channel where the thread may not be posted, nothing is moved.
func (b *Bridge) showNotes(ctx context.Context, c *contacts.Contact, list []notes.Note) (*mattermost.CommandResponse, error) {
	name := mattermost.EscapeInline(mattermost.ContactName(c))
	if len(list) == 0 {
		return mattermost.Ephemeral(name + " has no notes yet."), nil
	}
	head := "Notes of " + name + ", shown to you only"
	if len(list) > notesShown {
		head += fmt.Sprintf(" (the latest %d of %d)", notesShown, len(list))
		list = list[len(list)-notesShown:]
	}
	head += "."
	if th, ok, err := b.store.Thread(ctx, c.ID); err == nil && ok {
		head += " Their thread is elsewhere" + b.threadLink(th) + "."
	}
	head += " To post them here as the contact's thread (its task and note events follow it), a channel admin runs `" + b.trigger + " notes " + mattermost.PlainText(c.ID) + " --move`."
	msgs := []mattermost.Message{{Text: head}}
	for i := range list {
		msgs = append(msgs, b.renderNote(c, &list[i], ""))
	}
	return responses(mattermost.ResponseEphemeral, msgs), nil
}

func (b *Bridge) threadLink(th Thread) string {
	if th.RootID == "" {
		return ""
	}
	return " ([thread](" + strings.TrimRight(b.mm.URL(), "/") + "/_redirect/pl/" + th.RootID + "))"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// thread returns the contact's thread in channelID, starting one (a root
// post "Notes — name") when it has none there, or when fresh is set (the
// old root is gone).
func (b *Bridge) thread(ctx context.Context, c *contacts.Contact, channelID string, fresh bool) (Thread, error) {
	th, ok, err := b.store.Thread(ctx, c.ID)
	if err != nil {
		return Thread{}, err
	}
	if ok && th.ChannelID == channelID && th.RootID != "" && !fresh {
		return th, nil
	}
	root := b.renderThreadRoot(c).Post(channelID, "")
	created, err := b.mm.CreatePost(ctx, root)
	if err != nil {
		return Thread{}, mattermostUserError("Starting the notes thread", err)
	}
	th = Thread{ChannelID: channelID, RootID: created.ID}
	if err := b.store.SaveThread(ctx, c.ID, th); err != nil {
		return Thread{}, err
	}
	return th, nil
}

// postNotes posts the notes not yet in the contact's thread, in order, and
// returns the thread and how many it posted. Each posted note is recorded
// at once, so a failure half-way leaves a thread that the next run
// completes without repeating anything.
func (b *Bridge) postNotes(ctx context.Context, c *contacts.Contact, channelID string, list []notes.Note) (Thread, int, error) {
	unlock, err := b.store.Lock(ctx, "notes/"+c.ID)
	if err != nil {
		return Thread{}, 0, err
	}
	defer unlock()
	th, err := b.thread(ctx, c, channelID, false)
	if err != nil {
		return th, 0, err
	}
	added := 0
	restarted := false
	for _, n := range list {
		if _, done := th.Notes[n.ID]; done {
			continue
		}
		created, err := b.mm.CreatePost(ctx, b.renderNote(c, &n, "").Post(th.ChannelID, th.RootID))
		if err != nil && badRoot(err) && !restarted {
			// The thread's first post was deleted: start a new thread.
			restarted = true
			if th, err = b.thread(ctx, c, channelID, true); err != nil {
				return th, added, err
			}
			created, err = b.mm.CreatePost(ctx, b.renderNote(c, &n, "").Post(th.ChannelID, th.RootID))
		}
		if err != nil {
			return th, added, mattermostUserError("Posting the notes", err)
		}
		if err := b.store.AddThreadNotes(ctx, c.ID, th.RootID, map[string]string{n.ID: created.ID}); err != nil {
			return th, added, err
		}
		if th.Notes == nil {
			th.Notes = map[string]string{}
		}
		th.Notes[n.ID] = created.ID
		added++
	}
	return th, added, nil
}

// badRoot reports Mattermost refusing a reply because its thread's root
// post is gone.
func badRoot(err error) bool {
	var apiErr *mattermost.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusBadRequest && strings.Contains(apiErr.ID, "root_id") || apiErr.StatusCode == http.StatusNotFound)
}

// mattermostUserError explains a failed Mattermost call.
func mattermostUserError(what string, err error) error {
	var apiErr *mattermost.APIError
	msg := "Mattermost cannot be reached."
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusForbidden:
			msg = "the bridge's bot may not post here; add it to this channel."
		case http.StatusUnauthorized:
			msg = "Mattermost refused the bot's token."
		default:
			msg = fmt.Sprintf("Mattermost answered %d.", apiErr.StatusCode)
		}
	}
	return &mattermost.UserError{Message: what + " failed: " + msg, Err: err}
}

// parseDue reads a due date: YYYY-MM-DD (09:00 in the bridge's time zone)
// or RFC 3339.
func (b *Bridge) parseDue(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation("2006-01-02", s, b.cfg.Location); err == nil {
		return t.Add(9 * time.Hour), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, b.cfg.Location); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s is not a date: use YYYY-MM-DD or RFC 3339 (2006-01-02T15:04:05+01:00)", code(s))
}

// defaultDue is tomorrow 09:00 in the bridge's time zone.
func (b *Bridge) defaultDue() time.Time {
	now := b.now().In(b.cfg.Location)
	y, m, d := now.Date()
	return time.Date(y, m, d+1, 9, 0, 0, 0, b.cfg.Location)
}

func (b *Bridge) cmdTaskAdd(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	dueText, hasDue := inv.Flag("due")
	var due time.Time
	if hasDue {
		var err error
		if due, err = b.parseDue(dueText); err != nil {
			return nil, &mattermost.UserError{Message: "Bad --due: " + err.Error()}
		}
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(inv.Arg("title"))
	body, _ := inv.Flag("body")
	if title == "" {
		return b.openTaskDialog(ctx, inv.Request, c, dueText, body)
	}
	if !hasDue {
		due = b.defaultDue()
	}
	t, note, err := b.createTask(ctx, c, tasks.CreateParams{Title: title, Body: body, DueDate: due})
	if err != nil {
		return nil, err
	}
	msg, err := b.renderTaskCreated(ctx, inv.Request.ChannelID, c, t, inv.Request.UserName, note)
	if err != nil {
		return nil, err
	}
	return b.show(ctx, inv.Request, []mattermost.Message{msg}, &shows{contactID: c.ID, view: viewTask, taskIDs: []string{t.ID}})
}

// createTask creates a task and marks it as the bridge's own. When
// HighLevel's answer is lost (ErrOutcomeUnknown) it looks the task up
// instead of creating it again, so a retry never makes a duplicate; note
// then says so.
func (b *Bridge) createTask(ctx context.Context, c *contacts.Contact, p tasks.CreateParams) (*tasks.Task, string, error) {
	end, err := b.ownWrite(ctx, c.ID)
	if err != nil {
		return nil, "", err
	}
	defer end()
	t, err := b.svc(ctx).tasks.Create(ctx, c.ID, p)
	note := ""
	if errors.Is(err, ghl.ErrOutcomeUnknown) {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: task create outcome unknown; looking it up", slog.String("contactId", c.ID))
		found, lerr := b.findCreatedTask(ctx, c.ID, p)
		switch {
		case lerr != nil:
			return nil, "", b.hlCall("Creating the task", fmt.Errorf("%w (and checking for it failed: %v)", err, lerr))
		case found == nil:
			return nil, "", b.hlCall("Creating the task", err)
		}
		t, err, note = found, nil, "HighLevel's answer was lost; the task was found there, so it was not created twice."
	}
	if err := b.hlCall("Creating the task", err); err != nil {
		return nil, "", err
	}
	if err := b.store.MarkOwn(context.WithoutCancel(ctx), ownKey(webhook.TypeTaskCreate, t.ID), b.now().Add(ownFor)); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: marking a task as the bridge's own failed; its webhook will be posted too", slog.String("error", err.Error()))
	}
	return t, note, nil
}

// findCreatedTask looks for the open task p describes on the contact.
func (b *Bridge) findCreatedTask(ctx context.Context, contactID string, p tasks.CreateParams) (*tasks.Task, error) {
	list, err := b.svc(ctx).tasks.List(ctx, contactID)
	if err != nil {
		return nil, err
	}
	var found *tasks.Task
	for i := range list {
		t := &list[i]
		if t.Title == p.Title && t.Body == p.Body && !t.Completed && t.DueDate.Sub(p.DueDate).Abs() < time.Second {
			own, err := b.store.IsOwn(ctx, ownKey(webhook.TypeTaskCreate, t.ID))
			if err != nil {
				return nil, err
			}
			if !own { // a twin created earlier from chat is not this one
				found = t
			}
		}
	}
	return found, nil
}

// writeFor bounds how long a write to HighLevel holds its contact's
// events: a replica that died mid-write holds them no longer than this.
// It covers a call with its retries.
const writeFor = 2 * time.Minute

// ownWrite announces, in the store, a write to HighLevel for contactID:
// every bridge sharing the store holds that contact's events until the
// returned func is called, so that the write's webhook is recognised as
// the bridge's own (the record's ID is known only once HighLevel answers,
// and its webhook may reach another replica first). Nothing is written
// when the mark cannot be recorded.
func (b *Bridge) ownWrite(ctx context.Context, contactID string) (func(), error) {
	var raw [12]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	if err := b.store.BeginWrite(ctx, contactID, id, b.now().Add(writeFor)); err != nil {
		return nil, fmt.Errorf("recording the write under way: %w", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Ended even when the request was cancelled; if the store
			// fails, the mark expires.
			if err := b.store.EndWrite(context.WithoutCancel(ctx), contactID, id); err != nil {
				b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: ending a write mark; it expires by itself",
					slog.String("contactId", contactID), slog.Any("error", err))
			}
			b.deliver.poke()
		})
	}, nil
}

func (b *Bridge) openTaskDialog(ctx context.Context, sc *mattermost.SlashCommand, c *contacts.Contact, due, body string) (*mattermost.CommandResponse, error) {
	if sc.TriggerID == "" {
		return nil, mattermost.UserErrorf("Give a title: `%s task add %s <title>`.", b.trigger, mattermost.PlainText(c.ID))
	}
	d := mattermost.Dialog{
		CallbackID:       dialogTaskAdd,
		Title:            "New task",
		IntroductionText: "For " + mattermost.EscapeInline(mattermost.ContactName(c)),
		SubmitLabel:      "Create",
		Elements: []mattermost.DialogElement{
			{DisplayName: "Title", Name: "title", Type: mattermost.ElementText, MaxLength: 150},
			{DisplayName: "Due date", Name: "due", Type: mattermost.ElementText, Optional: true, Default: due,
				Placeholder: "YYYY-MM-DD", HelpText: "YYYY-MM-DD (09:00) or RFC 3339; empty: tomorrow 09:00 (" + b.cfg.Location.String() + ")"},
			{DisplayName: "Description", Name: "body", Type: mattermost.ElementTextarea, Optional: true, Default: body, MaxLength: 3000},
		},
	}
	// The submission names only the user ID: keep the username, signed.
	values := map[string]string{"contact_id": c.ID, "channel_id": sc.ChannelID, "user_name": sc.UserName}
	// Only the user who opened it may submit it, once, from that channel.
	bind := b.bind(ctx, mattermost.Binding{ChannelID: sc.ChannelID, UserID: sc.UserID})
	if err := b.dialogs.Open(ctx, b.mm, sc.TriggerID, b.publicURL(PathDialog), d, values, bind); err != nil {
		return nil, mattermostUserError("Opening the form", err)
	}
	return nil, nil
}

func (b *Bridge) dialogTaskAdd(ctx context.Context, sub *mattermost.DialogSubmission) (*mattermost.DialogResponse, error) {
	if sub.Cancelled {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	title := strings.TrimSpace(sub.String("title"))
	errs := map[string]string{}
	if title == "" {
		errs["title"] = "A task needs a title."
	}
	due := b.defaultDue()
	if s := strings.TrimSpace(sub.String("due")); s != "" {
		d, err := b.parseDue(s)
		if err != nil {
			errs["due"] = "Use YYYY-MM-DD or RFC 3339 (2006-01-02T15:04:05+01:00)."
		}
		due = d
	}
	if len(errs) > 0 {
		// The nonce is not spent: the user fixes the form and submits it.
		return mattermost.FieldErrors(errs), nil
	}
	if err := b.verifyUse(ctx, sub.Token, sub.ChannelID, sub.UserID); err != nil {
		return nil, err
	}
	contactID, channelID := sub.Values["contact_id"], sub.Values["channel_id"]
	c, err := b.svc(ctx).contacts.Get(ctx, contactID)
	if err := b.hlCall("Looking up the contact", err); err != nil {
		return nil, err
	}
	user := sub.Values["user_name"]
	end, err := b.ownWrite(ctx, c.ID) // held until the confirmation is posted
	if err != nil {
		return nil, err
	}
	defer end()
	t, note, err := b.createTask(ctx, c, tasks.CreateParams{Title: title, Body: strings.TrimSpace(sub.String("body")), DueDate: due})
	if err != nil {
		return nil, err
	}
	msg, err := b.renderTaskCreated(ctx, channelID, c, t, user, note)
	if err == nil {
		var post *mattermost.Post
		post, err = b.mm.CreatePost(ctx, msg.Post(channelID, ""))
		b.trackTaskPost(ctx, post, shows{contactID: c.ID, view: viewTask, taskIDs: []string{t.ID}})
	}
	if err != nil {
		// The task exists; let its webhook announce it through the outbox,
		// which retries until Mattermost takes it.
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: posting a task confirmation failed; its webhook will announce it", slog.String("error", err.Error()))
		_ = b.store.ForgetOwn(context.WithoutCancel(ctx), ownKey(webhook.TypeTaskCreate, t.ID))
	}
	return nil, nil
}

func (b *Bridge) cmdTaskDone(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	sc := inv.Request
	res, err := b.completeTask(ctx, c.ID, inv.Arg("taskId"), sc.UserID, sc.UserName)
	if err != nil {
		return nil, err
	}
	msg, err := b.renderTaskCompleted(c, res)
	if err != nil {
		return nil, err
	}
	if res.already {
		return msg.CommandResponse(mattermost.ResponseEphemeral), nil
	}
	if n := b.redrawTaskPosts(ctx, c, res.task.ID, "", b.completedTaskPost(ctx, c, res)); n > 0 {
		msg.Text += inPlaceNote(n)
		return msg.CommandResponse(mattermost.ResponseEphemeral), nil
	}
	return msg.CommandResponse(mattermost.ResponseInChannel), nil
}

func (b *Bridge) cmdNoteAdd(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	text := strings.TrimSpace(inv.Arg("text"))
	if text == "" {
		return nil, mattermost.UserErrorf("A note needs text: `%s note add <contact> <text…>`.", b.trigger)
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	end, err := b.ownWrite(ctx, c.ID) // held until the note is in its thread
	if err != nil {
		return nil, err
	}
	defer end()
	n, note, err := b.createNote(ctx, c, text)
	if err != nil {
		return nil, err
	}
	name := mattermost.EscapeInline(mattermost.ContactName(c))
	channelID, err := b.noteChannel(ctx, c.ID, inv.Request.ChannelID)
	if err == nil && channelID == "" {
		// No thread, and starting one here would move the contact's
		// events: its webhook announces the note where they go.
		_ = b.store.ForgetOwn(context.WithoutCancel(ctx), ownKey(webhook.TypeNoteCreate, n.ID))
		return mattermost.Ephemeral(fmt.Sprintf("Note %s added to %s; it will be posted where the contact's HighLevel events go.", code(n.ID), name)), nil
	}
	var th Thread
	if err == nil {
		th, _, err = b.postNotes(ctx, c, channelID, []notes.Note{*n})
	}
	if err != nil {
		_ = b.store.ForgetOwn(context.WithoutCancel(ctx), ownKey(webhook.TypeNoteCreate, n.ID))
		return nil, &mattermost.UserError{
			Message: fmt.Sprintf("The note was added in HighLevel (ID %s), but posting it to the thread failed; it will be posted when Mattermost takes it.", code(n.ID)),
			Err:     err,
		}
	}
	msg := fmt.Sprintf("Note %s added to %s.", code(n.ID), name)
	if note != "" {
		msg += " " + note
	}
	return mattermost.Ephemeral(msg + b.threadLink(th)), nil
}

// noteChannel is the channel of the contact's thread if it has one, else
// the channel the command came from if the thread may start there (see
// mayThreadHere), else "".
func (b *Bridge) noteChannel(ctx context.Context, contactID, here string) (string, error) {
	if th, ok, err := b.store.Thread(ctx, contactID); err != nil {
		return "", err
	} else if ok && th.RootID != "" {
		return th.ChannelID, nil
	}
	if ok, err := b.mayThreadHere(ctx, contactID, here); err != nil || !ok {
		return "", err
	}
	return here, nil
}

// createNote creates a note and marks it as the bridge's own, looking it
// up instead of repeating the create when the outcome is unknown.
func (b *Bridge) createNote(ctx context.Context, c *contacts.Contact, text string) (*notes.Note, string, error) {
	end, err := b.ownWrite(ctx, c.ID)
	if err != nil {
		return nil, "", err
	}
	defer end()
	n, err := b.svc(ctx).notes.Create(ctx, c.ID, notes.CreateParams{Body: text})
	note := ""
	if errors.Is(err, ghl.ErrOutcomeUnknown) {
		list, lerr := b.svc(ctx).notes.List(ctx, c.ID)
		var found *notes.Note
		if lerr == nil {
			for i := range list {
				if list[i].Body != text {
					continue
				}
				own, oerr := b.store.IsOwn(ctx, ownKey(webhook.TypeNoteCreate, list[i].ID))
				if oerr == nil && !own {
					found = &list[i]
				}
			}
		}
		if found == nil {
			return nil, "", b.hlCall("Adding the note", err)
		}
		n, err, note = found, nil, "(HighLevel's answer was lost; the note was found there, so it was not added twice.)"
	}
	if err := b.hlCall("Adding the note", err); err != nil {
		return nil, "", err
	}
	if err := b.store.MarkOwn(context.WithoutCancel(ctx), ownKey(webhook.TypeNoteCreate, n.ID), b.now().Add(ownFor)); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: marking a note as the bridge's own failed", slog.String("error", err.Error()))
	}
	return n, note, nil
}

func (b *Bridge) cmdSubscribe(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	sc := inv.Request
	if err := b.routeHere(ctx, sc.UserID, sc.ChannelID); err != nil {
		return nil, err
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	added, err := b.store.Subscribe(ctx, c.ID, sc.ChannelID)
	if err != nil {
		return nil, err
	}
	name := mattermost.EscapeInline(mattermost.ContactName(c))
	if !added {
		return mattermost.Ephemeral("This channel already receives the HighLevel events of " + name + "."), nil
	}
	return mattermost.InChannel("This channel now receives the HighLevel events of " + name + " (`" + b.trigger + " unsubscribe " + mattermost.PlainText(c.ID) + "` to stop)."), nil
}

func (b *Bridge) cmdUnsubscribe(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if err := b.authorize(ctx, inv.Request.UserID, inv.Request.ChannelID); err != nil {
		return nil, err
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	removed, err := b.store.Unsubscribe(ctx, c.ID, inv.Request.ChannelID)
	if err != nil {
		return nil, err
	}
	name := mattermost.EscapeInline(mattermost.ContactName(c))
	if !removed {
		return mattermost.Ephemeral("This channel was not subscribed to " + name + "."), nil
	}
	return mattermost.InChannel("This channel no longer receives the HighLevel events of " + name + "."), nil
}
