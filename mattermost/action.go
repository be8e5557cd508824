package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// ActionRequest is what Mattermost POSTs to a button's integration URL when
// a user clicks it. Nothing in it is signed by Mattermost.
type ActionRequest struct {
	UserID      string         `json:"user_id"`
	UserName    string         `json:"user_name"`
	ChannelID   string         `json:"channel_id"`
	ChannelName string         `json:"channel_name"`
	TeamID      string         `json:"team_id"`
	TeamDomain  string         `json:"team_domain"`
	PostID      string         `json:"post_id"`
	TriggerID   string         `json:"trigger_id"`
	Type        string         `json:"type"`
	DataSource  string         `json:"data_source"`
	Context     map[string]any `json:"context"`

	// Action and Values are the signed action name and values, set by
	// ActionHandler after it verified the context; Token is all the
	// context binds (channel, user, nonce).
	Action string            `json:"-"`
	Values map[string]string `json:"-"`
	Token  *Token            `json:"-"`
}

// SelectedOption returns the option a user picked in a select menu
// (context.selected_option, added by Mattermost and so not signed).
func (r *ActionRequest) SelectedOption() string {
	s, _ := r.Context["selected_option"].(string)
	return s
}

// ActionResponse answers a click. Update.Message and EphemeralText are held
// to MaxMessageRunes and Update.Props to MaxPropsRunes: ActionHandler
// answers a response that breaks them with the generic apology (and logs
// why) rather than one Mattermost would refuse.
type ActionResponse struct {
	// Update, if set, replaces the clicked post's message and props (so
	// send the attachments again if they should stay).
	Update *PostUpdate `json:"update,omitempty"`
	// EphemeralText is shown to the user who clicked, in the clicked
	// post's thread.
	EphemeralText    string `json:"ephemeral_text,omitempty"`
	GotoLocation     string `json:"goto_location,omitempty"`
	SkipSlackParsing bool   `json:"skip_slack_parsing,omitempty"`
}

// PostUpdate is the new content of a clicked post.
type PostUpdate struct {
	Message string `json:"message"`
	Props   Props  `json:"props,omitzero"`
}

// ActionFunc handles one verified click. Errors are handled as for a
// CommandFunc: a *UserError's message is shown to the user as ephemeral
// text, other errors are logged.
type ActionFunc func(ctx context.Context, req *ActionRequest) (*ActionResponse, error)

// ActionHandler is the http.Handler for button clicks. It accepts only
// clicks whose context was made by its Signer (Signer.Integration):
// a missing or altered context gets 403, an expired one an ephemeral
// "expired" note, and one bound to another channel or user an ephemeral
// refusal; the ActionFunc is not called for any of them. Verified clicks
// are routed by the signed action name.
type ActionHandler struct {
	signer *Signer
	cfg    *handlerConfig
	routes routes[ActionFunc]
}

// ExpiredActionText is shown to a user who clicks a button whose signature
// has expired.
const ExpiredActionText = "This button has expired. Run the command again to get a fresh one."

// NewActionHandler returns a handler verifying contexts with signer.
func NewActionHandler(signer *Signer, opts ...HandlerOption) (*ActionHandler, error) {
	if signer == nil {
		return nil, invalidParam("signer", "must not be nil")
	}
	cfg, err := newHandlerConfig(opts)
	if err != nil {
		return nil, err
	}
	return &ActionHandler{signer: signer, cfg: cfg}, nil
}

// Handle routes clicks on buttons made with Signer.Integration(url, action,
// ...) to fn. A later Handle for the same action replaces the earlier one.
// It panics on an empty action or nil fn, as http.ServeMux does.
func (h *ActionHandler) Handle(action string, fn ActionFunc) {
	if action == "" || fn == nil {
		panic("mattermost: ActionHandler.Handle needs an action name and a func")
	}
	h.routes.set(action, fn)
}

// ServeHTTP handles one click.
func (h *ActionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		refuse(w, http.StatusMethodNotAllowed)
		return
	}
	var req ActionRequest
	if !decodeBody(w, r, &req) {
		return
	}
	tok, err := h.signer.VerifyContext(req.Context)
	if err == nil {
		err = tok.Check(req.ChannelID, req.UserID)
	}
	switch {
	case errors.Is(err, ErrExpired):
		writeJSON(w, http.StatusOK, &ActionResponse{EphemeralText: ExpiredActionText})
		return
	case errors.Is(err, ErrWrongChannel), errors.Is(err, ErrWrongUser):
		h.cfg.warn(r, "mattermost: action refused", "reason", err.Error(), "user_id", req.UserID, "channel_id", req.ChannelID)
		writeJSON(w, http.StatusOK, &ActionResponse{EphemeralText: RefusalText(err)})
		return
	case err != nil:
		h.cfg.warn(r, "mattermost: action refused", "reason", err.Error(), "user_id", req.UserID)
		refuse(w, http.StatusForbidden)
		return
	}
	action := tok.Name
	fn := h.routes.get(action)
	if fn == nil {
		h.cfg.warn(r, "mattermost: no handler for signed action", "action", action)
		writeJSON(w, http.StatusOK, &ActionResponse{EphemeralText: "This button is no longer supported."})
		return
	}
	req.Action, req.Values, req.Token = action, tok.Values, tok
	resp, err := fn(r.Context(), &req)
	if err != nil {
		writeJSON(w, http.StatusOK, &ActionResponse{EphemeralText: h.cfg.failure(r, "action "+action, err)})
		return
	}
	if resp == nil {
		resp = &ActionResponse{}
	}
	if err := resp.validate(); err != nil {
		writeJSON(w, http.StatusOK, &ActionResponse{EphemeralText: h.cfg.failure(r, "action "+action, err)})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// validate holds the response to the limits of the posts Mattermost makes
// of it: the updated post and the ephemeral one.
func (r *ActionResponse) validate() error {
	if err := validateMessage("response.EphemeralText", r.EphemeralText); err != nil {
		return err
	}
	if r.Update == nil {
		return nil
	}
	if err := validateMessage("response.Update.Message", r.Update.Message); err != nil {
		return err
	}
	return validateProps("response.Update.Props", r.Update.Props)
}

// decodeBody reads a JSON request body of at most maxRequestBody bytes,
// answering 400/413 itself when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := json.NewDecoder(body).Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(w, http.StatusRequestEntityTooLarge)
			return false
		}
		refuse(w, http.StatusBadRequest)
		return false
	}
	return true
}
