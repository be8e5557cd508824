package bridge

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// LinkChannel implements Store.
func (s *PGStore) LinkChannel(ctx context.Context, channelID, locationID string) (string, error) {
	if err := checkLinkIDs(channelID, locationID); err != nil {
		return "", err
	}
	var previous string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// A first link inserts the row (a concurrent first link waits for
		// it, then finds it); a later one locks the row, so previous is
		// the link this one replaced.
		// An unlink between the two statements makes it a first link again.
		for {
			previous = ""
			tag, err := tx.Exec(ctx, `INSERT INTO bridge_channel_links (channel_id, location_id, linked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				channelID, locationID, s.now())
			if err != nil || tag.RowsAffected() == 1 {
				return err
			}
			err = tx.QueryRow(ctx, `SELECT location_id FROM bridge_channel_links WHERE channel_id = $1 FOR UPDATE`, channelID).Scan(&previous)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil || previous == locationID {
				return err
			}
			break
		}
		_, err := tx.Exec(ctx, `UPDATE bridge_channel_links SET location_id = $2, linked_at = $3 WHERE channel_id = $1`, channelID, locationID, s.now())
		return err
	})
	if err != nil {
		return "", err
	}
	return previous, nil
}

// UnlinkChannel implements Store.
func (s *PGStore) UnlinkChannel(ctx context.Context, channelID string) (string, error) {
	if err := checkLinkIDs(channelID); err != nil {
		return "", err
	}
	var previous string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `DELETE FROM bridge_channel_links WHERE channel_id = $1 RETURNING location_id`, channelID).Scan(&previous)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return previous, nil
}

// ChannelLocation implements Store.
func (s *PGStore) ChannelLocation(ctx context.Context, channelID string) (string, bool, error) {
	if s.closed.Load() {
		return "", false, errors.New("bridge: store is closed")
	}
	var loc string
	err := s.pool.QueryRow(ctx, `SELECT location_id FROM bridge_channel_links WHERE channel_id = $1`, channelID).Scan(&loc)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return loc, true, nil
}

// LocationChannels implements Store.
func (s *PGStore) LocationChannels(ctx context.Context, locationID string) ([]string, error) {
	if s.closed.Load() {
		return nil, errors.New("bridge: store is closed")
	}
	return s.column(ctx, `SELECT channel_id FROM bridge_channel_links WHERE location_id = $1 ORDER BY channel_id COLLATE "C"`, locationID)
}
