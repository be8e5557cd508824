package mattermost

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

// DefaultAppURL is HighLevel's web app, where contact links point unless
// Formatter.AppURL names a white-label domain.
const DefaultAppURL = "https://app.gohighlevel.com"

// Attachment colours used by the Formatter.
const (
	ColorContact   = "#1E88E5"
	ColorOpen      = "#607D8B"
	ColorOverdue   = "#D32F2F"
	ColorCompleted = "#2E7D32"
	ColorNote      = "#F9A825"
)

// maxAttachmentText bounds a task body or note shown in an attachment;
// longer text is cut with an ellipsis (the full text stays in HighLevel).
const maxAttachmentText = 8000

// Message is rendered content for one Mattermost post: Markdown text and
// attachments. Turn it into what you send with Post, CommandResponse or
// WebhookMessage.
type Message struct {
	Text        string       `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Post returns m as a post for channelID, replying in rootID's thread when
// rootID is not empty.
func (m Message) Post(channelID, rootID string) *Post {
	p := &Post{ChannelID: channelID, RootID: rootID, Message: m.Text}
	p.Props.Attachments = slices.Clone(m.Attachments)
	return p
}

// CommandResponse returns m as a slash command response of responseType
// (ResponseEphemeral or ResponseInChannel).
func (m Message) CommandResponse(responseType string) *CommandResponse {
	return &CommandResponse{ResponseType: responseType, Text: m.Text, Attachments: slices.Clone(m.Attachments)}
}

// WebhookMessage returns m as an incoming-webhook message.
func (m Message) WebhookMessage() *WebhookMessage {
	return &WebhookMessage{Text: m.Text, Attachments: slices.Clone(m.Attachments)}
}

// PostMessages posts msgs in channelID: the first as a reply to rootID (or
// as a new post when rootID is empty), the others as replies in the same
// thread, so that a list split by the Formatter reads as one conversation.
// It returns the posts created before any error.
func (c *Client) PostMessages(ctx context.Context, channelID, rootID string, msgs []Message) ([]*Post, error) {
	var out []*Post
	for _, m := range msgs {
		p, err := c.CreatePost(ctx, m.Post(channelID, rootID))
		if err != nil {
			return out, err
		}
		out = append(out, p)
		if rootID == "" {
			rootID = p.ID
		}
	}
	return out, nil
}

// Formatter renders HighLevel contacts, tasks and notes as Mattermost
// messages. CRM text is untrusted: it is escaped so that it cannot change
// the Markdown around it or mention anyone (see EscapeMarkdown). The zero
// value is ready to use (UTC, DefaultAppURL, time.Now).
type Formatter struct {
	// Location is the time zone for dates (default UTC).
	Location *time.Location
	// AppURL is the HighLevel web app (default DefaultAppURL). Contact
	// names link to <AppURL>/v2/location/<locationId>/contacts/detail/<id>.
	AppURL string
	// Now returns the current time, for overdue marks (default time.Now).
	Now func() time.Time
	// UserName turns a HighLevel user ID (a task's assignee, a note's
	// author) into a display name; when nil or returning "", the ID is
	// shown. The name is escaped like CRM text.
	UserName func(userID string) string
	// Limit is the most characters per message (default MaxMessageRunes).
	Limit int
}

func (f *Formatter) loc() *time.Location {
	if f.Location != nil {
		return f.Location
	}
	return time.UTC
}

func (f *Formatter) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Formatter) limit() int {
	if f.Limit > 0 {
		return f.Limit
	}
	return MaxMessageRunes
}

// ContactURL returns the link to c in HighLevel's app, or "" when c lacks
// an ID or location ID.
func (f *Formatter) ContactURL(c *contacts.Contact) string {
	if c == nil || c.ID == "" || c.LocationID == "" {
		return ""
	}
	base := strings.TrimRight(cmp.Or(f.AppURL, DefaultAppURL), "/")
	return base + "/v2/location/" + url.PathEscape(c.LocationID) + "/contacts/detail/" + url.PathEscape(c.ID)
}

// ContactName returns the name to show for c: its full name, else first and
// last name, else email, else phone, else its ID. It is not escaped.
func ContactName(c *contacts.Contact) string {
	if c == nil {
		return ""
	}
	if n := strings.TrimSpace(c.Name); n != "" {
		return n
	}
	if n := strings.TrimSpace(strings.TrimSpace(c.FirstName) + " " + strings.TrimSpace(c.LastName)); n != "" {
		return n
	}
	return cmp.Or(strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone), c.ID, "(no name)")
}

// contactLink renders c's name, linked to HighLevel when possible.
func (f *Formatter) contactLink(c *contacts.Contact) string {
	name := EscapeInline(ContactName(c))
	if u := f.ContactURL(c); u != "" {
		return "[" + name + "](" + u + ")"
	}
	return name
}

// ContactCard renders a contact as an attachment: the name linked to
// HighLevel, email, phone, company, type, tags and ID.
func (f *Formatter) ContactCard(c contacts.Contact) Message {
	name := ContactName(&c)
	att := Attachment{
		Fallback:  PlainText("Contact: " + name),
		Color:     ColorContact,
		Title:     "👤 " + EscapeInline(name),
		TitleLink: f.ContactURL(&c),
		Footer:    "HighLevel contact",
	}
	if c.Email != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Email", Value: codeSpan(c.Email), Short: true})
	}
	if c.Phone != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Phone", Value: EscapeInline(c.Phone), Short: true})
	}
	if c.CompanyName != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Company", Value: EscapeInline(c.CompanyName), Short: true})
	}
	if c.Type != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Type", Value: EscapeInline(c.Type), Short: true})
	}
	if len(c.Tags) > 0 {
		tags := make([]string, len(c.Tags))
		for i, t := range c.Tags {
			tags[i] = codeSpan(t)
		}
		att.Fields = append(att.Fields, AttachmentField{Title: "Tags", Value: strings.Join(tags, " ")})
	}
	if c.ID != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Contact ID", Value: codeSpan(c.ID), Short: true})
	}
	return Message{Attachments: []Attachment{att}}
}

// date formats t in the formatter's zone, "" for the zero time.
func (f *Formatter) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(f.loc()).Format("Mon 2 Jan 2006 15:04 MST")
}

// Overdue reports whether t is open and past its due date.
func (f *Formatter) Overdue(t *tasks.Task) bool {
	return !t.Completed && !t.DueDate.IsZero() && t.DueDate.Before(f.now())
}

func (f *Formatter) userName(id string) string {
	if id == "" {
		return ""
	}
	if f.UserName != nil {
		if n := f.UserName(id); n != "" {
			return EscapeInline(n)
		}
	}
	return codeSpan(id)
}

// taskLine renders one task as a list item.
func (f *Formatter) taskLine(t *tasks.Task) string {
	var b strings.Builder
	title := EscapeInline(cmp.Or(t.Title, "(untitled)"))
	if t.Completed {
		b.WriteString("- ✅ ~~" + title + "~~")
	} else {
		b.WriteString("- ⬜ **" + title + "**")
	}
	if d := f.date(t.DueDate); d != "" {
		b.WriteString(" · due " + d)
	} else if !t.Completed {
		b.WriteString(" · no due date")
	}
	if f.Overdue(t) {
		b.WriteString(" · ⚠️ **overdue**")
	}
	if a := f.userName(t.AssignedTo); a != "" {
		b.WriteString(" · assigned to " + a)
	}
	if t.ID != "" {
		b.WriteString(" · " + codeSpan(t.ID))
	}
	return b.String()
}

// TaskList renders tasks as a Markdown list, open tasks first by due date,
// then completed ones; each line shows the status, title, due date (overdue
// marked), assignee and task ID. contact, if not nil, names whose tasks
// they are. A list longer than a post is split at task boundaries into
// several messages: post the first and the rest as replies
// (Client.PostMessages).
func (f *Formatter) TaskList(contact *contacts.Contact, ts []tasks.Task) []Message {
	sorted := slices.Clone(ts)
	slices.SortStableFunc(sorted, func(a, b tasks.Task) int {
		if a.Completed != b.Completed {
			if a.Completed {
				return 1
			}
			return -1
		}
		switch {
		case a.DueDate.IsZero() && b.DueDate.IsZero():
			return 0
		case a.DueDate.IsZero():
			return 1
		case b.DueDate.IsZero():
			return -1
		}
		return a.DueDate.Compare(b.DueDate)
	})
	open, overdue := 0, 0
	for i := range sorted {
		if !sorted[i].Completed {
			open++
			if f.Overdue(&sorted[i]) {
				overdue++
			}
		}
	}
	header := "**Tasks**"
	if contact != nil {
		header = "**Tasks for " + f.contactLink(contact) + "**"
	}
	if len(sorted) == 0 {
		return []Message{{Text: header + "\n\nNo tasks."}}
	}
	header += fmt.Sprintf(" · %d open, %d done", open, len(sorted)-open)
	if overdue > 0 {
		header += fmt.Sprintf(", %d overdue", overdue)
	}
	header += "\n"
	items := make([]string, len(sorted))
	for i := range sorted {
		items[i] = f.taskLine(&sorted[i])
	}
	parts := SplitMessage(header, "_(tasks, continued)_\n", items, f.limit())
	out := make([]Message, len(parts))
	for i, p := range parts {
		out[i] = Message{Text: p}
	}
	return out
}

// taskAttachment renders one task in full.
func (f *Formatter) taskAttachment(t *tasks.Task) Attachment {
	title := EscapeInline(cmp.Or(t.Title, "(untitled)"))
	status, color, icon := "Open", ColorOpen, "⬜"
	switch {
	case t.Completed:
		status, color, icon = "Completed", ColorCompleted, "✅"
	case f.Overdue(t):
		status, color, icon = "Overdue", ColorOverdue, "⚠️"
	}
	att := Attachment{
		Fallback: PlainText("Task: " + cmp.Or(t.Title, "(untitled)") + " (" + status + ")"),
		Color:    color,
		Title:    icon + " " + title,
		Text:     EscapeMarkdown(truncate(t.Body, maxAttachmentText)),
	}
	att.Fields = append(att.Fields, AttachmentField{Title: "Status", Value: status, Short: true})
	due := f.date(t.DueDate)
	if due == "" {
		due = "No due date"
	}
	att.Fields = append(att.Fields, AttachmentField{Title: "Due", Value: due, Short: true})
	if a := f.userName(t.AssignedTo); a != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Assigned to", Value: a, Short: true})
	}
	if t.ID != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Task ID", Value: codeSpan(t.ID), Short: true})
	}
	if t.ContactID != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Contact ID", Value: codeSpan(t.ContactID), Short: true})
	}
	return att
}

// Task renders one task in full as an attachment: status, title, body, due
// date, assignee, task and contact IDs. Add buttons by appending Actions to
// its attachment.
func (f *Formatter) Task(t tasks.Task) Message {
	return Message{Attachments: []Attachment{f.taskAttachment(&t)}}
}

// TaskCreated confirms a new task, created by the Mattermost user named by
// (a username, mentioned; "" to leave out), with the task's details.
func (f *Formatter) TaskCreated(t tasks.Task, by string) Message {
	text := "➕ Task created"
	if by != "" {
		text += " by " + mention(by)
	}
	return Message{Text: text + ": **" + EscapeInline(cmp.Or(t.Title, "(untitled)")) + "**", Attachments: []Attachment{f.taskAttachment(&t)}}
}

// TaskCompleted confirms a completed task ("✅ Completed by @user"), with
// the task's details. Use its Text and Attachments as the update of the
// post whose "Complete" button was clicked.
func (f *Formatter) TaskCompleted(t tasks.Task, by string) Message {
	t.Completed = true
	text := "✅ Completed"
	if by != "" {
		text += " by " + mention(by)
	}
	return Message{Text: text + ": ~~" + EscapeInline(cmp.Or(t.Title, "(untitled)")) + "~~", Attachments: []Attachment{f.taskAttachment(&t)}}
}

// mention renders a Mattermost username as a mention when it is a valid
// username, and as inert text otherwise.
func mention(username string) string {
	if validUsername(username) {
		return "@" + username
	}
	return EscapeInline(username)
}

// validUsername follows Mattermost's rules: 1-64 characters, starting with
// a letter, of lowercase letters, digits, '.', '-' and '_'. The channel-wide
// words are refused so that they are never produced as mentions.
func validUsername(s string) bool {
	if s == "" || len(s) > 64 || !('a' <= s[0] && s[0] <= 'z') {
		return false
	}
	switch s {
	case "all", "channel", "here", "matterbot":
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Note renders a note in full as an attachment: title, body, author, date
// and note ID. The note's colour is used when it is a CSS hex colour.
func (f *Formatter) Note(n notes.Note) Message {
	title := "📝 " + EscapeInline(cmp.Or(n.Title, "Note"))
	if n.Pinned {
		title = "📌 " + title
	}
	att := Attachment{
		Fallback: PlainText("Note: " + cmp.Or(n.Title, truncate(oneLine(n.Body), 80))),
		Color:    ColorNote,
		Title:    title,
		Text:     EscapeMarkdown(truncate(n.Body, maxAttachmentText)),
	}
	if hexColor(n.Color) {
		att.Color = n.Color
	}
	if a := f.userName(n.UserID); a != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Author", Value: a, Short: true})
	}
	if d := f.date(n.DateAdded); d != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Added", Value: d, Short: true})
	}
	if n.ID != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Note ID", Value: codeSpan(n.ID), Short: true})
	}
	if n.ContactID != "" {
		att.Fields = append(att.Fields, AttachmentField{Title: "Contact ID", Value: codeSpan(n.ContactID), Short: true})
	}
	return Message{Attachments: []Attachment{att}}
}

// NoteList renders notes as a Markdown list, newest first: title, date,
// author, note ID and the start of the body. Like TaskList, a long list is
// split into several messages at note boundaries.
func (f *Formatter) NoteList(contact *contacts.Contact, ns []notes.Note) []Message {
	sorted := slices.Clone(ns)
	slices.SortStableFunc(sorted, func(a, b notes.Note) int { return b.DateAdded.Compare(a.DateAdded) })
	header := "**Notes**"
	if contact != nil {
		header = "**Notes for " + f.contactLink(contact) + "**"
	}
	if len(sorted) == 0 {
		return []Message{{Text: header + "\n\nNo notes."}}
	}
	header += fmt.Sprintf(" · %d\n", len(sorted))
	items := make([]string, len(sorted))
	for i, n := range sorted {
		var b strings.Builder
		b.WriteString("- 📝 **" + EscapeInline(cmp.Or(n.Title, "Note")) + "**")
		if d := f.date(n.DateAdded); d != "" {
			b.WriteString(" · " + d)
		}
		if a := f.userName(n.UserID); a != "" {
			b.WriteString(" · by " + a)
		}
		if n.ID != "" {
			b.WriteString(" · " + codeSpan(n.ID))
		}
		if body := EscapeInline(truncate(oneLine(n.Body), 200)); body != "" {
			b.WriteString("\n  " + body)
		}
		items[i] = b.String()
	}
	parts := SplitMessage(header, "_(notes, continued)_\n", items, f.limit())
	out := make([]Message, len(parts))
	for i, p := range parts {
		out[i] = Message{Text: p}
	}
	return out
}

func hexColor(s string) bool {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n runes at a safe boundary, ending in "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	head, _ := cutRunes(s, n-1)
	return strings.TrimRight(head, " \n") + "…"
}
