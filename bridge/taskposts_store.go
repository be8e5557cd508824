package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"
)

// TaskPost is a post of the bot that shows a task: a task's own post
// (created, completed, an event) or a contact's task list, which shows
// several. A change made from chat redraws these posts in place.
type TaskPost struct {
	PostID    string    `json:"post_id"`
	ChannelID string    `json:"channel_id"`
	ContactID string    `json:"contact_id"`
	View      string    `json:"view"` // viewTask or viewList
	At        time.Time `json:"at"`   // when it was posted or last redrawn
	// Part and Parts place a post of a list too long for one post: Parts
	// posts (0 or 1: the list is one post), this one the Part-th, from 0.
	Part  int `json:"part,omitempty"`
	Parts int `json:"parts,omitempty"`
}

// TaskPostsKept: posts older than this are no longer redrawn (Sweep
// forgets them); people read recent posts, and the list stays bounded.
const TaskPostsKept = 14 * 24 * time.Hour

// maxTaskPosts bounds the posts redrawn for one task: the newest win.
const maxTaskPosts = 20

// bTaskPosts maps taskID, 0, postID → TaskPost (JSON).
var bTaskPosts = []byte("task_posts")

func taskPostKey(taskID, postID string) []byte {
	return []byte(taskID + "\x00" + postID)
}

func checkTaskPost(p TaskPost, taskIDs []string) error {
	if p.PostID == "" || p.ChannelID == "" || p.ContactID == "" || (p.View != viewTask && p.View != viewList) {
		return errors.New("bridge: incomplete task post")
	}
	if p.Part < 0 || p.Parts < 0 || p.Part >= max(p.Parts, 1) || (p.Parts > 1 && p.View != viewList) {
		return errors.New("bridge: task post's part out of its list")
	}
	if slices.Contains(taskIDs, "") {
		return errors.New("bridge: empty task ID")
	}
	return nil
}

// TrackTaskPost implements Store.
func (s *BoltStore) TrackTaskPost(ctx context.Context, p TaskPost, taskIDs []string) error {
	if err := checkTaskPost(p, taskIDs); err != nil {
		return err
	}
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bTaskPosts)
		for _, id := range taskIDs {
			if err := b.Put(taskPostKey(id, p.PostID), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// TaskPosts implements Store.
func (s *BoltStore) TaskPosts(ctx context.Context, taskID string) ([]TaskPost, error) {
	var out []TaskPost
	prefix := []byte(taskID + "\x00")
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bTaskPosts).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var p TaskPost
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return newestTaskPosts(out), err
}

// newestTaskPosts sorts posts newest first and keeps maxTaskPosts.
func newestTaskPosts(ps []TaskPost) []TaskPost {
	slices.SortFunc(ps, func(a, b TaskPost) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.PostID), []byte(b.PostID))
	})
	if len(ps) > maxTaskPosts {
		ps = ps[:maxTaskPosts]
	}
	return ps
}

// sweepTaskPosts forgets task posts older than TaskPostsKept.
func (s *BoltStore) sweepTaskPosts(ctx context.Context, now time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bTaskPosts)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var p TaskPost
			if json.Unmarshal(v, &p) != nil || now.Sub(p.At) > TaskPostsKept {
				old = append(old, slices.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// TrackTaskPost implements Store.
func (s *PGStore) TrackTaskPost(ctx context.Context, p TaskPost, taskIDs []string) error {
	if err := checkTaskPost(p, taskIDs); err != nil {
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		for _, id := range taskIDs {
			_, err := tx.Exec(ctx, `INSERT INTO bridge_task_posts (task_id, post_id, channel_id, contact_id, view, at, part, parts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (task_id, post_id) DO UPDATE SET channel_id = $3, contact_id = $4, view = $5, at = $6, part = $7, parts = $8`,
				id, p.PostID, p.ChannelID, p.ContactID, p.View, p.At, p.Part, p.Parts)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// TaskPosts implements Store.
func (s *PGStore) TaskPosts(ctx context.Context, taskID string) ([]TaskPost, error) {
	if s.closed.Load() {
		return nil, errors.New("bridge: store is closed")
	}
	rows, _ := s.pool.Query(ctx, `SELECT post_id, channel_id, contact_id, view, at, part, parts FROM bridge_task_posts WHERE task_id = $1
		ORDER BY at DESC, post_id COLLATE "C" LIMIT $2`, taskID, maxTaskPosts)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TaskPost, error) {
		var p TaskPost
		err := r.Scan(&p.PostID, &p.ChannelID, &p.ContactID, &p.View, &p.At, &p.Part, &p.Parts)
		return p, err
	})
	return out, err
}
