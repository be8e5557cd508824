package mattermost

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
)

// Dialog submission types.
const (
	DialogSubmitted = "dialog_submission"
	DialogCancelled = "dialog_cancelled"
)

// DialogSubmission is what Mattermost POSTs to a dialog's URL when the user
// submits it, or cancels it if the dialog has NotifyOnCancel.
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
	mu     sync.RWMutex
	routes map[string]DialogFunc
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
	return &DialogHandler{signer: signer, cfg: cfg, routes: map[string]DialogFunc{}}, nil
}

// Handle routes submissions of dialogs with callbackID to fn. It panics on
// an empty callbackID or nil fn, as http.ServeMux does.
func (h *DialogHandler) Handle(callbackID string, fn DialogFunc) {
	if callbackID == "" || fn == nil {
		panic("mattermost: DialogHandler.Handle needs a callback ID and a func")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.routes[callbackID] = fn
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
		if sub.Cancelled || sub.Type == DialogCancelled {
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
	h.mu.RLock()
	fn := h.routes[sub.CallbackID]
	h.mu.RUnlock()
	if fn == nil {
		h.cfg.warn(r, "mattermost: no handler for dialog", "callback_id", sub.CallbackID)
		writeJSON(w, http.StatusOK, &DialogResponse{Error: "This form is no longer supported."})
		return
	}
	sub.Values, sub.Token = tok.Values, tok
	if sub.Type == DialogCancelled {
		sub.Cancelled = true
	}
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
