package mattermost

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DialogSubmitted is the Type of every DialogSubmission Mattermost sends: a
// submission, and a cancellation too (Cancelled tells them apart). The
// server sets it for everything but a field refresh.
const DialogSubmitted = "dialog_submission"

// DialogSubmission is what Mattermost POSTs to a dialog's URL when the user
// submits it, or cancels it if the dialog has NotifyOnCancel (then
// Cancelled is true, Type is still DialogSubmitted and Submission is
// empty).
type DialogSubmission struct {
	Type       string `json:"type"`
	CallbackID string `json:"callback_id"`
	State      string `json:"state"`
	UserID     string `json:"user_id"`
	ChannelID  string `json:"channel_id"`
	TeamID     string `json:"team_id"`
	// Submission maps element names to values: strings for text, textarea,
	// select and radio elements, booleans for bool elements, and numbers
	// for text elements of subtype number.
	Submission map[string]any `json:"submission"`
	Cancelled  bool           `json:"cancelled"`

	// Values are the values signed into the state, set by DialogHandler
	// after it verified the state; Token is all the state binds (channel,
	// user, one-time nonce: the DialogFunc records Token.NonceKey).
	Values map[string]string `json:"-"`
	Token  *Token            `json:"-"`
}

// String returns a submitted value as text ("" when absent; numbers and
// booleans formatted).
func (d *DialogSubmission) String(name string) string {
	switch v := d.Submission[name].(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := marshalJSON(v)
		return string(b)
	}
}

// Bool returns a bool element's value (Mattermost sends true/false, older
// servers the strings "true"/"false").
func (d *DialogSubmission) Bool(name string) bool {
	switch v := d.Submission[name].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// DialogResponse answers a submission. A nil response (or one with no
// errors) closes the dialog; Errors keeps it open with a message under each
// named element; Error keeps it open with a general message.
type DialogResponse struct {
	Errors map[string]string `json:"errors,omitempty"`
	Error  string            `json:"error,omitempty"`
}

// FieldErrors returns a response keeping the dialog open with one message
// per element name.
func FieldErrors(errs map[string]string) *DialogResponse {
	return &DialogResponse{Errors: errs}
}

// DialogFunc handles one verified submission or cancellation (sub.Cancelled;
// the response to a cancellation is ignored by Mattermost). An error keeps
// the dialog open with a general message: a *UserError's message, or a
// generic apology for other errors, which are logged.
type DialogFunc func(ctx context.Context, sub *DialogSubmission) (*DialogResponse, error)

// DialogHandler is the http.Handler for dialog submissions. It accepts only
// submissions whose state was made by its Signer for the same callback ID
// (Signer.DialogState, or DialogHandler.Open): others get 403 and the
// DialogFunc is not called; an expired state, or one bound to another user
// or channel, keeps the dialog open with a general error. Verified
// submissions are routed by callback ID. The state is one-time: the
// DialogFunc must record sub.Token.NonceKey before it writes anything.
type DialogHandler struct {
	signer *Signer
	cfg    *handlerConfig
	routes routes[DialogFunc]
}

// ExpiredDialogText is shown in a dialog whose signed state has expired.
const ExpiredDialogText = "This form has expired. Close it and start again."

// NewDialogHandler returns a handler verifying states with signer.
func NewDialogHandler(signer *Signer, opts ...HandlerOption) (*DialogHandler, error) {
	if signer == nil {
		return nil, invalidParam("signer", "must not be nil")
	}
	cfg, err := newHandlerConfig(opts)
	if err != nil {
		return nil, err
	}
	return &DialogHandler{signer: signer, cfg: cfg}, nil
}

// Handle routes submissions of dialogs with callbackID to fn. It panics on
// an empty callbackID or nil fn, as http.ServeMux does.
func (h *DialogHandler) Handle(callbackID string, fn DialogFunc) {
	if callbackID == "" || fn == nil {
		panic("mattermost: DialogHandler.Handle needs a callback ID and a func")
	}
	h.routes.set(callbackID, fn)
}

// Open signs values into d's state (bound to d.CallbackID, to bind's
// channel and user, and to a one-time nonce) and opens d for the user
// behind triggerID, sending the submission to url (where this handler is
// served).
func (h *DialogHandler) Open(ctx context.Context, c *Client, triggerID, url string, d Dialog, values map[string]string, bind Binding) error {
	if c == nil {
		return invalidParam("c", "must not be nil")
	}
	state, err := h.signer.DialogState(d.CallbackID, values, bind)
	if err != nil {
		return err
	}
	d.State = state
	return c.OpenDialog(ctx, &OpenDialogRequest{TriggerID: triggerID, URL: url, Dialog: d})
}

// ServeHTTP handles one dialog submission or cancellation.
func (h *DialogHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		refuse(w, http.StatusMethodNotAllowed)
		return
	}
	var sub DialogSubmission
	if !decodeBody(w, r, &sub) {
		return
	}
	tok, err := h.signer.VerifyToken(KindDialog, sub.State)
	if err == nil && tok.Name != sub.CallbackID {
		err = ErrBadSignature
	}
	if err == nil {
		err = tok.Check(sub.ChannelID, sub.UserID)
	}
	switch {
	case errors.Is(err, ErrExpired):
		if sub.Cancelled {
			w.WriteHeader(http.StatusOK)
			return
		}
		writeJSON(w, http.StatusOK, &DialogResponse{Error: ExpiredDialogText})
		return
	case errors.Is(err, ErrWrongChannel), errors.Is(err, ErrWrongUser):
		h.cfg.warn(r, "mattermost: dialog submission refused", "reason", err.Error(), "user_id", sub.UserID, "channel_id", sub.ChannelID)
		if sub.Cancelled {
			w.WriteHeader(http.StatusOK)
			return
		}
		writeJSON(w, http.StatusOK, &DialogResponse{Error: RefusalText(err)})
		return
	case err != nil:
		h.cfg.warn(r, "mattermost: dialog submission refused", "reason", err.Error(), "user_id", sub.UserID)
		refuse(w, http.StatusForbidden)
		return
	}
	fn := h.routes.get(sub.CallbackID)
	if fn == nil {
		h.cfg.warn(r, "mattermost: no handler for dialog", "callback_id", sub.CallbackID)
		writeJSON(w, http.StatusOK, &DialogResponse{Error: "This form is no longer supported."})
		return
	}
	sub.Values, sub.Token = tok.Values, tok
	resp, err := fn(r.Context(), &sub)
	if sub.Cancelled {
		if err != nil {
			h.cfg.failure(r, "dialog "+sub.CallbackID+" cancel", err)
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		writeJSON(w, http.StatusOK, &DialogResponse{Error: h.cfg.failure(r, "dialog "+sub.CallbackID, err)})
		return
	}
	if resp == nil || (len(resp.Errors) == 0 && resp.Error == "") {
		// An empty 200 closes the dialog.
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// ValidateDialog checks d against the limits Mattermost's server applies to
// a dialog (see the Max* constants; lengths in bytes, as the server counts):
// a title, unique element names, labels and help texts within bounds,
// defaults and placeholders within the bound of their element type, a
// select or radio default that is one of its options, a bool default of
// "true" or "false", MinLength not above MaxLength (or, when MaxLength is 0,
// the 150 or 3,000 characters Mattermost's clients allow a text or
// textarea), and dates in the forms the server reads. Client.OpenDialog
// calls it; a server given a dialog that fails it opens it anyway but logs a
// warning, and its clients may fail to show it.
func ValidateDialog(d *Dialog) error {
	if d == nil {
		return invalidParam("dialog", "must not be nil")
	}
	if d.Title == "" {
		return invalidParam("dialog.Title", "must not be empty")
	}
	if err := maxBytes("dialog.Title", d.Title, MaxDialogTitle); err != nil {
		return err
	}
	if d.IconURL != "" {
		if err := validateAbsURL("dialog.IconURL", d.IconURL); err != nil {
			return err
		}
	}
	seen := make(map[string]bool, len(d.Elements))
	for i := range d.Elements {
		e := &d.Elements[i]
		param := "dialog.Elements[" + strconv.Itoa(i) + "]"
		if seen[e.Name] {
			return invalidParam(param+".Name", "duplicate name "+quote(e.Name))
		}
		seen[e.Name] = true
		if err := validateElement(param, e); err != nil {
			return err
		}
	}
	return nil
}

func validateElement(param string, e *DialogElement) error {
	if e.Name == "" {
		return invalidParam(param+".Name", "must not be empty")
	}
	if e.DisplayName == "" {
		return invalidParam(param+".DisplayName", "must not be empty")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{".Name", e.Name, MaxElementName},
		{".DisplayName", e.DisplayName, MaxElementLabel},
		{".HelpText", e.HelpText, MaxElementHelpText},
	} {
		if err := maxBytes(param+f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if e.MinLength < 0 || e.MaxLength < 0 {
		return invalidParam(param, "MinLength and MaxLength must not be negative")
	}
	if maxLen := effectiveMaxLength(e); e.MinLength > maxLen {
		return invalidParam(param+".MinLength", strconv.Itoa(e.MinLength)+" is above the maximum length "+strconv.Itoa(maxLen))
	}
	// textLimit bounds the default and the placeholder; 0 means the type
	// has its own rules below.
	textLimit := 0
	switch e.Type {
	case ElementText, ElementDate, ElementDatetime:
		textLimit = MaxElementText
	case ElementTextarea, ElementSelect:
		textLimit = MaxElementTextarea
	case ElementBool, ElementRadio:
	default:
		return invalidParam(param+".Type", "unknown element type "+quote(e.Type))
	}
	if textLimit > 0 {
		if err := maxBytes(param+".Default", e.Default, textLimit); err != nil {
			return err
		}
		if err := maxBytes(param+".Placeholder", e.Placeholder, textLimit); err != nil {
			return err
		}
	}
	switch e.Type {
	case ElementText, ElementTextarea:
		switch e.SubType {
		case "", "text", SubtypeEmail, SubtypeNumber, SubtypePassword, SubtypeTel, SubtypeURL:
		default:
			return invalidParam(param+".SubType", "unknown subtype "+quote(e.SubType))
		}
	case ElementSelect:
		switch e.DataSource {
		case "":
			return defaultInOptions(param, e)
		case "users", "channels":
		default:
			return invalidParam(param+".DataSource", "must be empty, \"users\" or \"channels\"")
		}
	case ElementRadio:
		return defaultInOptions(param, e)
	case ElementBool:
		if e.Default != "" && e.Default != "true" && e.Default != "false" {
			return invalidParam(param+".Default", "a bool element's default must be \"true\" or \"false\"")
		}
		return maxBytes(param+".Placeholder", e.Placeholder, MaxElementBoolPrompt)
	case ElementDate, ElementDatetime:
		return validateDates(param, e)
	}
	return nil
}

// effectiveMaxLength is the longest input an element allows: MaxLength, or
// what Mattermost's clients use when it is 0.
func effectiveMaxLength(e *DialogElement) int {
	switch {
	case e.MaxLength > 0:
		return e.MaxLength
	case e.Type == ElementText:
		return MaxElementText
	case e.Type == ElementTextarea:
		return MaxElementTextarea
	}
	return 0
}

func defaultInOptions(param string, e *DialogElement) error {
	if e.Default == "" || slices.ContainsFunc(e.Options, func(o DialogOption) bool { return o.Value == e.Default }) {
		return nil
	}
	return invalidParam(param+".Default", quote(e.Default)+" is not the value of one of the options")
}

func maxBytes(param, v string, max int) error {
	if len(v) > max {
		return invalidParam(param, "has "+strconv.Itoa(len(v))+" bytes, Mattermost allows "+strconv.Itoa(max))
	}
	return nil
}

// Date forms Mattermost reads in date and datetime elements.
const dateLayout = "2006-01-02"

var datetimeLayouts = []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05", "2006-01-02T15:04"}

func validateDates(param string, e *DialogElement) error {
	if e.Default != "" {
		ok := isRelativeDate(e.Default)
		if e.Type == ElementDate {
			ok = ok || isLayout(e.Default, dateLayout)
		} else {
			ok = ok || isLayout(e.Default, datetimeLayouts...)
		}
		if !ok {
			return invalidParam(param+".Default", quote(e.Default)+" is not a date Mattermost reads (2006-01-02, 2006-01-02T15:04:05Z, \"today\", \"+7d\")")
		}
	}
	for _, f := range []struct{ name, v string }{{".MinDate", e.MinDate}, {".MaxDate", e.MaxDate}} {
		if f.v != "" && !isRelativeDate(f.v) && !isLayout(f.v, dateLayout) {
			return invalidParam(param+f.name, quote(f.v)+" is not a date (2006-01-02, \"today\", \"+7d\")")
		}
	}
	if e.Type == ElementDatetime && e.TimeInterval != 0 && (e.TimeInterval < 1 || e.TimeInterval > 1440 || 1440%e.TimeInterval != 0) {
		return invalidParam(param+".TimeInterval", "must divide 1440 (minutes in a day)")
	}
	return nil
}

func isLayout(v string, layouts ...string) bool {
	for _, l := range layouts {
		if _, err := time.Parse(l, v); err == nil {
			return true
		}
	}
	return false
}

// isRelativeDate reports the relative forms Mattermost accepts: "today",
// "tomorrow", "yesterday", or a signed count of days, weeks, months or
// hours ("+1d", "-2w", "+3M", "+12h").
func isRelativeDate(v string) bool {
	switch v {
	case "today", "tomorrow", "yesterday":
		return true
	}
	if len(v) < 3 || len(v) > 5 || (v[0] != '+' && v[0] != '-') {
		return false
	}
	if !strings.ContainsRune("dwmhDWMH", rune(v[len(v)-1])) {
		return false
	}
	_, err := strconv.Atoi(v[1 : len(v)-1])
	return err == nil
}
