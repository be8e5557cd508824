package mattermost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
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
	if err := validatePostFields(post); err != nil {
		return nil, err
	}
	p := *post
	p.ID = ""
	if p.PendingPostID == "" {
		p.PendingPostID = NewPendingPostID()
	}
	body, err := encodeCreate(&p)
	if err != nil {
		return nil, err
	}
	var out Post
	if err := c.do(ctx, http.MethodPost, "/posts", body, &out, true); err != nil {
		if isPendingCreate(err) {
			return nil, fmt.Errorf("%w (pending_post_id %s): %w", ErrPostPending, p.PendingPostID, err)
		}
		return nil, err
	}
	return &out, nil
}

// encodeCreate encodes the body of a create and checks the size of the
// post's props from it rather than by encoding them once more: the body
// holds them as they encode, and each of their bytes counts at most six
// characters (propsRunes), so a body of at most MaxPropsRunes/6 bytes
// cannot hold too many. Only a larger body, or one that does not encode,
// has them counted.
func encodeCreate(p *Post) (any, error) {
	body, err := marshalJSON(p)
	if err != nil || len(body) > MaxPropsRunes/6 {
		if err := checkPropsSize("post.Props", p.Props); err != nil {
			return nil, err
		}
	}
	if err != nil {
		return p, nil // send reports what does not encode, as for any request
	}
	return encodedBody(body), nil
}

// ErrPostPending is matched (errors.Is) by the error of a CreatePost that
// Mattermost kept answering "500 api.post.deduplicate_create_post.pending":
// an earlier create with the same pending_post_id was still being saved
// (a retry overlapped it). It is not a failure of that create: CreatePost
// retries this answer like any 5xx, and when its retries run out the post
// may well exist. Repeat the create with the same PendingPostID (the error
// names it; set one yourself with NewPendingPostID to keep it across
// calls): Mattermost then returns the first post. A create with a new
// pending_post_id would post twice.
var ErrPostPending = errors.New("mattermost: an earlier create with this pending_post_id is still in progress; repeat it with the same pending_post_id")

// pendingErrorID is the error Mattermost answers (500) to a create whose
// pending_post_id an earlier create is still saving.
const pendingErrorID = "api.post.deduplicate_create_post.pending"

func isPendingCreate(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.ID == pendingErrorID
}

func validatePost(p *Post) error {
	if err := validatePostFields(p); err != nil {
		return err
	}
	return checkPropsSize("post.Props", p.Props)
}

// validatePostFields checks all of a post but the size of its props.
func validatePostFields(p *Post) error {
	if p.ChannelID == "" {
		return invalidParam("post.ChannelID", "must not be empty")
	}
	if p.Message == "" && len(p.Props.Attachments) == 0 && len(p.FileIDs) == 0 {
		return invalidParam("post", "needs a message, attachments or files")
	}
	if err := validateMessage("post.Message", p.Message); err != nil {
		return err
	}
	if err := validateFileIDs("post.FileIDs", p.FileIDs); err != nil {
		return err
	}
	return validateAttachments("post.Props.Attachments", p.Props.Attachments)
}

func validateFileIDs(param string, ids []string) error {
	if len(ids) > MaxFileIDs {
		return invalidParam(param, "has "+strconv.Itoa(len(ids))+" files, Mattermost allows "+strconv.Itoa(MaxFileIDs)+" per post")
	}
	return nil
}

// validateProps checks the attachments' actions and the size of the props
// as Mattermost measures it (checkPropsSize).
func validateProps(param string, p Props) error {
	if err := validateAttachments(param+".Attachments", p.Attachments); err != nil {
		return err
	}
	return checkPropsSize(param, p)
}

// checkPropsSize refuses props that do not encode or whose encoding the
// server counts as longer than MaxPropsRunes (propsRunes).
func checkPropsSize(param string, p Props) error {
	if p.IsZero() {
		return nil
	}
	raw, err := p.MarshalJSON()
	if err != nil {
		return invalidParam(param, "cannot be encoded: "+err.Error())
	}
	if n := propsRunes(raw); n > MaxPropsRunes {
		return invalidParam(param, "encode to "+strconv.Itoa(n)+" characters of JSON, Mattermost allows "+strconv.Itoa(MaxPropsRunes))
	}
	return nil
}

// propsRunes counts the characters of raw (props as MarshalJSON writes
// them) as the server counts its own encoding of them: encoding/json with
// HTML escaping, which writes '<', '>' and '&' as six characters each
// (\u003c), and so also U+2028 and U+2029 (\u2028), which MarshalJSON
// leaves as they are in raw prop values.
func propsRunes(raw []byte) int {
	n := 0
	for _, r := range string(raw) {
		switch r {
		case '<', '>', '&', '\u2028', '\u2029':
			n += 6
		default:
			n++
		}
	}
	return n
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
		if err := validateProps("patch.Props", *patch.Props); err != nil {
			return nil, err
		}
	}
	if patch.FileIDs != nil {
		if err := validateFileIDs("patch.FileIDs", *patch.FileIDs); err != nil {
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

// MaxPostsSince is the most posts Mattermost returns for a "since" query
// (GetPostsSince).
const MaxPostsSince = 1000

// GetPostsSince returns the posts of a channel whose update_at is strictly
// after since (GET /api/v4/channels/{channel_id}/posts?since=ms): posts
// created, edited or deleted since then, thread replies included, deleted
// posts with DeleteAt set. Order lists them newest first; Posts also holds
// the root posts of replies in Order.
//
// Mattermost returns at most MaxPostsSince of them, and when more have
// changed it picks which without any order: a list of MaxPostsSince posts
// may leave out any post changed since. To see every post created since a
// time, use PostsCreatedSince.
func (c *Client) GetPostsSince(ctx context.Context, channelID string, since time.Time) (*PostList, error) {
	id, err := pathSegment("channelID", channelID)
	if err != nil {
		return nil, err
	}
	if since.IsZero() {
		return nil, invalidParam("since", "must be set")
	}
	ms := since.UnixMilli()
	if ms <= 0 {
		// Mattermost reads since=0 as "no since" and returns the latest
		// page instead.
		return nil, invalidParam("since", "must be after 1970-01-01")
	}
	var out PostList
	path := "/channels/" + id + "/posts?since=" + strconv.FormatInt(ms, 10)
	if err := c.do(ctx, http.MethodGet, path, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// MaxPerPage is the largest page Mattermost serves; a larger per_page is
// served as MaxPerPage.
const MaxPerPage = 200

// GetPostsPage returns one page of a channel's posts, newest first by
// creation time, replies included and deleted posts left out
// (GET /api/v4/channels/{channel_id}/posts?page=&per_page=). page counts
// from 0; perPage is at most MaxPerPage. Posts also holds the root posts of
// replies in Order; PrevPostID names the post just older than the page.
func (c *Client) GetPostsPage(ctx context.Context, channelID string, page, perPage int) (*PostList, error) {
	id, err := pathSegment("channelID", channelID)
	if err != nil {
		return nil, err
	}
	if page < 0 {
		return nil, invalidParam("page", "must not be negative")
	}
	if perPage < 1 || perPage > MaxPerPage {
		return nil, invalidParam("perPage", "must be from 1 to "+strconv.Itoa(MaxPerPage))
	}
	var out PostList
	path := "/channels/" + id + "/posts?page=" + strconv.Itoa(page) + "&per_page=" + strconv.Itoa(perPage)
	if err := c.do(ctx, http.MethodGet, path, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// PostsCreatedSince yields every post of a channel created after since,
// thread replies included, each once, roughly newest first; it stops at the
// first error (yielded once) or when the caller breaks. A caller that lost
// track of whether it made a post, after a crash say, looks for its marker
// here instead of posting again.
//
// It asks GetPostsSince first. When that list is complete (fewer than
// MaxPostsSince posts changed) it is the answer, deleted posts included.
// Otherwise it also pages through the channel (GetPostsPage) until it
// reaches posts created before since, so no post is missed however many
// changed; posts deleted since are then found only if the capped list
// happened to hold them (a paged listing leaves deleted posts out). Posts
// created while it pages shift later pages and are skipped as repeats; a
// post deleted while it pages shifts them the other way and can hide the
// one post at a page boundary.
func (c *Client) PostsCreatedSince(ctx context.Context, channelID string, since time.Time) iter.Seq2[Post, error] {
	return func(yield func(Post, error) bool) {
		list, err := c.GetPostsSince(ctx, channelID, since)
		if err != nil {
			yield(Post{}, err)
			return
		}
		ms := since.UnixMilli()
		// seen holds the since list and the previous page: a post can only
		// repeat from there (new posts push older ones onto the next page).
		seen := make(map[string]bool, len(list.Order))
		for _, id := range list.Order {
			p, ok := list.Posts[id]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if p.CreateAt > ms && !yield(p, nil) {
				return
			}
		}
		if len(list.Order) < MaxPostsSince {
			return
		}
		sinceIDs := seen
		prev := map[string]bool{}
		for page := 0; ; page++ {
			pl, err := c.GetPostsPage(ctx, channelID, page, MaxPerPage)
			if err != nil {
				yield(Post{}, err)
				return
			}
			cur := make(map[string]bool, len(pl.Order))
			older := false
			for _, id := range pl.Order {
				p, ok := pl.Posts[id]
				if !ok {
					continue
				}
				cur[id] = true
				if p.CreateAt <= ms {
					older = true
					continue
				}
				if sinceIDs[id] || prev[id] {
					continue
				}
				if !yield(p, nil) {
					return
				}
			}
			if older || len(pl.Order) < MaxPerPage {
				return
			}
			prev = cur
		}
	}
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
// req.TriggerID (POST /api/v4/actions/dialogs/open). A trigger ID expires
// after the server's integration timeout (30 seconds by default on current
// servers, 3 on old ones): call it while handling the slash command or
// click. The dialog is checked first (ValidateDialog).
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
