package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
)

// Confirmations. A destructive or multi-field change (contact set, contact
// delete, task delete, note delete) is first shown as a preview, before →
// after, with Confirm and Cancel buttons. Both buttons carry one signed
// token bound to the user who asked, the channel and a one-time nonce, so
// the change is applied at most once, by its author, where it was asked;
// the token also holds the record's version at preview time, so a record
// changed in HighLevel since then is shown again instead of overwritten.

const (
	actionConfirm = "confirm"
	// confirmTTL is how long a preview can be confirmed: long enough to
	// read it, short enough that nobody confirms yesterday's preview.
	confirmTTL = 15 * time.Minute
	// choiceKey is the one unsigned context key of the preview's buttons:
	// "cancel" on Cancel. It only picks between the two outcomes the
	// token's user may choose anyway; everything else is signed.
	choiceKey    = "choice"
	choiceCancel = "cancel"
)

// Kinds of changes that need a confirmation.
const (
	opTaskDelete    = "task_delete"
	opNoteDelete    = "note_delete"
	opContactDelete = "contact_delete"
	opContactSet    = "contact_set"
)

// change is a change waiting for its author's confirmation; it travels
// signed in the preview's buttons.
type change struct {
	Op        string
	ContactID string
	TargetID  string // the task or note; the contact for contact changes
	// Version is the record's version when it was previewed (see
	// versionOf).
	Version string
	// Fields are the new values of a contact set, by field name ("" clears).
	Fields   map[string]string
	UserName string // who asked, for the messages
}

func (ch *change) values() (map[string]string, error) {
	v := map[string]string{
		"op": ch.Op, "contact_id": ch.ContactID, "target_id": ch.TargetID,
		"version": ch.Version, "user_name": ch.UserName,
	}
	if len(ch.Fields) > 0 {
		b, err := json.Marshal(ch.Fields)
		if err != nil {
			return nil, err
		}
		v["fields"] = string(b)
	}
	return v, nil
}

func changeFromValues(v map[string]string) (*change, error) {
	ch := &change{Op: v["op"], ContactID: v["contact_id"], TargetID: v["target_id"], Version: v["version"], UserName: v["user_name"]}
	if f := v["fields"]; f != "" {
		if err := json.Unmarshal([]byte(f), &ch.Fields); err != nil {
			return nil, err
		}
	}
	if ch.Op == "" || ch.ContactID == "" || ch.TargetID == "" {
		return nil, errors.New("bridge: incomplete change")
	}
	return ch, nil
}

// current is a record as HighLevel holds it now, with the preview of a
// change to it.
type current struct {
	Gone    bool   // the record no longer exists
	Version string // its version (versionOf)
	// Subject says what the change does ("delete the task **Call back** of
	// Ada").
	Subject string
	// Preview shows the change, before → after (attachments).
	Preview []mattermost.Attachment
	record  any // the record, for apply
}

// changeOp loads and applies one kind of change.
type changeOp struct {
	verb    string // "Delete", "Change"
	danger  bool   // a red Confirm button
	load    func(ctx context.Context, ch *change) (*current, error)
	apply   func(ctx context.Context, ch *change, cur *current) (mattermost.Message, error)
	goneMsg string // what a Confirm on a record already gone says
}

func (b *Bridge) changeOps() map[string]changeOp {
	return map[string]changeOp{
		opTaskDelete:    {verb: "Delete", danger: true, load: b.loadTaskDelete, apply: b.applyTaskDelete, goneMsg: "The task is already deleted in HighLevel; nothing was done."},
		opNoteDelete:    {verb: "Delete", danger: true, load: b.loadNoteDelete, apply: b.applyNoteDelete, goneMsg: "The note is already deleted in HighLevel; nothing was done."},
		opContactDelete: {verb: "Delete", danger: true, load: b.loadContactDelete, apply: b.applyContactDelete, goneMsg: "The contact is already deleted in HighLevel; nothing was done."},
		opContactSet:    {verb: "Change", load: b.loadContactSet, apply: b.applyContactSet, goneMsg: "The contact no longer exists in HighLevel; nothing was changed."},
	}
}

// versionOf is a record's version: HighLevel's dateUpdated when it has
// one, else a digest of the record as HighLevel returned it (tasks and
// notes carry no dateUpdated). Any change in HighLevel changes it.
func versionOf(dateUpdated time.Time, record any) string {
	if !dateUpdated.IsZero() {
		return dateUpdated.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(record)
	if err != nil {
		return ""
	}
	return digest(string(b))
}

// preview renders the preview of ch for channelID and userID, with its
// Confirm and Cancel buttons. note, when set, comes first (why it is shown
// again).
func (b *Bridge) preview(ctx context.Context, ch *change, cur *current, channelID, userID, note string) (mattermost.Message, error) {
	op := b.changeOps()[ch.Op]
	ch.Version = cur.Version
	values, err := ch.values()
	if err != nil {
		return mattermost.Message{}, err
	}
	tok, err := b.signer.SignBound(mattermost.KindAction, actionConfirm, values,
		b.bind(ctx, mattermost.Binding{ChannelID: channelID, UserID: userID, OneTime: true}), confirmTTL)
	if err != nil {
		return mattermost.Message{}, err
	}
	url := b.publicURL(PathAction)
	style := "primary"
	if op.danger {
		style = "danger"
	}
	text := "❓ " + mention(ch.UserName) + " asks to " + cur.Subject + "."
	if note != "" {
		text = note + "\n" + text
	}
	atts := slices.Clone(cur.Preview)
	atts = append(atts, mattermost.Attachment{
		Fallback: op.verb + "? Confirm or cancel.",
		Color:    mattermost.ColorOverdue,
		Text:     fmt.Sprintf("Only %s can confirm, within %d minutes.", mention(ch.UserName), int(confirmTTL/time.Minute)),
		Actions: []mattermost.Action{
			{ID: "confirm", Type: mattermost.ActionTypeButton, Name: "Confirm", Style: style,
				Integration: &mattermost.Integration{URL: url, Context: map[string]any{mattermost.ContextKey: tok}}},
			{ID: "cancel", Type: mattermost.ActionTypeButton, Name: "Cancel", Style: "default",
				Integration: &mattermost.Integration{URL: url, Context: map[string]any{mattermost.ContextKey: tok, choiceKey: choiceCancel}}},
		},
	})
	return mattermost.Message{Text: text, Attachments: atts}, nil
}

// mention names a Mattermost user ("@alice").
func mention(userName string) string {
	if userName == "" {
		return "someone"
	}
	return "@" + mattermost.PlainText(userName)
}

// askConfirm answers a command with the preview of ch, in the channel, so
// the team sees what is about to change.
func (b *Bridge) askConfirm(ctx context.Context, sc *mattermost.SlashCommand, ch *change) (*mattermost.CommandResponse, error) {
	op, ok := b.changeOps()[ch.Op]
	if !ok {
		return nil, fmt.Errorf("bridge: unknown change %q", ch.Op)
	}
	ch.UserName = sc.UserName
	cur, err := op.load(ctx, ch)
	if err != nil {
		return nil, err
	}
	if cur.Gone {
		return nil, &mattermost.UserError{Message: op.goneMsg}
	}
	m, err := b.preview(ctx, ch, cur, sc.ChannelID, sc.UserID, "")
	if err != nil {
		return nil, err
	}
	return m.CommandResponse(mattermost.ResponseInChannel), nil
}

// actionConfirm handles Confirm and Cancel on a preview.
func (b *Bridge) actionConfirm(ctx context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	ch, err := changeFromValues(req.Values)
	if err != nil {
		return nil, mattermost.UserErrorf("This button is broken; run the command again.")
	}
	op, ok := b.changeOps()[ch.Op]
	if !ok {
		return nil, mattermost.UserErrorf("This button is no longer supported; run the command again.")
	}
	// One use: a second click, a replay, or Confirm after Cancel stops here.
	if err := b.verifyUse(ctx, req.Token, req.ChannelID, req.UserID); err != nil {
		return nil, err
	}
	if s, _ := req.Context[choiceKey].(string); s == choiceCancel {
		return updateWith(mattermost.Message{Text: "✖️ " + mention(req.UserName) + " cancelled: nothing was changed."}), nil
	}
	if ch.Op == opContactDelete {
		if err := b.authorizeContactDelete(ctx, req.UserID, req.ChannelID); err != nil {
			return nil, err
		}
	}
	// In the store: the replicas sharing it take turns too.
	unlock, err := b.store.Lock(ctx, "change/"+ch.TargetID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, err := op.load(ctx, ch)
	if err != nil {
		return nil, err
	}
	if cur.Gone {
		return updateWith(mattermost.Message{Text: "✔️ " + op.goneMsg}), nil
	}
	if cur.Version != ch.Version {
		// Changed in HighLevel since the preview: show it as it is now and
		// ask again, with fresh buttons.
		m, err := b.preview(ctx, ch, cur, req.ChannelID, req.UserID, "⚠️ This changed in HighLevel since the preview; nothing was applied. Check it as it is now and confirm again.")
		if err != nil {
			return nil, err
		}
		resp := updateWith(m)
		resp.EphemeralText = "It changed in HighLevel since the preview: check the new state and confirm again."
		return resp, nil
	}
	m, err := op.apply(ctx, ch, cur)
	var userErr *mattermost.UserError
	if errors.As(err, &userErr) {
		// Refused (a 422, a duplicate...): the preview says so, and its
		// spent buttons go.
		resp := updateWith(mattermost.Message{Text: "⚠️ " + mention(ch.UserName) + " confirmed, but nothing was changed: " + userErr.Message, Attachments: cur.Preview})
		resp.EphemeralText = userErr.Message
		return resp, nil
	}
	if err != nil {
		return nil, err
	}
	return updateWith(m), nil
}

// updateWith answers a click by redrawing its post as m.
func updateWith(m mattermost.Message) *mattermost.ActionResponse {
	return &mattermost.ActionResponse{Update: &mattermost.PostUpdate{Message: m.Text, Props: mattermost.Props{Attachments: m.Attachments}}}
}

// sortedKeys returns the keys of m in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// getChild reads one task or note of a contact.
type getChild[T any] func(ctx context.Context, contactID, id string) (*T, error)

// taskGet and noteGet are the getChild of tasks and notes: in the location
// ctx acts on.
func (b *Bridge) taskGet(ctx context.Context, contactID, id string) (*tasks.Task, error) {
	return b.svc(ctx).tasks.Get(ctx, contactID, id)
}

func (b *Bridge) noteGet(ctx context.Context, contactID, id string) (*notes.Note, error) {
	return b.svc(ctx).notes.Get(ctx, contactID, id)
}

// findChild reads a task or note (kind) of the contact, saying so when it
// has none: an unknown ID is the user's mistake, not a failure.
func findChild[T any](ctx context.Context, b *Bridge, kind, contactID, id string, get getChild[T]) (*T, error) {
	id = strings.TrimSpace(id)
	rec, err := get(ctx, contactID, id)
	var apiErr *ghl.APIError
	if ghl.IsNotFound(err) || errors.Is(err, ghl.ErrInvalidParam) || errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest {
		b.hl.observe(b.now(), nil)
		return nil, mattermost.UserErrorf("The contact has no %s with ID %s.", kind, code(id))
	}
	if err := b.hlCall("Reading the "+kind, err); err != nil {
		return nil, err
	}
	return rec, nil
}

// loadChild reads the task or note a delete previews; view renders its
// subject and preview.
func loadChild[T any](ctx context.Context, b *Bridge, ch *change, kind string, get getChild[T], view func(*T, *contacts.Contact) *current) (*current, error) {
	rec, err := get(ctx, ch.ContactID, ch.TargetID)
	if ghl.IsNotFound(err) {
		b.hl.observe(b.now(), nil)
		return &current{Gone: true}, nil
	}
	if err := b.hlCall("Reading the "+kind, err); err != nil {
		return nil, err
	}
	cur := view(rec, b.contactFor(ctx, ch.ContactID, ""))
	cur.Version, cur.record = versionOf(time.Time{}, rec), rec
	return cur, nil
}

// askDelete is the command that previews the delete of a task or note
// (op, kind) of a contact, named by its ID in the argument arg.
func askDelete[T any](b *Bridge, op, kind, arg string, get getChild[T], idOf func(*T) string) mattermost.CommandFunc {
	return func(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		ctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		c, err := b.resolveContact(ctx, inv.Arg("contact"))
		if err != nil {
			return nil, err
		}
		rec, err := findChild(ctx, b, kind, c.ID, inv.Arg(arg), get)
		if err != nil {
			return nil, err
		}
		return b.askConfirm(ctx, inv.Request, &change{Op: op, ContactID: c.ID, TargetID: idOf(rec)})
	}
}
