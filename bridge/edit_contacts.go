package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/webhook"
)

// Editing contacts: /ghl contact set, contact add, contact delete and
// tag add/remove.

// contactField is a field /ghl contact set can change.
type contactField struct {
	name string // as HighLevel spells it
	get  func(c *contacts.Contact) string
	// set writes v into p; "" clears the field.
	set func(p *contacts.UpdateParams, v string)
	// check refuses a bad value before anything is sent ("" is checked
	// only when clearing is refused).
	check func(v string) error
}

// str makes a nullable text field: "" sends null, which clears it.
func str(f func(p *contacts.UpdateParams) *ghl.Field[string]) func(*contacts.UpdateParams, string) {
	return func(p *contacts.UpdateParams, v string) {
		if v == "" {
			*f(p) = ghl.Null[string]()
			return
		}
		*f(p) = ghl.Set(v)
	}
}

// contactFields are the fields of HighLevel's UpdateContactDto that chat
// can change, by lower-case name.
var contactFields = func() map[string]contactField {
	fs := []contactField{
		{name: "firstName", get: func(c *contacts.Contact) string { return c.FirstName }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.FirstName })},
		{name: "lastName", get: func(c *contacts.Contact) string { return c.LastName }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.LastName })},
		{name: "name", get: func(c *contacts.Contact) string { return c.Name }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.Name })},
		{name: "email", get: func(c *contacts.Contact) string { return c.Email }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.Email }), check: checkEmail},
		{name: "phone", get: func(c *contacts.Contact) string { return c.Phone }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.Phone }), check: checkPhone},
		{name: "address1", get: func(c *contacts.Contact) string { return c.Address1 }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.Address1 })},
		{name: "city", get: func(c *contacts.Contact) string { return c.City }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.City })},
		{name: "state", get: func(c *contacts.Contact) string { return c.State }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.State })},
		// The spec does not let postalCode and country be null: "" clears.
		{name: "postalCode", get: func(c *contacts.Contact) string { return c.PostalCode }, set: func(p *contacts.UpdateParams, v string) { p.PostalCode = ghl.Set(v) }},
		{name: "country", get: func(c *contacts.Contact) string { return c.Country }, set: func(p *contacts.UpdateParams, v string) { p.Country = ghl.Set(strings.ToUpper(v)) }, check: checkCountry},
		{name: "website", get: func(c *contacts.Contact) string { return c.Website }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.Website })},
		{name: "timezone", get: func(c *contacts.Contact) string { return c.Timezone }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.Timezone }), check: checkTimezone},
		{name: "source", get: func(c *contacts.Contact) string { return c.Source }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.Source })},
		{name: "assignedTo", get: func(c *contacts.Contact) string { return c.AssignedTo }, set: str(func(p *contacts.UpdateParams) *ghl.Field[string] { return &p.AssignedTo }), check: checkUserID},
		{name: "dnd", get: func(c *contacts.Contact) string { return fmt.Sprint(c.DND) }, set: func(p *contacts.UpdateParams, v string) { p.DND = ghl.Set(v == "true") }, check: checkBool},
	}
	m := make(map[string]contactField, len(fs))
	for _, f := range fs {
		m[strings.ToLower(f.name)] = f
	}
	return m
}()

// customPrefix names a custom field by its ID: custom.<fieldId>=value.
const customPrefix = "custom."

func checkEmail(v string) error {
	if v != "" && (!strings.Contains(v, "@") || strings.ContainsAny(v, " \t<>")) {
		return fmt.Errorf("%s is not an email address", code(v))
	}
	return nil
}

func checkPhone(v string) error {
	if v != "" && !looksLikePhone(v) {
		return fmt.Errorf("%s is not a phone number (7 to 15 digits, optionally starting with +)", code(v))
	}
	return nil
}

func checkCountry(v string) error {
	if v != "" && (len(v) != 2 || strings.ToUpper(v) < "AA" || strings.ToUpper(v) > "ZZ") {
		return fmt.Errorf("%s is not a two-letter country code such as US", code(v))
	}
	return nil
}

func checkTimezone(v string) error {
	// IANA names: Area/Location, letters, digits, _ - + /.
	if v == "" {
		return nil
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-+/", r)) {
			return fmt.Errorf("%s is not a time zone name such as America/Chicago", code(v))
		}
	}
	return nil
}

func checkUserID(v string) error {
	if v != "" && !plausibleID(v) {
		return fmt.Errorf("%s is not a HighLevel user ID", code(v))
	}
	return nil
}

func checkBool(v string) error {
	if v != "true" && v != "false" {
		return fmt.Errorf("%s is not true or false", code(v))
	}
	return nil
}

// parseAssignments reads field=value words into the changes they ask for,
// by canonical field name, refusing unknown fields and bad values.
func parseAssignments(words []string) (map[string]string, error) {
	out := map[string]string{}
	var problems []string
	for _, w := range words {
		name, v, ok := strings.Cut(w, "=")
		name = strings.TrimSpace(name)
		v = strings.TrimSpace(v)
		if !ok || name == "" {
			problems = append(problems, fmt.Sprintf("%s is not field=value", code(w)))
			continue
		}
		key := name
		if id, custom := strings.CutPrefix(name, customPrefix); custom {
			if !plausibleID(id) {
				problems = append(problems, fmt.Sprintf("%s is not a custom field ID", code(id)))
				continue
			}
		} else {
			f, known := contactFields[strings.ToLower(name)]
			switch {
			case strings.EqualFold(name, "companyName"):
				problems = append(problems, "HighLevel's contact update does not take `companyName`; change it in HighLevel")
				continue
			case strings.EqualFold(name, "tags"):
				problems = append(problems, "change tags with `tag add` and `tag remove`")
				continue
			case !known:
				problems = append(problems, fmt.Sprintf("unknown field %s", code(name)))
				continue
			}
			key = f.name
			if f.name == "dnd" {
				v = strings.ToLower(v)
				switch v {
				case "yes", "on":
					v = "true"
				case "no", "off":
					v = "false"
				}
			}
			if f.name == "phone" && v != "" && looksLikePhone(v) {
				v = normalizePhone(v)
			}
			if f.check != nil {
				if err := f.check(v); err != nil {
					problems = append(problems, name+": "+err.Error())
					continue
				}
			}
		}
		if _, dup := out[key]; dup {
			problems = append(problems, fmt.Sprintf("%s is given twice", code(name)))
			continue
		}
		out[key] = v
	}
	if len(problems) > 0 {
		return nil, &mattermost.UserError{Message: "Nothing was changed: " + strings.Join(problems, "; ") + ".\nFields: " + fieldList() + ", and " + code("custom.<fieldId>") + "."}
	}
	return out, nil
}

func fieldList() string {
	var names []string
	for _, f := range contactFields {
		names = append(names, f.name)
	}
	slices.Sort(names)
	return "`" + strings.Join(names, "`, `") + "`"
}

// customValue returns a custom field's value on c as text.
func customValue(c *contacts.Contact, id string) string {
	for _, cf := range c.CustomFields {
		if cf.ID == id {
			if s, ok := cf.Value.AsString(); ok {
				return s
			}
			if ss, ok := cf.Value.AsStrings(); ok {
				return strings.Join(ss, ", ")
			}
			if cf.Value.IsNull() {
				return ""
			}
			return string(cf.Value.Raw())
		}
	}
	return ""
}

// fieldValue returns field (canonical name or custom.<id>) of c as text.
func fieldValue(c *contacts.Contact, field string) string {
	if id, ok := strings.CutPrefix(field, customPrefix); ok {
		return customValue(c, id)
	}
	return contactFields[strings.ToLower(field)].get(c)
}

// updateParams turns changes into UpdateParams.
func updateParams(changes map[string]string) contacts.UpdateParams {
	var p contacts.UpdateParams
	for _, k := range sortedKeys(changes) {
		v := changes[k]
		if id, ok := strings.CutPrefix(k, customPrefix); ok {
			val := contacts.StringValue(v)
			if v == "" {
				val = contacts.NullValue()
			}
			p.CustomFields = append(p.CustomFields, contacts.CustomField{ID: id, Value: val})
			continue
		}
		contactFields[strings.ToLower(k)].set(&p, v)
	}
	return p
}

// shown writes a field value for a message.
func shown(v string) string {
	if v == "" {
		return "_(empty)_"
	}
	return mattermost.EscapeInline(v)
}

func (b *Bridge) cmdContactSet(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	changes, err := parseAssignments(inv.Words("field=value"))
	if err != nil {
		return nil, err
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	// Only what changes is previewed and sent.
	for k, v := range changes {
		if fieldValue(c, k) == v {
			delete(changes, k)
		}
	}
	if len(changes) == 0 {
		return mattermost.Ephemeral(mattermost.EscapeInline(mattermost.ContactName(c)) + " already has these values; nothing was changed."), nil
	}
	return b.askConfirm(ctx, inv.Request, &change{Op: opContactSet, ContactID: c.ID, TargetID: c.ID, Fields: changes})
}

func (b *Bridge) loadContact(ctx context.Context, id string) (*contacts.Contact, bool, error) {
	c, err := b.svc(ctx).contacts.Get(ctx, id)
	if ghl.IsNotFound(err) {
		b.hl.observe(b.now(), nil)
		return nil, true, nil
	}
	if err := b.hlCall("Reading the contact", err); err != nil {
		return nil, false, err
	}
	return c, false, nil
}

func (b *Bridge) loadContactSet(ctx context.Context, ch *change) (*current, error) {
	c, gone, err := b.loadContact(ctx, ch.ContactID)
	if err != nil || gone {
		return &current{Gone: gone}, err
	}
	att := mattermost.Attachment{Fallback: "Changes", Color: mattermost.ColorContact, Title: "Before → after"}
	for _, k := range sortedKeys(ch.Fields) {
		att.Fields = append(att.Fields, mattermost.AttachmentField{Title: k, Value: shown(fieldValue(c, k)) + " → **" + shown(ch.Fields[k]) + "**"})
	}
	return &current{
		Version: versionOf(c.DateUpdated, c),
		Subject: "change " + plural(len(ch.Fields), "field", "fields") + " of " + b.contactLink(c),
		Preview: []mattermost.Attachment{att},
		record:  c,
	}, nil
}

// ownContactUpdateKey marks one state of a contact as the bridge's own
// change: the digest covers the fields HighLevel's ContactUpdate webhook
// carries, so a later change made in HighLevel is still announced.
func ownContactUpdateKey(c *contacts.Contact) string {
	return ownKey(webhook.TypeContactUpdate, c.ID, c.FirstName, c.LastName, strings.ToLower(c.Email), c.Phone, c.City, c.State, c.PostalCode,
		c.Country, c.Website, c.Source, c.AssignedTo, c.CompanyName, fmt.Sprint(c.DND))
}

// ownTagsKey marks one set of tags of a contact.
func ownTagsKey(contactID string, tags []string) string {
	norm := make([]string, len(tags))
	for i, t := range tags {
		norm[i] = strings.ToLower(strings.TrimSpace(t))
	}
	slices.Sort(norm)
	return ownKey(webhook.TypeContactTagUpdate, contactID, slices.Compact(norm)...)
}

// ownCreateKey marks a contact the bridge creates, before HighLevel names
// it: by what identifies it.
func ownCreateKey(c *contacts.Contact) string {
	return ownKey(webhook.TypeContactCreate, "", strings.ToLower(c.Email), c.Phone, strings.ToLower(c.FirstName), strings.ToLower(c.LastName))
}

// markOwn remembers keys as the bridge's own changes (each hides one
// webhook), best effort: a failure only means the webhook is announced
// too.
func (b *Bridge) markOwn(ctx context.Context, key string) {
	if err := b.store.MarkOwn(context.WithoutCancel(ctx), key, b.now().Add(ownFor)); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: marking a change as the bridge's own failed; its webhook will be posted too", slog.String("error", err.Error()))
	}
}

// forgetOwn removes a mark made for a change that failed, so that it
// hides no later change made in HighLevel.
func (b *Bridge) forgetOwn(ctx context.Context, key string) {
	if err := b.store.ForgetOwn(context.WithoutCancel(ctx), key); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: removing an own-change mark failed", slog.String("error", err.Error()))
	}
}

func (b *Bridge) applyContactSet(ctx context.Context, ch *change, cur *current) (mattermost.Message, error) {
	before := cur.record.(*contacts.Contact)
	end, err := b.ownWrite(ctx, before.ID)
	if err != nil {
		return mattermost.Message{}, err
	}
	defer end()
	// The state it will have, marked before the write: HighLevel may send
	// the webhook before it answers.
	want := *before
	for k, v := range ch.Fields {
		if f, ok := contactFields[strings.ToLower(k)]; ok {
			setOn(&want, f.name, v)
		}
	}
	predicted := ownContactUpdateKey(&want)
	b.markOwn(ctx, predicted)
	p := updateParams(ch.Fields)
	c, err := b.svc(ctx).contacts.Update(ctx, before.ID, p)
	if err != nil && !answered(err) {
		// PUT is idempotent and was retried; read it back before saying
		// it failed.
		if now, gerr := b.svc(ctx).contacts.Get(ctx, before.ID); gerr == nil && holds(now, ch.Fields) {
			c, err = now, nil
		}
	}
	if err := b.hlCall("Updating the contact", err); err != nil {
		b.forgetOwn(ctx, predicted)
		return mattermost.Message{}, err
	}
	if k := ownContactUpdateKey(c); k != predicted {
		b.markOwn(ctx, k)
	}
	b.names.put(c.ID, mattermost.ContactName(c))
	att := mattermost.Attachment{Fallback: "Contact updated", Color: mattermost.ColorCompleted, Title: "As HighLevel now holds it"}
	for _, k := range sortedKeys(ch.Fields) {
		att.Fields = append(att.Fields, mattermost.AttachmentField{Title: k, Value: shown(fieldValue(before, k)) + " → **" + shown(fieldValue(c, k)) + "**"})
	}
	text := "✅ " + mention(ch.UserName) + " changed " + plural(len(ch.Fields), "field", "fields") + " of " + b.contactLink(c) + "."
	if !holds(c, ch.Fields) {
		text += "\n⚠️ HighLevel stored some values differently from what was asked; see below."
	}
	return mattermost.Message{Text: text, Attachments: []mattermost.Attachment{att}}, nil
}

// holds reports whether c has the values changes asks for.
func holds(c *contacts.Contact, changes map[string]string) bool {
	for k, v := range changes {
		got := fieldValue(c, k)
		if strings.EqualFold(k, "email") {
			got, v = strings.ToLower(got), strings.ToLower(v)
		}
		if got != v {
			return false
		}
	}
	return true
}

// setOn sets a known field on c, as the update will.
func setOn(c *contacts.Contact, field, v string) {
	switch field {
	case "firstName":
		c.FirstName = v
	case "lastName":
		c.LastName = v
	case "email":
		c.Email = v
	case "phone":
		c.Phone = v
	case "city":
		c.City = v
	case "state":
		c.State = v
	case "postalCode":
		c.PostalCode = v
	case "country":
		c.Country = strings.ToUpper(v)
	case "website":
		c.Website = v
	case "source":
		c.Source = v
	case "assignedTo":
		c.AssignedTo = v
	case "dnd":
		c.DND = v == "true"
	}
}

// --- tags ---

func (b *Bridge) cmdTagAdd(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	return b.changeTags(ctx, inv, true)
}

func (b *Bridge) cmdTagRemove(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	return b.changeTags(ctx, inv, false)
}

func (b *Bridge) changeTags(ctx context.Context, inv *mattermost.Invocation, add bool) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	var tags []string
	for _, t := range inv.Words("tag") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if len([]rune(t)) > 100 {
			return nil, mattermost.UserErrorf("The tag %s is too long (100 characters at most).", code(truncateRunes(t, 30)))
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return nil, mattermost.UserErrorf("Give at least one tag; quote a tag with spaces: `\"trade show\"`.")
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	has := func(t string) bool {
		return slices.ContainsFunc(c.Tags, func(x string) bool { return strings.EqualFold(x, t) })
	}
	var todo []string
	for _, t := range tags {
		if has(t) != add {
			todo = append(todo, t)
		}
	}
	name := mattermost.EscapeInline(mattermost.ContactName(c))
	if len(todo) == 0 {
		verb := "already has"
		if !add {
			verb = "has none of"
		}
		return mattermost.Ephemeral(fmt.Sprintf("%s %s these tags; nothing was changed.", name, verb)), nil
	}
	end, err := b.ownWrite(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	defer end()
	want := slices.Clone(c.Tags)
	if add {
		want = append(want, todo...)
	} else {
		want = slices.DeleteFunc(want, func(x string) bool {
			return slices.ContainsFunc(todo, func(t string) bool { return strings.EqualFold(x, t) })
		})
	}
	predicted := ownTagsKey(c.ID, want)
	b.markOwn(ctx, predicted)
	var now []string
	what := "Adding the tags"
	if add {
		now, err = b.svc(ctx).contacts.AddTags(ctx, c.ID, todo...)
	} else {
		what = "Removing the tags"
		now, err = b.svc(ctx).contacts.RemoveTags(ctx, c.ID, todo...)
	}
	if err := b.hlCall(what, err); err != nil {
		b.forgetOwn(ctx, predicted)
		return nil, err
	}
	if k := ownTagsKey(c.ID, now); k != predicted {
		b.markOwn(ctx, k)
	}
	sign, verb := "+", "added"
	if !add {
		sign, verb = "−", "removed"
	}
	var changed []string
	for _, t := range todo {
		changed = append(changed, sign+code(t))
	}
	text := fmt.Sprintf("🏷️ %s %s %s on %s. Tags in HighLevel now: %s", mention(inv.Request.UserName), verb, strings.Join(changed, " "), b.contactLink(c), tagList(now))
	return mattermost.InChannel(text), nil
}

func tagList(tags []string) string {
	if len(tags) == 0 {
		return "_(none)_"
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = code(t)
	}
	return strings.Join(out, ", ")
}

// --- contact add ---

func (b *Bridge) contactAddFlags() []mattermost.FlagSpec {
	return []mattermost.FlagSpec{
		{Name: "first", Placeholder: "name", Help: "first name"},
		{Name: "last", Placeholder: "name", Help: "last name"},
		{Name: "email", Placeholder: "address"},
		{Name: "phone", Placeholder: "number", Help: "E.164 is safest (+14155550100)"},
		{Name: "company", Placeholder: "name"},
		{Name: "source", Placeholder: "text", Help: "where the contact came from"},
		{Name: "tag", Placeholder: "tag", Help: "one tag to start with"},
	}
}

func (b *Bridge) cmdContactAdd(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	flag := func(n string) string { v, _ := inv.Flag(n); return strings.TrimSpace(v) }
	p := contacts.CreateParams{
		FirstName: flag("first"), LastName: flag("last"), Email: flag("email"), Phone: flag("phone"),
		CompanyName: flag("company"), Source: flag("source"),
	}
	if t := flag("tag"); t != "" {
		p.Tags = []string{t}
	}
	if p.FirstName == "" && p.LastName == "" && p.Email == "" && p.Phone == "" {
		return nil, mattermost.UserErrorf("Give at least a name, an email or a phone: `%s contact add --first Ada --last Lovelace --email ada@example.com`.", b.trigger)
	}
	if err := checkEmail(p.Email); err != nil {
		return nil, &mattermost.UserError{Message: "Bad --email: " + err.Error() + "."}
	}
	if err := checkPhone(p.Phone); err != nil {
		return nil, &mattermost.UserError{Message: "Bad --phone: " + err.Error() + "."}
	}
	if p.Phone != "" {
		p.Phone = normalizePhone(p.Phone)
	}
	p.LocationID = b.cfg.LocationID
	// HighLevel names the contact only in its answer: mark it by what
	// identifies it, before the write, so its webhook cannot come first.
	key := ownCreateKey(&contacts.Contact{Email: p.Email, Phone: p.Phone, FirstName: p.FirstName, LastName: p.LastName})
	b.markOwn(ctx, key)
	c, err := b.svc(ctx).contacts.Create(ctx, p)
	lost := false
	if errors.Is(err, ghl.ErrOutcomeUnknown) && (p.Email != "" || p.Phone != "") {
		// The create may have happened: look for it rather than create twice.
		var found *contacts.Contact
		var ferr error
		if p.Email != "" {
			found, ferr = b.svc(ctx).contacts.FindByEmail(ctx, p.Email)
		} else {
			found, ferr = b.svc(ctx).contacts.FindByPhone(ctx, p.Phone)
		}
		if ferr == nil {
			c, err, lost = found, nil, true
		}
	}
	if err != nil {
		b.forgetOwn(ctx, key)
		var apiErr *ghl.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(apiErr.Message), "duplicate") {
			b.hl.observe(b.now(), nil)
			msg := "HighLevel refused: " + mattermost.EscapeInline(apiErr.Message)
			if id := duplicateID(apiErr.Body); id != "" {
				msg += " The existing contact is " + code(id) + ": `" + b.trigger + " contact " + mattermost.PlainText(id) + "`."
			}
			return nil, &mattermost.UserError{Message: msg, Err: err}
		}
		return nil, b.hlCall("Creating the contact", err)
	}
	b.hl.observe(b.now(), nil)
	m := b.renderContact(c)
	m.Text = "👤 Contact created by " + mention(inv.Request.UserName) + ": " + b.contactLink(c)
	if lost {
		m.Text += "\n_HighLevel's answer was lost; the contact was found there, so it was not created twice._"
	}
	return m.CommandResponse(mattermost.ResponseInChannel), nil
}

// duplicateID reads the existing contact's ID from HighLevel's duplicate
// answer ({"meta": {"contactId": ...}}).
func duplicateID(body []byte) string {
	var v struct {
		Meta struct {
			ContactID string `json:"contactId"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &v) != nil || !plausibleID(v.Meta.ContactID) {
		return ""
	}
	return v.Meta.ContactID
}

// --- contact delete ---

func (b *Bridge) cmdContactDelete(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	sc := inv.Request
	if err := b.authorizeContactDelete(ctx, sc.UserID, sc.ChannelID); err != nil {
		return nil, err
	}
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	return b.askConfirm(ctx, sc, &change{Op: opContactDelete, ContactID: c.ID, TargetID: c.ID})
}

// authorizeContactDelete lets only the users who may change the bridge's
// routing (channel admins, system admins, bridge admins) delete contacts.
func (b *Bridge) authorizeContactDelete(ctx context.Context, userID, channelID string) error {
	err := b.authorize(ctx, userID, channelID)
	if errors.Is(err, errNotAuthorized) {
		return &mattermost.UserError{Message: "Only a channel admin, a system admin or a bridge admin (`" + EnvAdmins + "`) may delete contacts; nothing was deleted.", Err: err}
	}
	return err
}

func (b *Bridge) loadContactDelete(ctx context.Context, ch *change) (*current, error) {
	c, gone, err := b.loadContact(ctx, ch.ContactID)
	if err != nil || gone {
		return &current{Gone: gone}, err
	}
	return &current{
		Version: versionOf(c.DateUpdated, c),
		Subject: "delete the contact " + b.contactLink(c) + " with its tasks and notes",
		Preview: b.renderContact(c).Attachments,
		record:  c,
	}, nil
}

func (b *Bridge) applyContactDelete(ctx context.Context, ch *change, cur *current) (mattermost.Message, error) {
	c := cur.record.(*contacts.Contact)
	gone, err := b.deleteRecord(ctx, c.ID, "Deleting the contact",
		func() error { return b.svc(ctx).contacts.Delete(ctx, c.ID) },
		func() error { _, err := b.svc(ctx).contacts.Get(ctx, c.ID); return err })
	if err != nil {
		return mattermost.Message{}, err
	}
	return mattermost.Message{Text: "🗑️ Contact **" + mattermost.EscapeInline(mattermost.ContactName(c)) + "** (" + code(c.ID) + ") deleted by " + mention(ch.UserName) + " — " + deletedWord(gone)}, nil
}
