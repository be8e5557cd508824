package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

var _ DeadLetters = (*PGStore)(nil)

// RetryDead implements DeadLetters. As with BoltStore, an event keeps its
// sequence number, so it is posted before its contact's later events: it
// takes the contact's lead when it is older than the lead. The counters
// follow in the same transaction, and replicas may keep running meanwhile.
func (s *PGStore) RetryDead(ctx context.Context, seq uint64, now time.Time) (int, error) {
	var n int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		rows, _ := tx.Query(ctx, `SELECT seq, contact_id FROM bridge_dead WHERE $1 = 0 OR seq = $1 ORDER BY seq FOR UPDATE`, int64(seq))
		type dead struct {
			seq     int64
			contact string
		}
		found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dead, error) {
			var d dead
			err := r.Scan(&d.seq, &d.contact)
			return d, err
		})
		if err != nil {
			return err
		}
		// Lock the contacts whose lead may change.
		var contacts []string
		for _, d := range found {
			if d.contact != "" {
				contacts = append(contacts, d.contact)
			}
		}
		if _, err := tx.Exec(ctx, lockContacts, contacts); err != nil {
			return err
		}
		var delta [pgShards]int64
		for _, d := range found {
			lead := true
			if d.contact != "" {
				var first int64
				err := tx.QueryRow(ctx, `SELECT seq FROM bridge_outbox WHERE contact_id = $1 ORDER BY seq LIMIT 1`, d.contact).Scan(&first)
				switch {
				case errors.Is(err, pgx.ErrNoRows):
				case err != nil:
					return err
				case d.seq < first:
					if _, err := tx.Exec(ctx, `UPDATE bridge_outbox SET lead = false WHERE seq = $1`, first); err != nil {
						return err
					}
				default:
					lead = false
				}
			}
			_, err := tx.Exec(ctx, `WITH d AS (DELETE FROM bridge_dead WHERE seq = $1 RETURNING *)
				INSERT INTO bridge_outbox (seq, webhook_id, type, contact_id, payload, received, attempts, next_try, last_error, posted, claims, lead)
				OVERRIDING SYSTEM VALUE
				SELECT seq, webhook_id, type, contact_id, payload, received, 0, $2, '', posted, 0, $3 FROM d`, d.seq, now, lead)
			if err != nil {
				return err
			}
			delta[d.seq%pgShards]++
			n++
		}
		for shard, d := range delta {
			if d == 0 {
				continue
			}
			_, err := tx.Exec(ctx, `UPDATE bridge_outbox_counts SET pending = pending + $2, dead = dead - $2 WHERE shard = $1`, shard, d)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
