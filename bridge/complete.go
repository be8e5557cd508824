package bridge

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/tasks"
	"github.com/ghlkit/ghl/webhook"
)

// completion is the result of completing a task from chat.
type completion struct {
	task    *tasks.Task
	by      Completion // who completed it (UserName empty: in HighLevel)
	already bool       // it was complete before: nothing was written
}

// completeTask marks a task complete in HighLevel unless it already is
// (completed through the bridge, or in HighLevel), in which case it writes
// nothing and says so. Completions of one task are serialised, so two
// clicks at once write once.
func (b *Bridge) completeTask(ctx context.Context, contactID, taskID, userID, userName string) (*completion, error) {
	taskID = strings.TrimSpace(taskID)
	if taskID == "" {
		return nil, mattermost.UserErrorf("Give the task's ID.")
	}
	// In the store: the replicas sharing it take turns too.
	unlock, err := b.store.Lock(ctx, "task/"+taskID)
	if err != nil {
		return nil, err
	}
	defer unlock()

	held, hasHeld, err := b.store.Completion(ctx, taskID)
	if err != nil {
		return nil, err
	}
	hasHeld = hasHeld && held.ContactID == contactID
	t, err := b.svc(ctx).tasks.Get(ctx, contactID, taskID)
	switch {
	case ghl.IsNotFound(err):
		b.hl.observe(b.now(), nil)
		return nil, mattermost.UserErrorf("The contact has no task with ID %s.", code(taskID))
	case err != nil && hasHeld:
		// The answer stands without the details.
		b.hlCall("Reading the task", err)
		return &completion{task: &tasks.Task{ID: taskID, ContactID: contactID, Completed: true}, by: held, already: true}, nil
	case err != nil:
		return nil, b.hlCall("Reading the task", err)
	}
	b.hl.observe(b.now(), nil)
	if t.Completed {
		if !hasHeld {
			if held, _, err = b.store.RecordCompletion(ctx, Completion{TaskID: taskID, ContactID: contactID, At: b.now()}); err != nil {
				return nil, err
			}
		}
		return &completion{task: t, by: held, already: true}, nil
	}
	if hasHeld {
		// HighLevel's state wins: the task was reopened there, so the
		// old completion no longer holds and it may be completed again.
		if err := b.store.DropCompletion(ctx, taskID); err != nil {
			return nil, err
		}
		b.log.LogAttrs(ctx, slog.LevelInfo, "bridge: a task completed before is open again in HighLevel; completing it again", slog.String("taskId", taskID))
	}

	end, err := b.ownWrite(ctx, contactID)
	if err != nil {
		return nil, err
	}
	defer end()
	key := ownKey(webhook.TypeTaskComplete, taskID, completedChange)
	// Marked before the write: HighLevel may send the webhook before it
	// answers.
	if err := b.store.MarkOwn(ctx, key, b.now().Add(ownFor)); err != nil {
		return nil, err
	}
	done, err := b.svc(ctx).tasks.SetCompleted(ctx, contactID, taskID, true)
	if err := b.hlCall("Completing the task", err); err != nil {
		_ = b.store.ForgetOwn(context.WithoutCancel(ctx), key)
		return nil, err
	}
	held, recorded, err := b.store.RecordCompletion(context.WithoutCancel(ctx), Completion{
		TaskID: taskID, ContactID: contactID, UserID: userID, UserName: userName, At: b.now(),
	})
	if err != nil {
		b.log.LogAttrs(ctx, slog.LevelError, "bridge: recording a completion failed", slog.String("taskId", taskID), slog.String("error", err.Error()))
		held, recorded = Completion{TaskID: taskID, ContactID: contactID, UserID: userID, UserName: userName, At: b.now()}, true
	}
	return &completion{task: done, by: held, already: !recorded}, nil
}

// actionComplete handles a click on a task's Complete button.
func (b *Bridge) actionComplete(ctx context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	contactID, taskID := req.Values["contact_id"], req.Values["task_id"]
	if contactID == "" || taskID == "" {
		return nil, mattermost.UserErrorf("This button is broken; run the command again.")
	}
	if err := b.verifyUse(ctx, req.Token, req.ChannelID, req.UserID); err != nil {
		return nil, err
	}
	// Record the user Mattermost names for the click's user_id, not the
	// request's unsigned user_name.
	who, err := b.clickUser(ctx, req.UserID, req.ChannelID)
	if err != nil {
		return nil, err
	}
	res, err := b.completeTask(ctx, contactID, taskID, who.ID, who.Username)
	if err != nil {
		return nil, err
	}
	resp := &mattermost.ActionResponse{}
	if res.already {
		resp.EphemeralText = b.alreadyText(res)
	}
	if upd := b.updatedPost(ctx, req, res); upd != nil {
		resp.Update = upd
	}
	if !res.already {
		// The clicked post is redrawn by the answer; the others here.
		c := b.contactFor(ctx, contactID, "")
		b.redrawTaskPosts(ctx, c, res.task.ID, req.PostID, b.completedTaskPost(ctx, c, res))
	}
	return resp, nil
}

// alreadyText tells a user the task was complete before their click.
func (b *Bridge) alreadyText(res *completion) string {
	title := "This task"
	if res.task.Title != "" {
		title = "**" + mattermost.EscapeInline(res.task.Title) + "**"
	}
	if res.by.UserName != "" {
		return title + " is already complete: @" + mattermost.PlainText(res.by.UserName) + " completed it."
	}
	return title + " is already complete (in HighLevel)."
}
