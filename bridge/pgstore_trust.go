package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// UseNonce implements Store: of replicas using one nonce at once, one
// finds it fresh.
func (s *PGStore) UseNonce(ctx context.Context, key string, until time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("bridge: empty nonce key")
	}
	tag, err := s.exec(ctx, `INSERT INTO bridge_nonces (key, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, key, until)
	return err == nil && tag.RowsAffected() == 1, err
}

// DropCompletion implements Store.
func (s *PGStore) DropCompletion(ctx context.Context, taskID string) error {
	_, err := s.exec(ctx, `DELETE FROM bridge_completions WHERE task_id = $1`, taskID)
	return err
}

// ReplaceCompletion implements Store.
func (s *PGStore) ReplaceCompletion(ctx context.Context, c Completion) error {
	_, err := s.exec(ctx, `INSERT INTO bridge_completions (task_id, contact_id, user_id, user_name, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (task_id) DO UPDATE SET contact_id = EXCLUDED.contact_id, user_id = EXCLUDED.user_id, user_name = EXCLUDED.user_name, at = EXCLUDED.at`,
		c.TaskID, c.ContactID, c.UserID, c.UserName, c.At)
	return err
}

// SuspendDestination implements Store.
func (s *PGStore) SuspendDestination(ctx context.Context, sp Suspension) error {
	if sp.ChannelID == "" {
		return errors.New("bridge: suspension without a channel")
	}
	_, err := s.exec(ctx, `INSERT INTO bridge_suspensions (channel_id, since, failures, reason) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel_id) DO UPDATE SET since = EXCLUDED.since, failures = EXCLUDED.failures, reason = EXCLUDED.reason`,
		sp.ChannelID, sp.Since, sp.Failures, sp.Reason)
	return err
}

// ResumeDestination implements Store.
func (s *PGStore) ResumeDestination(ctx context.Context, channelID string) (bool, error) {
	tag, err := s.exec(ctx, `DELETE FROM bridge_suspensions WHERE channel_id = $1`, channelID)
	return err == nil && tag.RowsAffected() == 1, err
}

// Suspensions implements Store.
func (s *PGStore) Suspensions(ctx context.Context) ([]Suspension, error) {
	if s.closed.Load() {
		return nil, errors.New("bridge: store is closed")
	}
	rows, _ := s.pool.Query(ctx, `SELECT channel_id, since, failures, reason FROM bridge_suspensions ORDER BY channel_id COLLATE "C"`)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Suspension, error) {
		var sp Suspension
		err := row.Scan(&sp.ChannelID, &sp.Since, &sp.Failures, &sp.Reason)
		return sp, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}
