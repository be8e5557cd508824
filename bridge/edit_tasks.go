package bridge

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/tasks"
)

// Editing tasks: /ghl task edit, reopen and delete, and the Edit button on
// the posts that show a task, which opens a form prefilled with the task.

const (
	actionTaskEdit = "task_edit"
	dialogTaskEdit = "task_edit"
)

// taskEditFlags are the fields /ghl task edit changes.
func (b *Bridge) taskEditFlags() []mattermost.FlagSpec {
	return []mattermost.FlagSpec{
		{Name: "title", Placeholder: "text", Help: "new title; quote it if it has spaces"},
		{Name: "due", Placeholder: "YYYY-MM-DD|RFC3339", Help: "new due date, in " + b.cfg.Location.String() + " unless the time says its zone"},
		{Name: "body", Placeholder: "text", Help: "new description; --body \"\" clears it"},
		{Name: "assignee", Placeholder: "userId", Help: "HighLevel user ID to assign it to; --assignee \"\" unassigns it"},
	}
}

// taskParams reads the task fields given as flags into UpdateParams,
// refusing bad values before anything is sent. changed names them.
func (b *Bridge) taskParams(inv *mattermost.Invocation) (p tasks.UpdateParams, changed []string, err error) {
	if v, ok := inv.Flag("title"); ok {
		v = strings.TrimSpace(v)
		if v == "" {
			return p, nil, mattermost.UserErrorf("A task needs a title: --title cannot be empty.")
		}
		p.Title = ghl.Set(v)
		changed = append(changed, "title")
	}
	if v, ok := inv.Flag("due"); ok {
		due, err := b.parseDue(v)
		if err != nil {
			return p, nil, &mattermost.UserError{Message: "Bad --due: " + err.Error()}
		}
		p.DueDate = ghl.Set(due)
		changed = append(changed, "due date")
	}
	if v, ok := inv.Flag("body"); ok {
		v = strings.TrimSpace(v)
		p.Body = ghl.Set(v)
		changed = append(changed, "description")
	}
	if v, ok := inv.Flag("assignee"); ok {
		v = strings.TrimSpace(v)
		if v != "" && !plausibleID(v) {
			return p, nil, mattermost.UserErrorf("Bad --assignee: %s is not a HighLevel user ID.", code(v))
		}
		p.AssignedTo = ghl.Set(v)
		changed = append(changed, "assignee")
	}
	if len(changed) == 0 {
		return p, nil, mattermost.UserErrorf("Nothing to change: give --title, --due, --body or --assignee.")
	}
	return p, changed, nil
}

// plausibleID: HighLevel IDs are short runs of letters and digits.
func plausibleID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// getTask reads a task of the contact, saying so when it has none.
func (b *Bridge) getTask(ctx context.Context, contactID, taskID string) (*tasks.Task, error) {
	return findChild(ctx, b, "task", contactID, taskID, b.taskGet)
}

// updateTask writes p to the task. A PUT is idempotent and the SDK retries
// it; when it still fails without an answer, the task is read back, and a
// task that already holds p counts as updated, so the user is not told to
// repeat a change that was made.
func (b *Bridge) updateTask(ctx context.Context, contactID, taskID string, p tasks.UpdateParams) (*tasks.Task, error) {
	end, err := b.ownWrite(ctx, contactID)
	if err != nil {
		return nil, err
	}
	defer end()
	t, err := b.svc(ctx).tasks.Update(ctx, contactID, taskID, p)
	if err != nil && !answered(err) {
		if cur, gerr := b.svc(ctx).tasks.Get(ctx, contactID, taskID); gerr == nil && taskHolds(cur, p) {
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: task update answer lost; HighLevel holds the change", slog.String("taskId", taskID))
			t, err = cur, nil
		}
	}
	if err := b.hlCall("Updating the task", err); err != nil {
		return nil, err
	}
	return t, nil
}

// answered reports whether HighLevel answered err with a 4xx: the request
// was refused, so it was not applied.
func answered(err error) bool {
	var apiErr *ghl.APIError
	return errors.Is(err, ghl.ErrInvalidParam) || errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.StatusCode != http.StatusTooManyRequests
}

func taskHolds(t *tasks.Task, p tasks.UpdateParams) bool {
	holds := func(f ghl.Field[string], v string) bool { w, ok := f.Get(); return !ok || w == v }
	due, setDue := p.DueDate.Get()
	done, setDone := p.Completed.Get()
	return holds(p.Title, t.Title) && holds(p.Body, t.Body) && holds(p.AssignedTo, t.AssignedTo) &&
		(!setDue || t.DueDate.Equal(due)) && (!setDone || t.Completed == done)
}

func (b *Bridge) cmdTaskEdit(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	p, changed, err := b.taskParams(inv)
	if err != nil {
		return nil, err
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	old, err := b.getTask(ctx, c.ID, inv.Arg("taskId"))
	if err != nil {
		return nil, err
	}
	t, err := b.updateTask(ctx, c.ID, old.ID, p)
	if err != nil {
		return nil, err
	}
	sc := inv.Request
	return b.answerTaskChange(ctx, sc, c, t, "✏️ Task updated by "+mention(sc.UserName), changed)
}

// answerTaskChange answers a command that changed t: the task under
// heading, after every recorded post that shows it has been redrawn.
func (b *Bridge) answerTaskChange(ctx context.Context, sc *mattermost.SlashCommand, c *contacts.Contact, t *tasks.Task, heading string, changed []string) (*mattermost.CommandResponse, error) {
	m, err := b.renderTaskUpdated(ctx, sc.ChannelID, c, t, heading, changed)
	if err != nil {
		return nil, err
	}
	n := b.redrawTaskPosts(ctx, c, t.ID, "", func(channelID string) (mattermost.Message, error) {
		return b.renderTaskUpdated(ctx, channelID, c, t, heading, changed)
	})
	return b.answerTask(ctx, sc, c, t, m, n)
}

func (b *Bridge) cmdTaskReopen(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	old, err := b.getTask(ctx, c.ID, inv.Arg("taskId"))
	if err != nil {
		return nil, err
	}
	if !old.Completed {
		return nil, mattermost.UserErrorf("**%s** is already open; nothing was changed.", mattermost.EscapeInline(cmp.Or(old.Title, "(untitled)")))
	}
	// In the store: the replicas sharing it take turns too.
	unlock, err := b.store.Lock(ctx, "task/"+old.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t, err := b.updateTask(ctx, c.ID, old.ID, tasks.UpdateParams{Completed: ghl.Set(false)})
	if err != nil {
		return nil, err
	}
	// Whoever completed it before no longer holds it: the next Complete
	// is a new completion.
	if err := b.store.DropCompletion(context.WithoutCancel(ctx), old.ID); err != nil {
		b.log.LogAttrs(ctx, slog.LevelError, "bridge: forgetting a completion failed", slog.String("taskId", old.ID), slog.String("error", err.Error()))
	}
	sc := inv.Request
	return b.answerTaskChange(ctx, sc, c, t, "↩️ Task reopened by "+mention(sc.UserName), nil)
}

func (b *Bridge) loadTaskDelete(ctx context.Context, ch *change) (*current, error) {
	return loadChild(ctx, b, ch, "task", b.taskGet, func(t *tasks.Task, c *contacts.Contact) *current {
		return &current{
			Subject: "delete the task **" + mattermost.EscapeInline(cmp.Or(t.Title, "(untitled)")) + "** of " + b.contactLink(c),
			Preview: b.format.Task(*t).Attachments,
		}
	})
}

func (b *Bridge) applyTaskDelete(ctx context.Context, ch *change, cur *current) (mattermost.Message, error) {
	t := cur.record.(*tasks.Task)
	gone, err := b.deleteRecord(ctx, ch.ContactID, "Deleting the task",
		func() error { return b.svc(ctx).tasks.Delete(ctx, ch.ContactID, t.ID) },
		func() error { _, err := b.svc(ctx).tasks.Get(ctx, ch.ContactID, t.ID); return err })
	if err != nil {
		return mattermost.Message{}, err
	}
	m := b.format.Task(*t)
	m.Text = "🗑️ Task deleted by " + mention(ch.UserName) + ": ~~" + mattermost.EscapeInline(cmp.Or(t.Title, "(untitled)")) + "~~ — " + deletedWord(gone)
	b.redrawTaskPosts(ctx, b.contactFor(ctx, ch.ContactID, ""), t.ID, "", func(string) (mattermost.Message, error) { return m, nil })
	return m, nil
}

// deleteRecord runs del (a DELETE, which the SDK retries) and tells
// whether the record was already gone. When the outcome stays unknown, it
// reads the record back (get): not found means deleted.
func (b *Bridge) deleteRecord(ctx context.Context, contactID, what string, del, get func() error) (alreadyGone bool, err error) {
	end, err := b.ownWrite(ctx, contactID)
	if err != nil {
		return false, err
	}
	defer end()
	err = del()
	switch {
	case err == nil:
		b.hl.observe(b.now(), nil)
		return false, nil
	case ghl.IsNotFound(err):
		// A retry after a lost answer finds it gone too: either way it is.
		b.hl.observe(b.now(), nil)
		return true, nil
	case !answered(err):
		if gerr := get(); ghl.IsNotFound(gerr) {
			b.hl.observe(b.now(), nil)
			return false, nil
		}
	}
	return false, b.hlCall(what, err)
}

func deletedWord(alreadyGone bool) string {
	if alreadyGone {
		return "it was already gone in HighLevel."
	}
	return "HighLevel confirmed the delete."
}

// renderTaskUpdated shows a task after a change: heading, the task as
// HighLevel returned it, what changed, and its buttons for channelID.
func (b *Bridge) renderTaskUpdated(ctx context.Context, channelID string, c *contacts.Contact, t *tasks.Task, heading string, changed []string) (mattermost.Message, error) {
	m := b.format.Task(*t)
	m.Text = heading + ": **" + mattermost.EscapeInline(cmp.Or(t.Title, "(untitled)")) + "** for " + b.contactLink(c)
	if len(changed) > 0 {
		m.Text += "\nChanged: " + strings.Join(changed, ", ") + " (as HighLevel now holds it below)."
	}
	if err := b.addTaskButtons(ctx, &m, channelID, c.ID, t, viewTask); err != nil {
		return m, err
	}
	return m, nil
}

// addTaskButtons puts a task's Complete (when open) and Edit buttons on
// the first attachment of m.
func (b *Bridge) addTaskButtons(ctx context.Context, m *mattermost.Message, channelID, contactID string, t *tasks.Task, view string) error {
	if len(m.Attachments) == 0 {
		return nil
	}
	if !t.Completed {
		a, err := b.completeButton(ctx, channelID, contactID, t, view, "Complete")
		if err != nil {
			return err
		}
		m.Attachments[0].Actions = append(m.Attachments[0].Actions, a)
	}
	return b.addEditButton(ctx, m, channelID, contactID, t, view)
}

// addEditButton puts a task's Edit button on the first attachment of m,
// after the buttons it has.
func (b *Bridge) addEditButton(ctx context.Context, m *mattermost.Message, channelID, contactID string, t *tasks.Task, view string) error {
	if len(m.Attachments) == 0 {
		return nil
	}
	in, err := b.signer.Integration(b.publicURL(PathAction), actionTaskEdit, map[string]string{
		"contact_id": contactID, "task_id": t.ID, "view": view,
	}, b.bind(ctx, mattermost.Binding{ChannelID: channelID}))
	if err != nil {
		return err
	}
	id := completeActionID(t.ID)
	if id != "" {
		id = "edit" + strings.TrimPrefix(id, "complete")
	}
	m.Attachments[0].Actions = append(m.Attachments[0].Actions, mattermost.Action{
		ID: id, Type: mattermost.ActionTypeButton, Name: "Edit", Integration: in,
	})
	return nil
}

// editMenu is the task list's "Edit a task…" menu: one option per task.
func (b *Bridge) editMenu(ctx context.Context, channelID, contactID string, list []tasks.Task) (mattermost.Action, error) {
	in, err := b.signer.Integration(b.publicURL(PathAction), actionTaskEdit, map[string]string{
		"contact_id": contactID, "view": viewList,
	}, b.bind(ctx, mattermost.Binding{ChannelID: channelID}))
	if err != nil {
		return mattermost.Action{}, err
	}
	a := mattermost.Action{ID: "edittask", Type: mattermost.ActionTypeSelect, Name: "Edit a task…", Integration: in}
	for i := range list {
		a.Options = append(a.Options, mattermost.ActionOption{Text: strings.TrimPrefix(buttonName(list[i].Title), "✔ "), Value: list[i].ID})
	}
	return a, nil
}

// digest is a short fingerprint of a value: an edit form's state carries
// these instead of the values, so its size does not grow with the task,
// and a record's version is one (versionOf).
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// dueField writes a due date as the form shows it, in the bridge's zone.
func (b *Bridge) dueField(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(b.cfg.Location).Format("2006-01-02T15:04")
}

// actionTaskEdit opens the edit form of a task, prefilled with its values
// in HighLevel now.
func (b *Bridge) actionTaskEdit(ctx context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	contactID, taskID := req.Values["contact_id"], cmp.Or(req.Values["task_id"], req.SelectedOption())
	if contactID == "" || taskID == "" {
		return nil, mattermost.UserErrorf("This button is broken; run the command again.")
	}
	if req.TriggerID == "" {
		return nil, mattermost.UserErrorf("Mattermost sent no form trigger; use `%s task edit`.", b.trigger)
	}
	t, err := b.getTask(ctx, contactID, taskID)
	if err != nil {
		return nil, err
	}
	due := b.dueField(t.DueDate)
	values := map[string]string{
		"contact_id": contactID, "task_id": t.ID, "post_id": req.PostID, "view": req.Values["view"], "user_name": req.UserName,
	}
	intro := "Only the fields you change are sent to HighLevel."
	var els []mattermost.DialogElement
	// A field longer than Mattermost's form allows is left out rather than
	// cut: saving the form would otherwise write it back cut.
	field := func(el mattermost.DialogElement, limit int) {
		if utf8.RuneCountInString(el.Default) > limit {
			intro += " The " + strings.ToLower(el.DisplayName) + " is too long to edit here: use `" + b.trigger + " task edit`."
			return
		}
		el.MaxLength = limit
		els = append(els, el)
		values["h_"+el.Name] = digest(el.Default)
	}
	field(mattermost.DialogElement{DisplayName: "Title", Name: "title", Type: mattermost.ElementText, Default: t.Title}, maxTextField)
	field(mattermost.DialogElement{DisplayName: "Due date", Name: "due", Type: mattermost.ElementText, Default: due,
		Placeholder: "YYYY-MM-DD", HelpText: "YYYY-MM-DD (09:00), YYYY-MM-DDTHH:MM or RFC 3339 (" + b.cfg.Location.String() + ")"}, maxTextField)
	field(mattermost.DialogElement{DisplayName: "Description", Name: "body", Type: mattermost.ElementTextarea, Optional: true, Default: t.Body}, maxTextarea)
	field(mattermost.DialogElement{DisplayName: "Assignee", Name: "assignee", Type: mattermost.ElementText, Optional: true, Default: t.AssignedTo,
		HelpText: "HighLevel user ID; empty: unassigned"}, maxTextField)
	d := mattermost.Dialog{
		CallbackID:       dialogTaskEdit,
		Title:            "Edit task",
		IntroductionText: intro,
		SubmitLabel:      "Save",
		Elements:         els,
	}
	bind := b.bind(ctx, mattermost.Binding{ChannelID: req.ChannelID, UserID: req.UserID})
	if err := b.dialogs.Open(ctx, b.mm, req.TriggerID, b.publicURL(PathDialog), d, values, bind); err != nil {
		return nil, mattermostUserError("Opening the form", err)
	}
	return &mattermost.ActionResponse{}, nil
}

// Mattermost's limits on form fields.
const (
	maxTextField = 150
	maxTextarea  = 3000
)

// dialogTaskEdit applies an edit form: only the fields whose value differs
// from what the form was opened with are sent.
func (b *Bridge) dialogTaskEdit(ctx context.Context, sub *mattermost.DialogSubmission) (*mattermost.DialogResponse, error) {
	if sub.Cancelled {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	v := sub.Values
	var p tasks.UpdateParams
	var changed []string
	errs := map[string]string{}
	if s := strings.TrimSpace(sub.String("title")); changedField(sub, "title") {
		if s == "" {
			errs["title"] = "A task needs a title."
		}
		p.Title = ghl.Set(s)
		changed = append(changed, "title")
	}
	if s := strings.TrimSpace(sub.String("due")); changedField(sub, "due") {
		due, err := b.parseDue(s)
		if err != nil {
			errs["due"] = "Use YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339 (2006-01-02T15:04:05+01:00)."
		}
		p.DueDate = ghl.Set(due)
		changed = append(changed, "due date")
	}
	if s := strings.TrimSpace(sub.String("body")); changedField(sub, "body") {
		p.Body = ghl.Set(s)
		changed = append(changed, "description")
	}
	if s := strings.TrimSpace(sub.String("assignee")); changedField(sub, "assignee") {
		if s != "" && !plausibleID(s) {
			errs["assignee"] = "A HighLevel user ID: letters and digits."
		}
		p.AssignedTo = ghl.Set(s)
		changed = append(changed, "assignee")
	}
	if len(errs) > 0 {
		// The nonce is not spent: the user fixes the form and submits it.
		return mattermost.FieldErrors(errs), nil
	}
	if err := b.verifyUse(ctx, sub.Token, sub.ChannelID, sub.UserID); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		b.ephemeral(ctx, sub.UserID, sub.ChannelID, "Nothing changed in the form; nothing was sent to HighLevel.")
		return nil, nil
	}
	contactID, taskID := v["contact_id"], v["task_id"]
	t, err := b.updateTask(ctx, contactID, taskID, p)
	if err != nil {
		return nil, err
	}
	c := b.contactFor(ctx, contactID, "")
	heading := "✏️ Task updated by " + mention(v["user_name"])
	b.redrawTask(ctx, sub, c, t, heading, changed)
	b.redrawTaskPosts(ctx, c, t.ID, v["post_id"], func(channelID string) (mattermost.Message, error) {
		return b.renderTaskUpdated(ctx, channelID, c, t, heading, changed)
	})
	return nil, nil
}

// changedField reports whether the form's field name was in the form and
// its value differs from what the form was opened with.
func changedField(sub *mattermost.DialogSubmission, name string) bool {
	h, inForm := sub.Values["h_"+name]
	return inForm && digest(sub.String(name)) != h
}

// redrawTask shows an edited task in place: the post whose Edit button
// opened the form is redrawn (the task, or the whole list). When that post
// cannot be changed, the user is shown the task instead.
func (b *Bridge) redrawTask(ctx context.Context, sub *mattermost.DialogSubmission, c *contacts.Contact, t *tasks.Task, heading string, changed []string) {
	v := sub.Values
	var m mattermost.Message
	var err error
	if v["view"] == viewList {
		var list []tasks.Task
		list, err = b.svc(ctx).tasks.List(ctx, c.ID)
		if err == nil {
			var msgs []mattermost.Message
			msgs, err = b.renderTaskList(ctx, sub.ChannelID, c, list, nil)
			if err == nil {
				m = msgs[len(msgs)-1]
				m.Text += "\n\n" + heading + ": **" + mattermost.EscapeInline(cmp.Or(t.Title, "(untitled)")) + "** (" + strings.Join(changed, ", ") + ")."
			}
		}
	} else {
		m, err = b.renderTaskUpdated(ctx, sub.ChannelID, c, t, heading, changed)
	}
	if err == nil && v["post_id"] != "" {
		_, err = b.mm.PatchPost(ctx, v["post_id"], &mattermost.PostPatch{Message: &m.Text, Props: &mattermost.Props{Attachments: m.Attachments}})
	}
	if err != nil || v["post_id"] == "" {
		if err != nil {
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: redrawing an edited task failed", slog.String("taskId", t.ID), slog.String("error", err.Error()))
		}
		one, rerr := b.renderTaskUpdated(ctx, sub.ChannelID, c, t, heading, changed)
		if rerr == nil {
			b.ephemeralMessage(ctx, sub.UserID, sub.ChannelID, one)
		}
	}
}

// ephemeral shows text to one user in a channel, best effort.
func (b *Bridge) ephemeral(ctx context.Context, userID, channelID, text string) {
	b.ephemeralMessage(ctx, userID, channelID, mattermost.Message{Text: text})
}

func (b *Bridge) ephemeralMessage(ctx context.Context, userID, channelID string, m mattermost.Message) {
	if _, err := b.mm.CreateEphemeralPost(ctx, userID, m.Post(channelID, "")); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: an ephemeral answer failed", slog.String("error", err.Error()))
	}
}

// show posts msgs in the command's channel as the bot, so that later edits
// can redraw them in place (sh, when set, says which tasks they show: a
// single post is recorded); where the bot may not post (a direct message
// it is not in), they are the command's answer instead, not recorded.
func (b *Bridge) show(ctx context.Context, sc *mattermost.SlashCommand, msgs []mattermost.Message, sh *shows) (*mattermost.CommandResponse, error) {
	posts, err := b.mm.PostMessages(ctx, sc.ChannelID, "", msgs)
	if err == nil {
		if sh != nil && len(posts) == len(msgs) {
			for i, post := range posts {
				part := *sh
				if len(posts) > 1 {
					part.part, part.parts = i, len(posts)
				}
				b.trackTaskPost(ctx, post, part)
			}
		}
		return nil, nil
	}
	var apiErr *mattermost.APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusForbidden || apiErr.StatusCode == http.StatusNotFound) {
		return responses(mattermost.ResponseInChannel, msgs), nil
	}
	return nil, mattermostUserError("Posting the answer", fmt.Errorf("%w", err))
}
