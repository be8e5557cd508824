package bridge

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/tasks"
)

// Posts that show a task are redrawn in place when the task changes
// through the bridge (edit, complete, reopen, delete), rather than posting
// it again: the bridge records which of its posts show which task
// (Store.TrackTaskPost) when it posts them. Answers the bot could not post
// itself (a command's in-channel answer) have no post ID and are not
// tracked.

// shows says which tasks posted messages show, for show to record.
type shows struct {
	contactID string
	view      string // viewTask or viewList
	taskIDs   []string
	// A list over several posts: this post's place and how many (TaskPost).
	part, parts int
}

// trackTaskPost records that post shows what sh says; best effort: a post
// not recorded is only not redrawn later.
func (b *Bridge) trackTaskPost(ctx context.Context, post *mattermost.Post, sh shows) {
	if post == nil || post.ID == "" || len(sh.taskIDs) == 0 {
		return
	}
	p := TaskPost{PostID: post.ID, ChannelID: post.ChannelID, ContactID: sh.contactID, View: sh.view, At: b.now(), Part: sh.part, Parts: sh.parts}
	if err := b.store.TrackTaskPost(context.WithoutCancel(ctx), p, sh.taskIDs); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: recording a task post failed", slog.String("postId", post.ID), slog.String("error", err.Error()))
	}
}

func taskIDs(list []tasks.Task) []string {
	ids := make([]string, 0, len(list))
	for i := range list {
		ids = append(ids, list[i].ID)
	}
	return ids
}

// redrawTaskPosts redraws, in place, the recorded posts of contact c that
// show the task taskID, except skip (a post already redrawn): a list post
// shows the contact's tasks as HighLevel now lists them, a task's own post
// shows one(channelID). It returns how many posts were redrawn.
func (b *Bridge) redrawTaskPosts(ctx context.Context, c *contacts.Contact, taskID, skip string, one func(channelID string) (mattermost.Message, error)) int {
	posts, err := b.store.TaskPosts(ctx, taskID)
	if err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: reading task posts failed", slog.String("taskId", taskID), slog.String("error", err.Error()))
		return 0
	}
	var list []tasks.Task
	var listErr error
	listed := false
	n := 0
	for _, p := range posts {
		if p.PostID == skip || p.ContactID != c.ID {
			continue
		}
		var m mattermost.Message
		sh := shows{contactID: c.ID, view: p.View, taskIDs: []string{taskID}, part: p.Part, parts: p.Parts}
		if p.View == viewList {
			if !listed {
				list, listErr = b.svc(ctx).tasks.List(ctx, c.ID)
				listed = true
				if listErr != nil {
					b.hlCall("Listing the tasks", listErr)
				}
			}
			if listErr != nil {
				continue
			}
			msgs, err := b.renderTaskList(ctx, p.ChannelID, c, list, nil)
			// Each post of a list over several takes its own part; a list
			// that now takes more or fewer posts is left as it is (its
			// posts cannot be added to or taken from in place).
			if err != nil || len(msgs) != max(p.Parts, 1) {
				continue
			}
			m, sh.taskIDs = msgs[p.Part], taskIDs(list)
		} else if m, err = one(p.ChannelID); err != nil {
			continue
		}
		post, err := b.mm.PatchPost(ctx, p.PostID, &mattermost.PostPatch{Message: &m.Text, Props: &mattermost.Props{Attachments: m.Attachments}})
		if err != nil {
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: redrawing a task post failed", slog.String("postId", p.PostID), slog.String("error", err.Error()))
			continue
		}
		b.trackTaskPost(ctx, post, sh)
		n++
	}
	return n
}

// answerTask answers a change to a task made by a command: when posts
// showing the task were redrawn in place, m is shown to the user alone
// (nothing is posted again); otherwise it is posted, and recorded.
func (b *Bridge) answerTask(ctx context.Context, sc *mattermost.SlashCommand, c *contacts.Contact, t *tasks.Task, m mattermost.Message, redrawn int) (*mattermost.CommandResponse, error) {
	if redrawn > 0 {
		m.Text += inPlaceNote(redrawn)
		return m.CommandResponse(mattermost.ResponseEphemeral), nil
	}
	return b.show(ctx, sc, []mattermost.Message{m}, &shows{contactID: c.ID, view: viewTask, taskIDs: []string{t.ID}})
}

// completedTaskPost redraws a task's own post after a completion from
// chat: the task as HighLevel returned it, with its Edit button.
func (b *Bridge) completedTaskPost(ctx context.Context, c *contacts.Contact, res *completion) func(channelID string) (mattermost.Message, error) {
	return func(channelID string) (mattermost.Message, error) {
		return b.renderTaskUpdated(ctx, channelID, c, res.task, "✅ Task completed by "+mention(res.by.UserName), nil)
	}
}

// inPlaceNote ends the answer to a change whose posts were redrawn.
func inPlaceNote(n int) string {
	return fmt.Sprintf("\n_Updated in place: %s showing it._", plural(n, "post", "posts"))
}
