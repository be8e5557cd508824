package mattermost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// NewPendingPostID returns a fresh pending_post_id: "ghlkit:<unix ms>:<random>".
// Mattermost treats the value as an opaque key; the random part keeps two
// creates in the same millisecond apart. Set one yourself on a Post when you
// retry a create at a higher level, so that Mattermost deduplicates it.
func NewPendingPostID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "ghlkit:" + strconv.FormatInt(time.Now().UnixMilli(), 10) + ":" + hex.EncodeToString(b[:])
}

// CreatePost creates post (POST /api/v4/posts) and returns it as stored.
// post.ChannelID is required, and a message, attachments or files; set
// RootID to reply in a thread. post is not modified.
//
// When post.PendingPostID is empty a fresh one is used, the same for every
// retry of this call. Mattermost returns the first post for a repeated
// pending_post_id, so a create retried after a lost connection never posts
// twice. (Mattermost keeps the ids for about 30 seconds, on one app server.)
func (c *Client) CreatePost(ctx context.Context, post *Post) (*Post, error) {
	if post == nil {
		return nil, invalidParam("post", "must not be nil")
	}
	if err := validatePost(post); err != nil {
		return nil, err
	}
	p := *post
	p.ID = ""
	if p.PendingPostID == "" {
		p.PendingPostID = NewPendingPostID()
	}
	var out Post
	if err := c.do(ctx, http.MethodPost, "/posts", &p, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

func validatePost(p *Post) error {
	if p.ChannelID == "" {
		return invalidParam("post.ChannelID", "must not be empty")
	}
	if p.Message == "" && len(p.Props.Attachments) == 0 && len(p.FileIDs) == 0 {
		return invalidParam("post", "needs a message, attachments or files")
	}
	if err := validateMessage("post.Message", p.Message); err != nil {
		return err
	}
	return validateAttachments("post.Props.Attachments", p.Props.Attachments)
}

func validateMessage(param, msg string) error {
	if n := utf8.RuneCountInString(msg); n > MaxMessageRunes {
		return invalidParam(param, "has "+strconv.Itoa(n)+" characters, Mattermost allows "+strconv.Itoa(MaxMessageRunes)+" (split it with SplitMessage)")
	}
	return nil
}

func validateAttachments(param string, atts []Attachment) error {
	for i, a := range atts {
		for j, act := range a.Actions {
			if !isAlphanumeric(act.ID) {
				return invalidParam(param+"["+strconv.Itoa(i)+"].Actions["+strconv.Itoa(j)+"].ID",
					"must contain only letters and digits (Mattermost cannot route clicks otherwise)")
			}
			if act.Name == "" {
				return invalidParam(param+"["+strconv.Itoa(i)+"].Actions["+strconv.Itoa(j)+"].Name", "must not be empty")
			}
		}
	}
	return nil
}

func isAlphanumeric(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// PatchPost changes the fields set in patch (PUT /api/v4/posts/{id}/patch)
// and returns the updated post. Props, when set, replace all props.
func (c *Client) PatchPost(ctx context.Context, postID string, patch *PostPatch) (*Post, error) {
	id, err := pathSegment("postID", postID)
	if err != nil {
		return nil, err
	}
	if patch == nil {
		return nil, invalidParam("patch", "must not be nil")
	}
	if patch.Message != nil {
		if err := validateMessage("patch.Message", *patch.Message); err != nil {
			return nil, err
		}
	}
	if patch.Props != nil {
		if err := validateAttachments("patch.Props.Attachments", patch.Props.Attachments); err != nil {
			return nil, err
		}
	}
	var out Post
	if err := c.do(ctx, http.MethodPut, "/posts/"+id+"/patch", patch, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetPost returns one post (GET /api/v4/posts/{id}).
func (c *Client) GetPost(ctx context.Context, postID string) (*Post, error) {
	id, err := pathSegment("postID", postID)
	if err != nil {
		return nil, err
	}
	var out Post
	if err := c.do(ctx, http.MethodGet, "/posts/"+id, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetThread returns the thread that postID belongs to, root included
// (GET /api/v4/posts/{id}/thread). Use PostList.Chronological to read it in
// order.
func (c *Client) GetThread(ctx context.Context, postID string) (*PostList, error) {
	id, err := pathSegment("postID", postID)
	if err != nil {
		return nil, err
	}
	var out PostList
	if err := c.do(ctx, http.MethodGet, "/posts/"+id+"/thread", nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetPostsSince returns the posts of a channel created or changed since t,
// thread replies included (GET /api/v4/channels/{channel_id}/posts?since=ms).
// A caller that lost track of whether a post was made, after a crash say,
// looks for its marker there instead of posting again.
func (c *Client) GetPostsSince(ctx context.Context, channelID string, since time.Time) (*PostList, error) {
	id, err := pathSegment("channelID", channelID)
	if err != nil {
		return nil, err
	}
	if since.IsZero() {
		return nil, invalidParam("since", "must be set")
	}
	var out PostList
	path := "/channels/" + id + "/posts?since=" + strconv.FormatInt(since.UnixMilli(), 10)
	if err := c.do(ctx, http.MethodGet, path, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateEphemeralPost shows post to one user only (POST
// /api/v4/posts/ephemeral); it is not stored and disappears on reload. The
// token needs the create_post_ephemeral permission (bots have it).
// Ephemeral posts carry no pending_post_id, so a lost connection is reported
// with ErrOutcomeUnknown rather than retried.
func (c *Client) CreateEphemeralPost(ctx context.Context, userID string, post *Post) (*Post, error) {
	if userID == "" {
		return nil, invalidParam("userID", "must not be empty")
	}
	if post == nil {
		return nil, invalidParam("post", "must not be nil")
	}
	if err := validatePost(post); err != nil {
		return nil, err
	}
	body := struct {
		UserID string `json:"user_id"`
		Post   *Post  `json:"post"`
	}{userID, post}
	var out Post
	if err := c.do(ctx, http.MethodPost, "/posts/ephemeral", &body, &out, false); err != nil {
		return nil, err
	}
	return &out, nil
}

// Me returns the user the token belongs to (GET /api/v4/users/me): a cheap
// way to check a token.
func (c *Client) Me(ctx context.Context) (*User, error) {
	var out User
	if err := c.do(ctx, http.MethodGet, "/users/me", nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// OpenDialog opens an interactive dialog for the user who caused
// req.TriggerID (POST /api/v4/actions/dialogs/open). Trigger IDs expire
// within seconds: call it while handling the slash command or click.
func (c *Client) OpenDialog(ctx context.Context, req *OpenDialogRequest) error {
	if req == nil {
		return invalidParam("req", "must not be nil")
	}
	if req.TriggerID == "" {
		return invalidParam("req.TriggerID", "must not be empty")
	}
	if err := validateAbsURL("req.URL", req.URL); err != nil {
		return err
	}
	if err := ValidateDialog(&req.Dialog); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/actions/dialogs/open", req, nil, false)
}

// ValidateDialog checks a dialog the way Mattermost does before opening it:
// a title, and elements with unique non-empty names and known types.
func ValidateDialog(d *Dialog) error {
	if d == nil {
		return invalidParam("dialog", "must not be nil")
	}
	if d.Title == "" {
		return invalidParam("dialog.Title", "must not be empty")
	}
	seen := make(map[string]bool, len(d.Elements))
	for i, e := range d.Elements {
		param := "dialog.Elements[" + strconv.Itoa(i) + "]"
		if e.Name == "" {
			return invalidParam(param+".Name", "must not be empty")
		}
		if seen[e.Name] {
			return invalidParam(param+".Name", "duplicate name "+quote(e.Name))
		}
		seen[e.Name] = true
		if e.DisplayName == "" {
			return invalidParam(param+".DisplayName", "must not be empty")
		}
		switch e.Type {
		case ElementText, ElementTextarea, ElementSelect, ElementBool, ElementRadio:
		default:
			return invalidParam(param+".Type", "unknown element type "+quote(e.Type))
		}
		if e.MinLength < 0 || e.MaxLength < 0 || (e.MaxLength > 0 && e.MinLength > e.MaxLength) {
			return invalidParam(param, "bad MinLength/MaxLength")
		}
		if e.Type == ElementRadio && len(e.Options) == 0 {
			return invalidParam(param+".Options", "a radio element needs options")
		}
	}
	return nil
}
