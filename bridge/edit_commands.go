package bridge

import (
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

// The commands of edits, confirmations and reads, registered by
// chatRoutes with the others.
func (b *Bridge) editCommands() []mattermost.Command {
	contactArg := mattermost.ArgSpec{Name: "contact"}
	onlyContact := []mattermost.ArgSpec{{Name: "contact", Rest: true}}
	return []mattermost.Command{
		{Name: "task edit", Help: "Change a task: only the fields given are sent.", Args: []mattermost.ArgSpec{contactArg, {Name: "taskId"}}, Flags: b.taskEditFlags(), Run: b.cmdTaskEdit},
		{Name: "task reopen", Help: "Mark a completed task open again.", Args: []mattermost.ArgSpec{contactArg, {Name: "taskId"}}, Run: b.cmdTaskReopen},
		{Name: "task delete", Help: "Delete a task, after you confirm.", Args: []mattermost.ArgSpec{contactArg, {Name: "taskId"}}, Run: askDelete(b, opTaskDelete, "task", "taskId", b.taskGet, func(t *tasks.Task) string { return t.ID })},
		{Name: "note edit", Help: "Replace a note's text; its post in the thread is updated.", Args: []mattermost.ArgSpec{contactArg, {Name: "noteId"}, {Name: "text", Rest: true}}, Run: b.cmdNoteEdit},
		{Name: "note delete", Help: "Delete a note, after you confirm.", Args: []mattermost.ArgSpec{contactArg, {Name: "noteId"}}, Run: askDelete(b, opNoteDelete, "note", "noteId", b.noteGet, func(n *notes.Note) string { return n.ID })},
		{Name: "contact set", Help: "Change a contact's fields, after you confirm the before → after preview; field= clears a field.", Args: []mattermost.ArgSpec{contactArg, {Name: "field=value", Rest: true}}, Run: b.cmdContactSet},
		{Name: "contact add", Help: "Create a contact; HighLevel refuses a duplicate where the location forbids them.", Flags: b.contactAddFlags(), Run: b.cmdContactAdd},
		{Name: "contact delete", Help: "Delete a contact, after you confirm (channel or bridge admins only).", Args: onlyContact, Run: b.cmdContactDelete},
		{Name: "tag add", Help: "Add tags to a contact; quote a tag with spaces.", Args: []mattermost.ArgSpec{contactArg, {Name: "tag", Rest: true}}, Run: b.cmdTagAdd},
		{Name: "tag remove", Help: "Remove tags from a contact.", Args: []mattermost.ArgSpec{contactArg, {Name: "tag", Rest: true}}, Run: b.cmdTagRemove},
		{Name: "search", Help: "Find contacts by name, email, phone or company (first page).", Args: []mattermost.ArgSpec{{Name: "text", Rest: true}}, Run: b.cmdSearch},
		{Name: "appointments", Help: "List the contact's appointments.", Args: onlyContact, Run: b.cmdAppointments},
		{Name: "business", Help: "List the contacts of a business.", Args: []mattermost.ArgSpec{{Name: "businessId"}}, Run: b.cmdBusiness},
	}
}

// commandExamples gives each command one example for the help.
func (b *Bridge) commandExamples() map[string]string {
	t := b.trigger
	return map[string]string{
		"contact":        t + " contact ada@example.com",
		"tasks":          t + " tasks +14155550100",
		"notes":          t + " notes ada@example.com",
		"task add":       t + ` task add ada@example.com Call back --due 2030-05-01 --body "Ask about the quote"`,
		"task done":      t + " task done ada@example.com <taskId>",
		"task edit":      t + ` task edit ada@example.com <taskId> --title "Call back Friday" --due 2030-05-03`,
		"task reopen":    t + " task reopen ada@example.com <taskId>",
		"task delete":    t + " task delete ada@example.com <taskId>",
		"note add":       t + " note add ada@example.com Met at the fair, wants a quote",
		"note edit":      t + " note edit ada@example.com <noteId> Wants a quote for 20 seats",
		"note delete":    t + " note delete ada@example.com <noteId>",
		"contact set":    t + ` contact set ada@example.com city="New York" postalCode=10001 website=`,
		"contact add":    t + " contact add --first Ada --last Lovelace --email ada@example.com",
		"contact delete": t + " contact delete ada@example.com",
		"tag add":        t + ` tag add ada@example.com hot "trade show"`,
		"tag remove":     t + " tag remove ada@example.com hot",
		"search":         t + " search lovelace",
		"appointments":   t + " appointments ada@example.com",
		"business":       t + " business <businessId>",
		"subscribe":      t + " subscribe ada@example.com",
		"unsubscribe":    t + " unsubscribe ada@example.com",
		"connect":        t + " connect <locationId>",
	}
}

// editRoutes routes the buttons and forms of edits.
func (b *Bridge) editRoutes(actions *mattermost.ActionHandler, dialogs *mattermost.DialogHandler) {
	// policy.go: in the channel's location, counted, and refused in
	// read-only mode.
	actions.Handle(actionConfirm, b.action("confirm button", true, b.actionConfirm))
	actions.Handle(actionTaskEdit, b.action("task edit button", true, b.actionTaskEdit))
	dialogs.Handle(dialogTaskEdit, b.dialog("task edit dialog", true, b.dialogTaskEdit))
}
