package mattermost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Limits Mattermost puts on a post. The client refuses a post, patch,
// webhook message or response that breaks one with an error matching
// ErrInvalidParam, before sending it.
const (
	// MaxMessageRunes is the longest message Mattermost accepts (servers
	// 5.0 and later), in characters (runes), not bytes. It applies to every
	// text that becomes a post: a post's message, a webhook's text, a slash
	// command response's text and each of its extra_responses, an action
	// response's update.message. Longer text is refused, never cut: split
	// it with SplitMessage.
	MaxMessageRunes = 16383
	// MaxPropsRunes bounds a post's props, counted as Mattermost counts
	// them: the characters of their JSON encoding (with '<', '>' and '&'
	// escaped as \u003c and so on, as Go's encoding/json writes them).
	MaxPropsRunes = 800000
	// MaxFileIDs is the most files one post may carry.
	MaxFileIDs = 5
)

// Post is a Mattermost post as the REST API v4 sends and receives it.
type Post struct {
	ID        string `json:"id,omitempty"`
	CreateAt  int64  `json:"create_at,omitempty"` // Unix milliseconds
	UpdateAt  int64  `json:"update_at,omitempty"`
	EditAt    int64  `json:"edit_at,omitempty"`
	DeleteAt  int64  `json:"delete_at,omitempty"`
	IsPinned  bool   `json:"is_pinned,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	ChannelID string `json:"channel_id"`
	// RootID is the first post of the thread this post replies to; empty
	// for a post that starts its own thread.
	RootID  string   `json:"root_id,omitempty"`
	Message string   `json:"message"`
	Type    string   `json:"type,omitempty"`
	Props   Props    `json:"props,omitzero"`
	FileIDs []string `json:"file_ids,omitempty"`
	// PendingPostID lets Mattermost recognise a repeated create: a create that
	// repeats one within about 30 seconds returns the first post instead of
	// posting again. Client.CreatePost fills it in when it is empty.
	PendingPostID string `json:"pending_post_id,omitempty"`
	// Metadata (embeds, emojis, files, ...) is kept as sent by the server.
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// Props holds a post's props. Attachments are typed; every other prop is
// kept as raw JSON so that a post read and written back loses nothing.
type Props struct {
	Attachments []Attachment
	// Other holds the props this package does not model, by key.
	Other map[string]json.RawMessage
}

// IsZero reports whether p holds nothing (so `omitzero` leaves it out).
func (p Props) IsZero() bool { return len(p.Attachments) == 0 && len(p.Other) == 0 }

// Set stores v as the prop key (JSON-encoded). Setting "attachments" replaces
// p.Attachments.
func (p *Props) Set(key string, v any) error {
	raw, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("mattermost: prop %q: %w", key, err)
	}
	if key == "attachments" {
		var atts []Attachment
		if err := json.Unmarshal(raw, &atts); err != nil {
			return fmt.Errorf("mattermost: prop attachments: %w", err)
		}
		p.Attachments = atts
		return nil
	}
	if p.Other == nil {
		p.Other = make(map[string]json.RawMessage)
	}
	p.Other[key] = raw
	return nil
}

// MarshalJSON writes the props as one JSON object, keys sorted, exactly as
// encoding/json (without HTML escaping) writes a map of the other props
// with the attachments under "attachments".
func (p Props) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := p.encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encode writes the props to buf in one pass, without building that map
// and encoding each value twice.
func (p Props) encode(buf *bytes.Buffer) error {
	attsPending := len(p.Attachments) > 0 // until written
	keys := make([]string, 0, len(p.Other)+1)
	for k := range p.Other {
		if !(attsPending && k == "attachments") {
			keys = append(keys, k)
		}
	}
	if attsPending {
		keys = append(keys, "attachments")
	}
	slices.Sort(keys) // as encoding/json sorts a map's keys: by bytes
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(buf, enc, k)
		buf.WriteByte(':')
		if attsPending && k == "attachments" {
			attsPending = false
			if err := enc.Encode(p.Attachments); err != nil {
				return err
			}
			buf.Truncate(buf.Len() - 1) // Encode's newline
			continue
		}
		if err := writeRaw(buf, p.Other[k]); err != nil {
			if attsPending {
				// The map form encoded the attachments first: their
				// error, if any, is the one it reported.
				if aerr := json.NewEncoder(io.Discard).Encode(p.Attachments); aerr != nil {
					return aerr
				}
			}
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// writeRaw writes a raw prop value as encoding/json writes a
// json.RawMessage without HTML escaping: compacted, nil as null, invalid
// JSON refused with the same error.
func writeRaw(buf *bytes.Buffer, raw json.RawMessage) error {
	if raw == nil {
		buf.WriteString("null")
		return nil
	}
	if err := json.Compact(buf, raw); err != nil {
		return &json.MarshalerError{Type: reflect.TypeFor[json.RawMessage](), Err: err}
	}
	return nil
}

// writeJSONString writes s as a JSON string the way enc (no HTML escaping)
// writes it. A string of printable ASCII other than '"' and '\\' (every
// prop key in practice) is written as it is; anything else goes through
// enc.
func writeJSONString(buf *bytes.Buffer, enc *json.Encoder, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			_ = enc.Encode(s) // a string always encodes
			buf.Truncate(buf.Len() - 1)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

// UnmarshalJSON reads a props object. Attachments that do not decode are kept
// in Other rather than failing the whole post.
func (p *Props) UnmarshalJSON(b []byte) error {
	*p = Props{}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	if p.decodeMembers(b) {
		return nil
	}
	// Not an object, or attachments that do not decode: read as a map,
	// which gives the error, or the attachments to keep as they are.
	*p = Props{}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if raw, ok := m["attachments"]; ok {
		var in []attachmentJSON
		if err := json.Unmarshal(raw, &in); err == nil {
			p.Attachments = attachments(in)
			delete(m, "attachments")
		}
	}
	if len(m) > 0 {
		p.Other = m
	}
	return nil
}

// decodeMembers decodes props as UnmarshalJSON's map does, in fewer passes
// over them, and reports whether it could: when b is one object and every
// "attachments" member in it decodes. Anything else (an error to report,
// attachments to keep in Other) is left to the map. It reads the members
// with one json.Decoder and decodes the attachments where they stand,
// where json.Unmarshal into the map validates and copies them, and
// decoding the copy validates them again (encoding/json v1 validates what
// it is given before it decodes).
func (p *Props) decodeMembers(b []byte) bool {
	// encoding/json refuses JSON nested more than jsonMaxDepth levels,
	// counted from what it is given: from the props for the map, from each
	// member here. Props of at most twice that many bytes cannot nest so
	// deep; longer ones go through the map, which counts as it always did.
	if len(b) > 2*jsonMaxDepth {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return false
		}
		if key == "attachments" {
			var in []attachmentJSON
			if dec.Decode(&in) != nil {
				return false
			}
			p.Attachments = attachments(in)
			continue
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return false
		}
		if p.Other == nil {
			p.Other = make(map[string]json.RawMessage)
		}
		p.Other[key] = raw
	}
	// The closing brace, then nothing but space.
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}

// jsonMaxDepth is how deep encoding/json lets JSON nest (its scanner's
// maxNestingDepth; a test holds it).
const jsonMaxDepth = 10000

// attachments returns decoded attachments as Attachments.
func attachments(in []attachmentJSON) []Attachment {
	if in == nil {
		return nil
	}
	atts := make([]Attachment, len(in))
	for i := range in {
		atts[i] = in[i].Attachment
		atts[i].Fields = in[i].Fields
	}
	return atts
}

// attachmentJSON is an Attachment as Props decode it: its fields in one
// pass (fieldsJSON) rather than by one AttachmentField.UnmarshalJSON call,
// and one more validation of its bytes, per field.
type attachmentJSON struct {
	Attachment
	Fields fieldsJSON `json:"fields"` // in place of Attachment.Fields
}

// fieldsJSON decodes a list of attachment fields as []AttachmentField
// decodes: a list repeated in one attachment replaces the earlier one, as
// AttachmentField.UnmarshalJSON resets each field it decodes.
type fieldsJSON []AttachmentField

func (l *fieldsJSON) UnmarshalJSON(b []byte) error {
	var in []fieldJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*l = nil
	if in != nil {
		*l = make([]AttachmentField, len(in))
		for i := range in {
			(*l)[i] = looseField(&in[i])
		}
	}
	return nil
}

// Attachment is a Slack-compatible message attachment, put in a post's
// props.attachments (Props.Attachments).
type Attachment struct {
	Fallback   string            `json:"fallback,omitempty"`
	Color      string            `json:"color,omitempty"`
	Pretext    string            `json:"pretext,omitempty"`
	AuthorName string            `json:"author_name,omitempty"`
	AuthorLink string            `json:"author_link,omitempty"`
	AuthorIcon string            `json:"author_icon,omitempty"`
	Title      string            `json:"title,omitempty"`
	TitleLink  string            `json:"title_link,omitempty"`
	Text       string            `json:"text,omitempty"`
	Fields     []AttachmentField `json:"fields,omitempty"`
	ImageURL   string            `json:"image_url,omitempty"`
	ThumbURL   string            `json:"thumb_url,omitempty"`
	Footer     string            `json:"footer,omitempty"`
	FooterIcon string            `json:"footer_icon,omitempty"`
	Actions    []Action          `json:"actions,omitempty"`
}

// AttachmentField is one titled value in an attachment's table.
type AttachmentField struct {
	Title string `json:"title"`
	// Value is Markdown. Numbers and booleans sent by other integrations are
	// read as their JSON text.
	Value string `json:"value"`
	// Short fields may sit side by side.
	Short bool `json:"short,omitempty"`
}

// UnmarshalJSON accepts a value of any JSON type and "short" as a boolean or
// the strings "true"/"false", as Mattermost does.
func (f *AttachmentField) UnmarshalJSON(b []byte) error {
	var w fieldJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = looseField(&w)
	return nil
}

// fieldJSON is an attachment field as it is decoded: every value as raw
// text, so that any JSON type decodes, and no Unmarshaler of its own (in a
// list, its values are not validated again). An unnamed struct, as the
// field's raw form always was: errors name it as they did.
type fieldJSON = struct {
	Title json.RawMessage `json:"title"`
	Value json.RawMessage `json:"value"`
	Short json.RawMessage `json:"short"`
}

// looseField reads a field from its raw form: values as looseString
// renders them, short when its text is "true" or "1".
func looseField(w *fieldJSON) AttachmentField {
	s := looseString(w.Short)
	return AttachmentField{Title: looseString(w.Title), Value: looseString(w.Value), Short: s == "true" || s == "1"}
}

// looseString renders a JSON value as text: a string unquoted, null empty,
// anything else (a number, a boolean, an object...) as written. raw is one
// valid JSON value, as the decoder hands them out: a string without
// escapes whose bytes are UTF-8 (as good as every string) is its bytes,
// and only other strings are decoded.
func looseString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return ""
	case raw[0] != '"' || len(raw) < 2:
		return string(raw)
	}
	if s := raw[1 : len(raw)-1]; bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// Action types.
const (
	ActionTypeButton = "button"
	ActionTypeSelect = "select"
)

// Action is an interactive button or menu in an attachment. When a user
// clicks it, the Mattermost server POSTs an ActionRequest to Integration.URL
// carrying Integration.Context unchanged. Mattermost does not sign that
// request: put trusted data in the context with Signer.Integration.
type Action struct {
	// ID must be alphanumeric (Mattermost's click routing breaks on other
	// characters); the server generates one when it is empty.
	ID            string         `json:"id,omitempty"`
	Type          string         `json:"type,omitempty"`
	Name          string         `json:"name"`
	Disabled      bool           `json:"disabled,omitempty"`
	Style         string         `json:"style,omitempty"` // default, primary, success, good, warning, danger
	DataSource    string         `json:"data_source,omitempty"`
	Options       []ActionOption `json:"options,omitempty"`
	DefaultOption string         `json:"default_option,omitempty"`
	Integration   *Integration   `json:"integration,omitempty"`
	// Cookie is set by the server on posts it sends to clients.
	Cookie string `json:"cookie,omitempty"`
}

// ActionOption is one choice of a select action.
type ActionOption struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// Integration says where Mattermost sends a click and what it carries.
type Integration struct {
	URL     string         `json:"url"`
	Context map[string]any `json:"context,omitempty"`
}

// PostPatch changes some fields of a post (PUT /posts/{id}/patch). Nil fields
// are left as they are. Props, when set, replace all of the post's props.
type PostPatch struct {
	IsPinned *bool     `json:"is_pinned,omitempty"`
	Message  *string   `json:"message,omitempty"`
	Props    *Props    `json:"props,omitempty"`
	FileIDs  *[]string `json:"file_ids,omitempty"`
}

// PostList is a set of posts and their order, as Mattermost returns threads
// and channel pages. Order lists the posts the request asked for; Posts may
// hold more (the root posts of the replies in Order).
type PostList struct {
	Order []string        `json:"order"`
	Posts map[string]Post `json:"posts"`
	// NextPostID and PrevPostID are the posts just newer than the first in
	// Order and just older than the last, for paging a channel; Mattermost
	// always sends both keys, empty when there is no such post (and for a
	// "since" query).
	NextPostID string `json:"next_post_id"`
	PrevPostID string `json:"prev_post_id"`
	HasNext    bool   `json:"has_next,omitempty"`
}

// Chronological returns the posts oldest first (by create time, then ID), so
// a thread reads root first.
func (l *PostList) Chronological() []Post {
	if l == nil {
		return nil
	}
	out := slices.Collect(maps.Values(l.Posts))
	slices.SortFunc(out, func(a, b Post) int {
		if a.CreateAt != b.CreateAt {
			if a.CreateAt < b.CreateAt {
				return -1
			}
			return 1
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// User is a Mattermost user account (or bot) as GET /users/me returns it.
type User struct {
	ID        string `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Nickname  string `json:"nickname,omitempty"`
	Roles     string `json:"roles,omitempty"`
	Locale    string `json:"locale,omitempty"`
	IsBot     bool   `json:"is_bot,omitempty"`
	CreateAt  int64  `json:"create_at,omitempty"`
	UpdateAt  int64  `json:"update_at,omitempty"`
	DeleteAt  int64  `json:"delete_at,omitempty"`
}

// Dialog is an interactive dialog, opened with Client.OpenDialog.
type Dialog struct {
	CallbackID       string `json:"callback_id,omitempty"`
	Title            string `json:"title"`
	IntroductionText string `json:"introduction_text,omitempty"`
	IconURL          string `json:"icon_url,omitempty"`
	// Elements is required by the API: a dialog without inputs is sent
	// with "elements": [] (see MarshalJSON).
	Elements    []DialogElement `json:"elements"`
	SubmitLabel string          `json:"submit_label,omitempty"`
	// NotifyOnCancel asks Mattermost to tell the dialog's URL when the user
	// closes the dialog: a DialogSubmission with Cancelled set.
	NotifyOnCancel bool `json:"notify_on_cancel,omitempty"`
	// State is echoed back unchanged with the submission. Anything to trust
	// in it must be signed: see Signer.DialogState.
	State string `json:"state,omitempty"`
}

// MarshalJSON writes the dialog with "elements" always present (an empty
// array when there are none), as the API requires.
func (d Dialog) MarshalJSON() ([]byte, error) {
	type plain Dialog // without this method
	p := plain(d)
	if p.Elements == nil {
		p.Elements = []DialogElement{}
	}
	return marshalJSON(p)
}

// Dialog element types and text subtypes.
const (
	ElementText     = "text"
	ElementTextarea = "textarea"
	ElementSelect   = "select"
	ElementBool     = "bool"
	ElementRadio    = "radio"
	// ElementDate and ElementDatetime need a recent server (10.x); older
	// ones do not show them.
	ElementDate     = "date"
	ElementDatetime = "datetime"

	SubtypeEmail    = "email"
	SubtypeNumber   = "number"
	SubtypePassword = "password"
	SubtypeTel      = "tel"
	SubtypeURL      = "url"
)

// Dialog limits, as Mattermost's server checks them. Lengths count bytes of
// UTF-8 (the server uses Go's len), so a title of 24 accented letters is
// too long.
const (
	MaxDialogTitle       = 24
	MaxElementName       = 300
	MaxElementLabel      = 24 // display_name
	MaxElementHelpText   = 150
	MaxElementText       = 150  // text, date and datetime: default and placeholder
	MaxElementTextarea   = 3000 // textarea and select: default and placeholder
	MaxElementBoolPrompt = 150  // bool: placeholder
)

// DialogElement is one input of a dialog. MinLength and MaxLength bound what
// the user types in a text or textarea element; Mattermost's clients use
// 150 (text) and 3,000 (textarea) when MaxLength is 0.
type DialogElement struct {
	DisplayName string         `json:"display_name"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	SubType     string         `json:"subtype,omitempty"`
	Default     string         `json:"default,omitempty"`
	Placeholder string         `json:"placeholder,omitempty"`
	HelpText    string         `json:"help_text,omitempty"`
	Optional    bool           `json:"optional,omitempty"`
	MinLength   int            `json:"min_length,omitempty"`
	MaxLength   int            `json:"max_length,omitempty"`
	DataSource  string         `json:"data_source,omitempty"`
	Options     []DialogOption `json:"options,omitempty"`
	// MinDate and MaxDate bound a date or datetime element ("2026-01-31",
	// or relative: "today", "+7d"); TimeInterval is a datetime element's
	// step in minutes (a divisor of 1440; 0 means Mattermost's 60).
	MinDate      string `json:"min_date,omitempty"`
	MaxDate      string `json:"max_date,omitempty"`
	TimeInterval int    `json:"time_interval,omitempty"`
}

// DialogOption is one choice of a select or radio element.
type DialogOption struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// OpenDialogRequest is the body of POST /actions/dialogs/open.
type OpenDialogRequest struct {
	// TriggerID comes with a slash command or a click and expires after the
	// server's integration timeout (ServiceSettings.
	// OutgoingIntegrationRequestsTimeout: 30 seconds by default on current
	// servers, 3 seconds on old ones): open the dialog at once.
	TriggerID string `json:"trigger_id"`
	// URL receives the submission (see DialogHandler).
	URL    string `json:"url"`
	Dialog Dialog `json:"dialog"`
}

// marshalJSON encodes v without HTML escaping ('<', '>' and '&' stay as they
// are in messages) and without a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// quote is strconv.Quote, named for the error messages that use it.
var quote = strconv.Quote
