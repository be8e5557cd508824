package bridge

import (
	"cmp"
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
	"github.com/ghlkit/ghl/webhook"
)

// Rendering is the mattermost.Formatter's; this file only adds what is the
// bridge's own: Complete buttons, the thread's root post, and the headings
// of HighLevel events.

// Button views, signed into a Complete button: what its post shows, so a
// click can redraw it.
const (
	viewTask = "task" // one task (a confirmation or an event)
	viewList = "list" // a contact's task list
)

// listRoom is kept free in each task list message for the line naming who
// completed a task, added after the Formatter split the list.
const listRoom = 600

// newFormatter returns the formatter of the bridge's configuration.
func (b *Bridge) newFormatter() *mattermost.Formatter {
	return &mattermost.Formatter{
		Location: b.cfg.Location,
		AppURL:   b.cfg.AppURL,
		Now:      b.now,
		Limit:    mattermost.MaxMessageRunes - listRoom,
	}
}

// responses turns messages into one slash command response: the first,
// with the others as extra responses (separate posts).
func responses(kind string, msgs []mattermost.Message) *mattermost.CommandResponse {
	if len(msgs) == 0 {
		return nil
	}
	r := msgs[0].CommandResponse(kind)
	for _, m := range msgs[1:] {
		r.ExtraResponses = append(r.ExtraResponses, m.CommandResponse(kind))
	}
	return r
}

// completeActionID is a button's ID: Mattermost routes clicks by it and
// needs it alphanumeric. HighLevel task IDs are; others get no fixed ID
// (the server assigns one).
func completeActionID(taskID string) string {
	for _, r := range taskID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return "complete" + taskID
}

// completeButton returns a signed Complete button for a task, valid only
// in channelID (where it is posted).
func (b *Bridge) completeButton(ctx context.Context, channelID, contactID string, t *tasks.Task, view, name string) (mattermost.Action, error) {
	in, err := b.signer.Integration(b.publicURL(PathAction), actionComplete, map[string]string{
		"contact_id": contactID, "task_id": t.ID, "view": view,
	}, b.bind(ctx, mattermost.Binding{ChannelID: channelID}))
	if err != nil {
		return mattermost.Action{}, err
	}
	return mattermost.Action{
		ID:          completeActionID(t.ID),
		Type:        mattermost.ActionTypeButton,
		Name:        name,
		Style:       "primary",
		Integration: in,
	}, nil
}

// buttonName is a short plain-text label naming a task.
func buttonName(title string) string {
	title = mattermost.PlainText(cmp.Or(title, "(untitled)"))
	if utf8.RuneCountInString(title) > 40 {
		r := []rune(title)
		title = strings.TrimSpace(string(r[:39])) + "…"
	}
	return "✔ " + title
}

// contactFor names the contact of an event: from the cache of names, else
// from HighLevel (once per contact; while HighLevel fails, the ID is shown
// rather than holding posts back).
func (b *Bridge) contactFor(ctx context.Context, id, locationID string) *contacts.Contact {
	s, installed := b.location(ctx)
	if installed {
		locationID = cmp.Or(locationID, s.locationID)
	}
	c := &contacts.Contact{ID: id, LocationID: locationID}
	if c.Name = b.names.get(id); c.Name != "" || id == "" || !installed || !s.lookups.mayLookUp(b.now()) {
		return c
	}
	lctx, cancel := context.WithTimeout(ctx, nameLookupTimeout)
	defer cancel()
	full, err := s.contacts.Get(lctx, id)
	if err != nil {
		if !ghl.IsNotFound(err) {
			s.lookups.failed(b.now())
			b.log.LogAttrs(ctx, slog.LevelDebug, "bridge: looking up a contact's name failed", slog.String("contactId", id), slog.String("error", err.Error()))
		}
		return c
	}
	name := mattermost.ContactName(full)
	b.names.put(id, name)
	c.Name = name
	return c
}

// contactLink renders a contact's name linked to HighLevel.
func (b *Bridge) contactLink(c *contacts.Contact) string {
	name := mattermost.EscapeInline(mattermost.ContactName(c))
	if u := b.format.ContactURL(c); u != "" {
		return "[" + name + "](" + u + ")"
	}
	return name
}

func (b *Bridge) renderContact(c *contacts.Contact) mattermost.Message {
	b.names.put(c.ID, mattermost.ContactName(c))
	return b.format.ContactCard(*c)
}

// renderTaskList renders the contact's tasks with one Complete button per
// open task (in an attachment of the last message). done, when set, is a
// task just completed from the list: a line names who did it.
// The buttons are valid in channelID only.
func (b *Bridge) renderTaskList(ctx context.Context, channelID string, c *contacts.Contact, list []tasks.Task, done *completion) ([]mattermost.Message, error) {
	b.names.put(c.ID, mattermost.ContactName(c))
	msgs := b.format.TaskList(c, list)
	last := &msgs[len(msgs)-1]
	if done != nil {
		last.Text += "\n\n" + b.format.TaskCompleted(*done.task, done.by.UserName).Text
	}
	var buttons []mattermost.Action
	for i := range list {
		if list[i].Completed {
			continue
		}
		a, err := b.completeButton(ctx, channelID, c.ID, &list[i], viewList, buttonName(list[i].Title))
		if err != nil {
			return nil, err
		}
		buttons = append(buttons, a)
	}
	text := "Complete a task:"
	if len(buttons) == 0 {
		text = "Edit a task:"
	}
	if len(list) > 0 {
		menu, err := b.editMenu(ctx, channelID, c.ID, list)
		if err != nil {
			return nil, err
		}
		buttons = append(buttons, menu)
	}
	if len(buttons) > 0 {
		last.Attachments = append(last.Attachments, mattermost.Attachment{
			Fallback: "Complete a task",
			Color:    mattermost.ColorOpen,
			Text:     text,
			Actions:  buttons,
		})
	}
	return msgs, nil
}

// renderThreadRoot is the first post of a contact's notes thread.
func (b *Bridge) renderThreadRoot(c *contacts.Contact) mattermost.Message {
	return mattermost.Message{Text: "**Notes — " + b.contactLink(c) + "**"}
}

// renderNote renders a note, under heading when not empty.
func (b *Bridge) renderNote(_ *contacts.Contact, n *notes.Note, heading string) mattermost.Message {
	m := b.format.Note(*n)
	m.Text = heading
	return m
}

// renderTaskCreated confirms a task created from chat, with its Complete
// button (valid in channelID); note, when set, is added in italics.
func (b *Bridge) renderTaskCreated(ctx context.Context, channelID string, c *contacts.Contact, t *tasks.Task, by, note string) (mattermost.Message, error) {
	m := b.format.TaskCreated(*t, by)
	m.Text += " for " + b.contactLink(c)
	if note != "" {
		m.Text += "\n_" + note + "_"
	}
	if !t.Completed && len(m.Attachments) > 0 {
		a, err := b.completeButton(ctx, channelID, c.ID, t, viewTask, "Complete")
		if err != nil {
			return m, err
		}
		m.Attachments[0].Actions = append(m.Attachments[0].Actions, a)
	}
	return m, b.addEditButton(ctx, &m, channelID, c.ID, t, viewTask)
}

// renderTaskCompleted confirms a completion, or says the task already was.
func (b *Bridge) renderTaskCompleted(c *contacts.Contact, res *completion) (mattermost.Message, error) {
	m := b.format.TaskCompleted(*res.task, res.by.UserName)
	if res.already {
		m.Text = b.alreadyText(res)
	} else if c != nil {
		m.Text += " for " + b.contactLink(c)
	}
	return m, nil
}

// updatedPost redraws the post whose Complete button was clicked, or
// returns nil when it cannot (the click is still answered).
func (b *Bridge) updatedPost(ctx context.Context, req *mattermost.ActionRequest, res *completion) *mattermost.PostUpdate {
	if req.Values["view"] != viewList {
		m := b.format.TaskCompleted(*res.task, res.by.UserName)
		if res.by.UserName == "" {
			m.Text += " in HighLevel"
		}
		if err := b.addEditButton(ctx, &m, req.ChannelID, req.Values["contact_id"], res.task, viewTask); err != nil {
			return nil
		}
		return &mattermost.PostUpdate{Message: m.Text, Props: mattermost.Props{Attachments: m.Attachments}}
	}
	contactID := req.Values["contact_id"]
	c, err := b.svc(ctx).contacts.Get(ctx, contactID)
	if err != nil {
		b.hlCall("Reading the contact", err)
		return nil
	}
	list, err := b.svc(ctx).tasks.List(ctx, contactID)
	if err != nil {
		b.hlCall("Listing the tasks", err)
		return nil
	}
	msgs, err := b.renderTaskList(ctx, req.ChannelID, c, list, res)
	if err != nil {
		return nil
	}
	// The buttons were on the list's last message, so that is the post.
	m := msgs[len(msgs)-1]
	return &mattermost.PostUpdate{Message: m.Text, Props: mattermost.Props{Attachments: m.Attachments}}
}

// renderEvent renders a HighLevel event for channelID (its buttons are
// valid there only); ok is false for types the bridge does not post.
func (b *Bridge) renderEvent(ctx context.Context, channelID string, e webhook.Event) (mattermost.Message, bool) {
	loc := e.EventMeta().LocationID
	switch e := e.(type) {
	case *webhook.TaskCreate:
		c := b.contactFor(ctx, e.Task.ContactID, loc)
		m := b.format.Task(e.Task)
		m.Text = "➕ New task in HighLevel for " + b.contactLink(c) + ": **" + mattermost.EscapeInline(cmp.Or(e.Task.Title, "(untitled)")) + "**"
		if !e.Task.Completed && len(m.Attachments) > 0 {
			if a, err := b.completeButton(ctx, channelID, e.Task.ContactID, &e.Task, viewTask, "Complete"); err == nil {
				m.Attachments[0].Actions = append(m.Attachments[0].Actions, a)
			}
		}
		_ = b.addEditButton(ctx, &m, channelID, e.Task.ContactID, &e.Task, viewTask)
		return m, true
	case *webhook.TaskComplete:
		c := b.contactFor(ctx, e.Task.ContactID, loc)
		m := b.format.TaskCompleted(e.Task, "")
		m.Text += " in HighLevel, for " + b.contactLink(c)
		return m, true
	case *webhook.NoteCreate:
		c := b.contactFor(ctx, e.Note.ContactID, loc)
		return b.renderNote(c, &e.Note, "📝 New note in HighLevel for "+b.contactLink(c)), true
	case *webhook.NoteUpdate:
		c := b.contactFor(ctx, e.Note.ContactID, loc)
		return b.renderNote(c, &e.Note, "✏️ Note updated in HighLevel for "+b.contactLink(c)), true
	case *webhook.ContactCreate:
		m := b.renderContact(&e.Contact)
		m.Text = "👤 New contact in HighLevel: " + b.contactLink(&e.Contact)
		return m, true
	case *webhook.ContactUpdate:
		m := b.renderContact(&e.Contact)
		m.Text = "✏️ Contact updated in HighLevel: " + b.contactLink(&e.Contact)
		return m, true
	case *webhook.ContactTagUpdate:
		m := b.renderContact(&e.Contact)
		m.Text = "🏷️ Tags changed in HighLevel: " + b.contactLink(&e.Contact)
		return m, true
	}
	return mattermost.Message{}, false
}
