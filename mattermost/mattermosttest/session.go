package mattermosttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ghlkit/ghl/mattermost"
)

// Session acts as one user of the server: it sends integrations exactly
// what a Mattermost server sends when that user types a slash command,
// clicks a button or submits a dialog, and applies the answers as
// Mattermost would (posts, ephemeral posts, post updates, trigger IDs).
type Session struct {
	s      *Server
	userID string
}

// As returns a session acting as userID (from AddUser).
func (s *Server) As(userID string) *Session { return &Session{s: s, userID: userID} }

func (u *Session) user() (User, error) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	usr, ok := u.s.users[u.userID]
	if !ok {
		return User{}, fmt.Errorf("mattermosttest: unknown user %q", u.userID)
	}
	return *usr, nil
}

// newTriggerLocked issues a trigger ID for a dialog.
func (s *Server) newTriggerLocked(userID, channelID string) string {
	id := NewID() + ":" + userID + ":" + strconv.FormatInt(s.now().UnixMilli(), 10)
	s.triggers[id] = trigger{userID: userID, channelID: channelID, expires: s.now().Add(s.triggerTTL)}
	return id
}

// CommandResult is what happened to a slash command.
type CommandResult struct {
	// Status is the integration's HTTP status. Mattermost applies the
	// response only for 200.
	Status int
	// Response is the decoded answer (a non-JSON body becomes its Text).
	Response *mattermost.CommandResponse
	// Request is the command as sent.
	Request *mattermost.SlashCommand
}

// SlashCommand types line (e.g. "/ghl task list abc") in channelID. The
// command must have been registered with AddCommand. An in_channel answer
// is posted in the channel as the user, an ephemeral one is shown to the
// user (see Server.Ephemeral); the trigger ID and response_url sent along
// work as on a real server.
func (u *Session) SlashCommand(ctx context.Context, channelID, line string) (*CommandResult, error) {
	usr, err := u.user()
	if err != nil {
		return nil, err
	}
	word, text, _ := strings.Cut(strings.TrimSpace(line), " ")
	trigger := strings.TrimPrefix(word, "/")
	s := u.s
	s.mu.Lock()
	cmd, ok := s.commands[trigger]
	ch, chOK := s.channels[channelID]
	if !ok || !chOK {
		s.mu.Unlock()
		return nil, fmt.Errorf("mattermosttest: unknown command %q or channel %q", word, channelID)
	}
	respID := NewID()
	s.responses[respID] = &responseURL{userID: usr.ID, channelID: channelID, expires: s.now().Add(ResponseURLTTL)}
	sc := &mattermost.SlashCommand{
		ChannelID:   channelID,
		ChannelName: ch.Name,
		Command:     "/" + cmd.trigger,
		ResponseURL: s.URL + "/hooks/commands/" + respID,
		TeamDomain:  s.team.Name,
		TeamID:      s.team.ID,
		Text:        strings.TrimLeft(text, " "),
		Token:       cmd.token,
		TriggerID:   s.newTriggerLocked(usr.ID, channelID),
		UserID:      usr.ID,
		UserName:    usr.Username,
	}
	url := cmd.url
	s.mu.Unlock()

	req, err := NewSlashRequest(ctx, url, sc)
	if err != nil {
		return nil, err
	}
	resp, body, err := s.call(req)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Status: resp.StatusCode, Request: sc}
	if resp.StatusCode != http.StatusOK {
		return res, nil
	}
	cr := &mattermost.CommandResponse{}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/json" {
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, cr); err != nil {
				return res, fmt.Errorf("mattermosttest: slash command answered bad JSON: %w", err)
			}
		}
	} else {
		cr.Text = string(body)
	}
	res.Response = cr
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg := s.applyCommandResponseLocked(cr, usr.ID, channelID); msg != "" {
		return res, errors.New("mattermosttest: command response not applied: " + msg)
	}
	return res, nil
}

// NewSlashRequest builds the request Mattermost sends for cmd: a form POST
// to url with "Authorization: Token <cmd.Token>". Tests use it to send
// forged or altered commands.
func NewSlashRequest(ctx context.Context, url string, cmd *mattermost.SlashCommand) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(cmd.Values().Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if cmd.Token != "" {
		req.Header.Set("Authorization", "Token "+cmd.Token)
	}
	return req, nil
}

// NewActionRequest builds the request Mattermost sends when a button is
// clicked: a JSON POST of ar to url.
func NewActionRequest(ctx context.Context, url string, ar *mattermost.ActionRequest) (*http.Request, error) {
	return newJSONRequest(ctx, url, ar)
}

// NewDialogRequest builds the request Mattermost sends when a dialog is
// submitted or cancelled: a JSON POST of sub to url.
func NewDialogRequest(ctx context.Context, url string, sub *mattermost.DialogSubmission) (*http.Request, error) {
	return newJSONRequest(ctx, url, sub)
}

func newJSONRequest(ctx context.Context, url string, v any) (*http.Request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

func (s *Server) call(req *http.Request) (*http.Response, []byte, error) {
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("mattermosttest: calling the integration: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("mattermosttest: reading the integration's answer: %w", err)
	}
	return resp, body, nil
}

// ActionResult is what happened to a click.
type ActionResult struct {
	// Status is the integration's HTTP status; Mattermost applies the
	// answer only for 200.
	Status   int
	Response *mattermost.ActionResponse
	Request  *mattermost.ActionRequest
}

// ClickButton clicks the action named (by ID or Name) on post postID: the
// stored post's integration URL receives the stored context, as Mattermost
// sends it. An update in the answer replaces the post's message and props;
// ephemeral_text is shown to the user.
func (u *Session) ClickButton(ctx context.Context, postID, action string) (*ActionResult, error) {
	return u.click(ctx, postID, action, "")
}

// SelectOption picks value in the select action named on post postID; the
// integration receives it as context.selected_option.
func (u *Session) SelectOption(ctx context.Context, postID, action, value string) (*ActionResult, error) {
	return u.click(ctx, postID, action, value)
}

func (u *Session) click(ctx context.Context, postID, name, selected string) (*ActionResult, error) {
	usr, err := u.user()
	if err != nil {
		return nil, err
	}
	s := u.s
	s.mu.Lock()
	p, ok := s.posts[postID]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("mattermosttest: no post %q", postID)
	}
	var act *mattermost.Action
	for i := range p.Props.Attachments {
		for j := range p.Props.Attachments[i].Actions {
			a := &p.Props.Attachments[i].Actions[j]
			if act == nil && (a.ID == name || a.Name == name) {
				act = a
			}
		}
	}
	if act == nil || act.Integration == nil || act.Integration.URL == "" {
		s.mu.Unlock()
		return nil, fmt.Errorf("mattermosttest: post %q has no action %q with an integration", postID, name)
	}
	if act.Disabled {
		s.mu.Unlock()
		return nil, fmt.Errorf("mattermosttest: action %q is disabled", name)
	}
	ch := s.channels[p.ChannelID]
	chName := ""
	if ch != nil {
		chName = ch.Name
	}
	actx := map[string]any{}
	maps.Copy(actx, cloneContext(act.Integration.Context))
	if selected != "" {
		actx["selected_option"] = selected
	}
	ar := &mattermost.ActionRequest{
		UserID: usr.ID, UserName: usr.Username,
		ChannelID: p.ChannelID, ChannelName: chName,
		TeamID: s.team.ID, TeamDomain: s.team.Name,
		PostID: p.ID, TriggerID: s.newTriggerLocked(usr.ID, p.ChannelID),
		Type: act.Type, DataSource: act.DataSource, Context: actx,
	}
	url := act.Integration.URL
	s.mu.Unlock()

	req, err := NewActionRequest(ctx, url, ar)
	if err != nil {
		return nil, err
	}
	resp, body, err := s.call(req)
	if err != nil {
		return nil, err
	}
	res := &ActionResult{Status: resp.StatusCode, Request: ar}
	if resp.StatusCode != http.StatusOK {
		return res, nil
	}
	res.Response = &mattermost.ActionResponse{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, res.Response); err != nil {
			return res, fmt.Errorf("mattermosttest: action answered bad JSON: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.posts[postID]
	if !ok {
		return res, nil
	}
	if up := res.Response.Update; up != nil {
		if utf8.RuneCountInString(up.Message) > mattermost.MaxMessageRunes {
			return res, errors.New("mattermosttest: action update message too long")
		}
		now := s.millisLocked()
		stored.Message = up.Message
		stored.Props = up.Props
		generateActionIDs(&stored.Props)
		stored.UpdateAt, stored.EditAt = now, now
	}
	if t := res.Response.EphemeralText; t != "" {
		// Mattermost threads it under the clicked post.
		root := stored.RootID
		if root == "" {
			root = stored.ID
		}
		ep := mattermost.Post{
			ID: NewID(), UserID: usr.ID, ChannelID: stored.ChannelID, RootID: root,
			Message: t, Type: "system_ephemeral", CreateAt: s.millisLocked(),
		}
		s.ephemeral = append(s.ephemeral, EphemeralPost{UserID: usr.ID, Post: ep})
	}
	return res, nil
}

func cloneContext(c map[string]any) map[string]any {
	if c == nil {
		return nil
	}
	b, _ := json.Marshal(c)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// DialogResult is what happened to a dialog submission.
type DialogResult struct {
	// Sent is false when nothing was sent (a cancel without
	// notify_on_cancel).
	Sent bool
	// Status is the integration's HTTP status.
	Status int
	// Response is the decoded answer; nil for an empty 200.
	Response *mattermost.DialogResponse
	// Closed reports whether Mattermost would close the dialog: a 200
	// without errors.
	Closed  bool
	Request *mattermost.DialogSubmission
}

// InputError is returned by SubmitDialog when the values would not pass
// Mattermost's own form checks, so the webapp would not send them.
type InputError struct {
	Errors map[string]string // by element name
}

// Error lists the refused fields.
func (e *InputError) Error() string {
	keys := slices.Sorted(maps.Keys(e.Errors))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Errors[k]
	}
	return "mattermosttest: dialog input rejected: " + strings.Join(parts, "; ")
}

// SubmitDialog fills in d (from Server.Dialogs) with values, checks them as
// the Mattermost webapp does (required elements, lengths, options, defaults),
// and submits them to the dialog's URL.
func (u *Session) SubmitDialog(ctx context.Context, d OpenedDialog, values map[string]any) (*DialogResult, error) {
	submission, err := checkDialogInput(&d.Dialog, values)
	if err != nil {
		return nil, err
	}
	return u.sendDialog(ctx, d, &mattermost.DialogSubmission{
		Type: mattermost.DialogSubmitted, Submission: submission,
	})
}

// CancelDialog closes d. Mattermost tells the integration only when the
// dialog asked for it (notify_on_cancel); otherwise nothing is sent. The
// server sends a cancellation as it sends a submission, type
// "dialog_submission", with "cancelled": true and no values.
func (u *Session) CancelDialog(ctx context.Context, d OpenedDialog) (*DialogResult, error) {
	if !d.Dialog.NotifyOnCancel {
		return &DialogResult{Closed: true}, nil
	}
	return u.sendDialog(ctx, d, &mattermost.DialogSubmission{Type: mattermost.DialogSubmitted, Cancelled: true})
}

func (u *Session) sendDialog(ctx context.Context, d OpenedDialog, sub *mattermost.DialogSubmission) (*DialogResult, error) {
	usr, err := u.user()
	if err != nil {
		return nil, err
	}
	if d.UserID != usr.ID {
		return nil, fmt.Errorf("mattermosttest: dialog was opened for user %q, not %q", d.UserID, usr.ID)
	}
	sub.CallbackID = d.Dialog.CallbackID
	sub.State = d.Dialog.State
	sub.UserID = usr.ID
	sub.ChannelID = d.ChannelID
	sub.TeamID = d.TeamID
	req, err := NewDialogRequest(ctx, d.URL, sub)
	if err != nil {
		return nil, err
	}
	resp, body, err := u.s.call(req)
	if err != nil {
		return nil, err
	}
	res := &DialogResult{Sent: true, Status: resp.StatusCode, Request: sub}
	if resp.StatusCode != http.StatusOK {
		return res, nil
	}
	if len(bytes.TrimSpace(body)) > 0 {
		res.Response = &mattermost.DialogResponse{}
		if err := json.Unmarshal(body, res.Response); err != nil {
			return res, fmt.Errorf("mattermosttest: dialog answered bad JSON: %w", err)
		}
	}
	res.Closed = res.Response == nil || (len(res.Response.Errors) == 0 && res.Response.Error == "")
	return res, nil
}

// checkDialogInput applies defaults and the webapp's checks.
func checkDialogInput(d *mattermost.Dialog, values map[string]any) (map[string]any, error) {
	out := map[string]any{}
	errs := map[string]string{}
	known := map[string]bool{}
	for _, e := range d.Elements {
		known[e.Name] = true
		v, given := values[e.Name]
		if !given && e.Default != "" {
			v, given = e.Default, true
			if e.Type == mattermost.ElementBool {
				v = e.Default == "true"
			}
		}
		if !given || v == "" || v == nil {
			if !e.Optional && e.Type != mattermost.ElementBool {
				errs[e.Name] = "This field is required."
			}
			continue
		}
		switch e.Type {
		case mattermost.ElementBool:
			if _, ok := v.(bool); !ok {
				errs[e.Name] = "must be true or false"
				continue
			}
		case mattermost.ElementText, mattermost.ElementTextarea:
			str, ok := v.(string)
			if !ok {
				errs[e.Name] = "must be text"
				continue
			}
			// The webapp caps input at max_length, or 150 (text) and
			// 3,000 (textarea) characters without one.
			maxLen := e.MaxLength
			if maxLen == 0 {
				maxLen = mattermost.MaxElementText
				if e.Type == mattermost.ElementTextarea {
					maxLen = mattermost.MaxElementTextarea
				}
			}
			n := utf8.RuneCountInString(str)
			if e.MinLength > 0 && n < e.MinLength {
				errs[e.Name] = "Must be at least " + strconv.Itoa(e.MinLength) + " characters."
			}
			if n > maxLen {
				errs[e.Name] = "Must be at most " + strconv.Itoa(maxLen) + " characters."
			}
		case mattermost.ElementDate, mattermost.ElementDatetime:
			if _, ok := v.(string); !ok {
				errs[e.Name] = "must be a date string"
				continue
			}
		case mattermost.ElementSelect, mattermost.ElementRadio:
			str, _ := v.(string)
			if e.DataSource == "" && !slices.ContainsFunc(e.Options, func(o mattermost.DialogOption) bool { return o.Value == str }) {
				errs[e.Name] = "not one of the options"
			}
		}
		out[e.Name] = v
	}
	for k := range values {
		if !known[k] {
			errs[k] = "no such element"
		}
	}
	if len(errs) > 0 {
		return nil, &InputError{Errors: errs}
	}
	return out, nil
}
