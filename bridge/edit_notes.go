package bridge

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/webhook"
)

// Editing notes: /ghl note edit and note delete. A note has one reply in
// its contact's thread; both redraw that reply in place.

// getNote reads a note of the contact, saying so when it has none.
func (b *Bridge) getNote(ctx context.Context, contactID, noteID string) (*notes.Note, error) {
	return findChild(ctx, b, "note", contactID, noteID, b.noteGet)
}

// ownNoteUpdateKey marks one edit of a note: its webhook carries the new
// body, so a later edit made in HighLevel is still announced.
func ownNoteUpdateKey(noteID, body string) string {
	return ownKey(webhook.TypeNoteUpdate, noteID, "body="+body)
}

func (b *Bridge) cmdNoteEdit(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	text := strings.TrimSpace(inv.Arg("text"))
	if text == "" {
		return nil, mattermost.UserErrorf("A note needs text: `%s note edit <contact> <noteId> <text…>`.", b.trigger)
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	old, err := b.getNote(ctx, c.ID, inv.Arg("noteId"))
	if err != nil {
		return nil, err
	}
	if old.Body == text {
		return mattermost.Ephemeral("The note already says that; nothing was changed."), nil
	}
	end, err := b.ownWrite(ctx, c.ID) // held until the mark is set
	if err != nil {
		return nil, err
	}
	defer end()
	key := ownNoteUpdateKey(old.ID, text)
	// Marked before the write: HighLevel may send the webhook first.
	if err := b.store.MarkOwn(ctx, key, b.now().Add(ownFor)); err != nil {
		return nil, err
	}
	n, err := b.svc(ctx).notes.Update(ctx, c.ID, old.ID, notes.UpdateParams{Body: ghl.Set(text)})
	if err != nil && !answered(err) {
		if cur, gerr := b.svc(ctx).notes.Get(ctx, c.ID, old.ID); gerr == nil && cur.Body == text {
			n, err = cur, nil
		}
	}
	if err := b.hlCall("Updating the note", err); err != nil {
		b.forgetOwn(ctx, key)
		return nil, err
	}
	heading := "✏️ Note edited by " + mention(inv.Request.UserName) + " for " + b.contactLink(c)
	th, err := b.redrawNote(ctx, c, n, b.renderNote(c, n, heading))
	msg := "Note " + code(n.ID) + " of " + mattermost.EscapeInline(mattermost.ContactName(c)) + " now reads, in HighLevel:\n> " + mattermost.EscapeInline(truncateRunes(oneLine(n.Body), 300))
	if err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: redrawing an edited note failed", slog.String("noteId", n.ID), slog.String("error", err.Error()))
		msg += "\n_(Its post in the notes thread could not be updated.)_"
	}
	return mattermost.Ephemeral(msg + b.threadLink(th)), nil
}

// redrawNote replaces the note's reply in the contact's thread with m.
// A note not in the thread yet is left for /ghl notes to post.
func (b *Bridge) redrawNote(ctx context.Context, c *contacts.Contact, n *notes.Note, m mattermost.Message) (Thread, error) {
	th, ok, err := b.store.Thread(ctx, c.ID)
	if err != nil {
		return th, err
	}
	postID := th.Notes[n.ID]
	if !ok || postID == "" {
		return th, nil
	}
	_, err = b.mm.PatchPost(ctx, postID, &mattermost.PostPatch{Message: &m.Text, Props: &mattermost.Props{Attachments: m.Attachments}})
	return th, err
}

func (b *Bridge) loadNoteDelete(ctx context.Context, ch *change) (*current, error) {
	return loadChild(ctx, b, ch, "note", b.noteGet, func(n *notes.Note, c *contacts.Contact) *current {
		return &current{
			Subject: "delete the note " + code(n.ID) + " of " + b.contactLink(c),
			Preview: b.format.Note(*n).Attachments,
		}
	})
}

func (b *Bridge) applyNoteDelete(ctx context.Context, ch *change, cur *current) (mattermost.Message, error) {
	n := cur.record.(*notes.Note)
	gone, err := b.deleteRecord(ctx, ch.ContactID, "Deleting the note",
		func() error { return b.svc(ctx).notes.Delete(ctx, ch.ContactID, n.ID) },
		func() error { _, err := b.svc(ctx).notes.Get(ctx, ch.ContactID, n.ID); return err })
	if err != nil {
		return mattermost.Message{}, err
	}
	text := "🗑️ Note " + code(n.ID) + " deleted by " + mention(ch.UserName)
	// Its reply in the thread says so too, without the text.
	if th, ok, err := b.store.Thread(ctx, ch.ContactID); err == nil && ok && th.Notes[n.ID] != "" {
		if _, err := b.mm.PatchPost(ctx, th.Notes[n.ID], &mattermost.PostPatch{Message: &text, Props: &mattermost.Props{}}); err != nil {
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: marking a deleted note's post failed", slog.String("noteId", n.ID), slog.String("error", err.Error()))
		}
	}
	m := b.format.Note(*n)
	m.Text = text + " — " + deletedWord(gone)
	return m, nil
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncateRunes shortens s to n runes, with an ellipsis.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
