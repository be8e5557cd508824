package mattermost

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// SlashCommand is the request Mattermost sends for a custom slash command
// (a form POST, or GET if so configured).
type SlashCommand struct {
	ChannelID   string
	ChannelName string
	// Command is the trigger word with its slash ("/ghl").
	Command string
	// ResponseURL accepts CommandResponse JSON later (see Defer), for 30
	// minutes and at most 5 times.
	ResponseURL string
	TeamDomain  string
	TeamID      string
	// Text is everything after the trigger word.
	Text string
	// Token is the command's shared secret. SlashHandler has checked it.
	Token string
	// TriggerID lets the handler open a dialog for this user, within the
	// server's integration timeout (30 seconds by default, 3 on old
	// servers).
	TriggerID string
	UserID    string
	UserName  string
}

// ParseSlashCommand reads a slash command request's form (body or query).
// The token is read from the body only: a token in a URL ends up in access
// logs and browser histories, and Mattermost sends it in the Authorization
// header too (the one place a GET command carries it). It does not check
// the token: SlashHandler does.
func ParseSlashCommand(r *http.Request) (*SlashCommand, error) {
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("mattermost: reading slash command form: %w", err)
	}
	f := r.Form
	return &SlashCommand{
		ChannelID:   f.Get("channel_id"),
		ChannelName: f.Get("channel_name"),
		Command:     f.Get("command"),
		ResponseURL: f.Get("response_url"),
		TeamDomain:  f.Get("team_domain"),
		TeamID:      f.Get("team_id"),
		Text:        f.Get("text"),
		Token:       r.PostForm.Get("token"),
		TriggerID:   f.Get("trigger_id"),
		UserID:      f.Get("user_id"),
		UserName:    f.Get("user_name"),
	}, nil
}

// Values returns the command as Mattermost's form fields (mattermosttest
// sends it this way).
func (c *SlashCommand) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) { v.Set(k, s) }
	set("channel_id", c.ChannelID)
	set("channel_name", c.ChannelName)
	set("command", c.Command)
	set("response_url", c.ResponseURL)
	set("team_domain", c.TeamDomain)
	set("team_id", c.TeamID)
	set("text", c.Text)
	set("token", c.Token)
	set("trigger_id", c.TriggerID)
	set("user_id", c.UserID)
	set("user_name", c.UserName)
	return v
}

// Response types for CommandResponse.ResponseType.
const (
	ResponseEphemeral = "ephemeral"  // only the user who ran the command sees it
	ResponseInChannel = "in_channel" // posted in the channel for everyone
)

// CommandResponse is a slash command's answer (also what response_url
// accepts). An empty ResponseType means ephemeral. Text and the text of
// each of ExtraResponses become posts and are held to MaxMessageRunes:
// SlashHandler answers a response that breaks a post limit with the generic
// apology (and logs why) instead of sending what Mattermost would refuse,
// and ResponseClient.Post refuses it with ErrInvalidParam. Put long output
// in ExtraResponses, cut with SplitMessage.
type CommandResponse struct {
	ResponseType     string             `json:"response_type,omitempty"`
	Text             string             `json:"text,omitempty"`
	Username         string             `json:"username,omitempty"`
	ChannelID        string             `json:"channel_id,omitempty"`
	IconURL          string             `json:"icon_url,omitempty"`
	Type             string             `json:"type,omitempty"`
	Props            Props              `json:"props,omitzero"`
	GotoLocation     string             `json:"goto_location,omitempty"`
	TriggerID        string             `json:"trigger_id,omitempty"`
	SkipSlackParsing bool               `json:"skip_slack_parsing,omitempty"`
	Attachments      []Attachment       `json:"attachments,omitempty"`
	ExtraResponses   []*CommandResponse `json:"extra_responses,omitempty"`

	// deferred is set by Defer.
	deferred func(ctx context.Context) (*CommandResponse, error)
}

// Ephemeral returns a response only the user who ran the command sees.
func Ephemeral(text string) *CommandResponse {
	return &CommandResponse{ResponseType: ResponseEphemeral, Text: text}
}

// InChannel returns a response posted in the channel.
func InChannel(text string) *CommandResponse {
	return &CommandResponse{ResponseType: ResponseInChannel, Text: text}
}

// Defer answers a slash command at once with ack (nil: an ephemeral
// "Working on it…") and runs work in the background; SlashHandler posts
// work's response (or its error, as for a CommandFunc) to the command's
// response_url. Use it for anything that may take more than a second or two:
// Mattermost gives up on a command after a few seconds.
//
// work gets a context that is not cancelled when the request ends but is
// bounded by WithDeferTimeout.
func Defer(ack *CommandResponse, work func(ctx context.Context) (*CommandResponse, error)) *CommandResponse {
	if ack == nil {
		ack = Ephemeral("Working on it…")
	}
	cp := *ack
	cp.deferred = work
	return &cp
}

// SlashFunc answers an authenticated slash command. CommandSet.Dispatch is
// one.
type SlashFunc func(ctx context.Context, cmd *SlashCommand) (*CommandResponse, error)

// SlashHandler is the http.Handler for a custom slash command's request
// URL. It checks the command token, runs fn, and writes Mattermost's
// response JSON. A request with a missing or wrong token gets 401 and fn is
// not called.
type SlashHandler struct {
	tokens [][sha256.Size]byte
	fn     SlashFunc
	cfg    *handlerConfig
	wg     sync.WaitGroup
}

// NewSlashHandler returns a handler accepting any of tokens (several, for
// several commands or for rotation; each is the token Mattermost shows for
// the slash command).
func NewSlashHandler(tokens []string, fn SlashFunc, opts ...HandlerOption) (*SlashHandler, error) {
	if len(tokens) == 0 {
		return nil, invalidParam("tokens", "need at least one")
	}
	if fn == nil {
		return nil, invalidParam("fn", "must not be nil")
	}
	h := &SlashHandler{fn: fn}
	for _, t := range tokens {
		if t == "" {
			return nil, invalidParam("tokens", "must not contain an empty token")
		}
		h.tokens = append(h.tokens, sha256.Sum256([]byte(t)))
	}
	cfg, err := newHandlerConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.responses == nil {
		rc, err := NewResponseClient(WithLogger(cfg.logger))
		if err != nil {
			return nil, err
		}
		cfg.responses = rc
	}
	h.cfg = cfg
	return h, nil
}

// ValidToken reports, in constant time, whether token is one of the
// handler's tokens.
func (h *SlashHandler) ValidToken(token string) bool {
	if token == "" {
		return false
	}
	// Comparing fixed-size digests hides the tokens' lengths too.
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for i := range h.tokens {
		ok |= subtle.ConstantTimeCompare(sum[:], h.tokens[i][:])
	}
	return ok == 1
}

// authorize checks the form token and the "Authorization: Token x" header
// Mattermost sends; at least one must be present and all present must be
// valid.
func (h *SlashHandler) authorize(r *http.Request, cmd *SlashCommand) bool {
	present := 0
	valid := true
	if cmd.Token != "" {
		present++
		valid = h.ValidToken(cmd.Token) && valid
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		present++
		scheme, tok, _ := strings.Cut(auth, " ")
		valid = strings.EqualFold(scheme, "Token") && h.ValidToken(strings.TrimSpace(tok)) && valid
	}
	return present > 0 && valid
}

// ServeHTTP handles one slash command request.
func (h *SlashHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "POST, GET")
		refuse(w, http.StatusMethodNotAllowed)
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	}
	cmd, err := ParseSlashCommand(r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(w, http.StatusRequestEntityTooLarge)
			return
		}
		refuse(w, http.StatusBadRequest)
		return
	}
	if !h.authorize(r, cmd) {
		h.cfg.warn(r, "mattermost: slash command refused: bad or missing token")
		refuse(w, http.StatusUnauthorized)
		return
	}
	resp, err := h.fn(r.Context(), cmd)
	if err != nil {
		writeJSON(w, http.StatusOK, Ephemeral(h.cfg.failure(r, "slash command "+cmd.Command, err)))
		return
	}
	if resp == nil {
		resp = &CommandResponse{}
	}
	if err := validateCommandResponse("response", resp); err != nil {
		writeJSON(w, http.StatusOK, Ephemeral(h.cfg.failure(r, "slash command "+cmd.Command, err)))
		return
	}
	writeJSON(w, http.StatusOK, resp)
	if resp.deferred != nil {
		// Send the acknowledgement before the work can post its result.
		_ = http.NewResponseController(w).Flush()
		h.startDeferred(r, cmd, resp.deferred)
	}
}

func (h *SlashHandler) startDeferred(r *http.Request, cmd *SlashCommand, work func(context.Context) (*CommandResponse, error)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.cfg.deferTime)
	// A copy of the request, for logging after the handler returned.
	logReq := r.Clone(ctx)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer cancel()
		resp, err := work(ctx)
		if err == nil && resp != nil {
			err = validateCommandResponse("deferred response", resp)
		}
		if err != nil {
			resp = Ephemeral(h.cfg.failure(logReq, "deferred slash command "+cmd.Command, err))
		}
		if resp == nil {
			return
		}
		if cmd.ResponseURL == "" {
			h.cfg.warn(logReq, "mattermost: deferred result dropped: no response_url")
			return
		}
		if err := h.cfg.responses.Post(ctx, cmd.ResponseURL, resp); err != nil && h.cfg.logger != nil {
			h.cfg.logger.ErrorContext(ctx, "mattermost: posting to response_url failed", "error", err)
		}
	}()
}

// Wait blocks until deferred work started by the handler has finished
// (for tests and graceful shutdown).
func (h *SlashHandler) Wait() { h.wg.Wait() }

// ResponseClient posts CommandResponses to slash commands' response_url.
// The URL identifies the command invocation and is treated as a secret: it
// is masked in errors and logs.
type ResponseClient struct {
	cfg *config
}

// NewResponseClient returns a ResponseClient; options as for NewClient.
// Posts are not retried once they may have reached Mattermost (a
// response_url has no deduplication).
func NewResponseClient(opts ...Option) (*ResponseClient, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &ResponseClient{cfg: cfg}, nil
}

// Post sends resp to responseURL.
func (c *ResponseClient) Post(ctx context.Context, responseURL string, resp *CommandResponse) error {
	if resp == nil {
		return invalidParam("resp", "must not be nil")
	}
	u, err := url.Parse(responseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidParam("responseURL", "must be an absolute http or https URL")
	}
	if err := validateCommandResponse("resp", resp); err != nil {
		return err
	}
	masked := u.Scheme + "://" + u.Host + "/" + redacted
	_, id, _ := cutLast(u.EscapedPath(), "/")
	s := newSender(c.cfg, responseURL, id, u.RawQuery)
	_, err = s.send(ctx, call{method: http.MethodPost, url: responseURL, path: masked, body: resp})
	return err
}

// validateCommandResponse holds a response and its extra responses to the
// limits of the posts Mattermost makes of them.
func validateCommandResponse(param string, r *CommandResponse) error {
	if err := validateMessage(param+".Text", r.Text); err != nil {
		return err
	}
	props := r.Props
	if len(r.Attachments) > 0 {
		// Mattermost puts them in the post's props.
		props.Attachments = r.Attachments
	}
	if err := validateProps(param+".Props", props); err != nil {
		return err
	}
	for i, x := range r.ExtraResponses {
		if x == nil {
			continue
		}
		if err := validateCommandResponse(param+".ExtraResponses["+strconv.Itoa(i)+"]", x); err != nil {
			return err
		}
	}
	return nil
}
