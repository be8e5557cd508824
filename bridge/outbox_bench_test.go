package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkOutbox measures the deliverer's outbox read (Claim) and the
// health check's OutboxStats on an outbox of 1,000 and of 100,000 events
// waiting for a retry, in both stores: the cost (time, bytes, allocations
// per call) must not grow with the outbox.
func BenchmarkOutbox(b *testing.B) {
	now := time.Unix(1_700_000_000, 0)
	stores := []struct {
		name string
		fill func(b *testing.B, n int) Store
	}{
		{"bbolt", func(b *testing.B, n int) Store {
			s, err := OpenBoltStore(filepath.Join(b.TempDir(), "s.db"), func() time.Time { return now })
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			err = s.update(context.Background(), func(tx *bolt.Tx) error {
				for i := range n {
					ev := waitingEvent(now, i)
					if _, _, err := s.enqueueTx(tx, &ev, now.Add(time.Hour)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B, n int) Store {
			s := openPGStoreT(b, newTestSchema(b), func() time.Time { return now })
			// The rows Enqueue would write, in one statement: 100,000
			// transactions would make the setup minutes long.
			ctx := context.Background()
			_, err := s.pool.Exec(ctx, `INSERT INTO bridge_outbox (webhook_id, type, contact_id, payload, received, attempts, next_try, lead)
				SELECT 'w' || i, 'TaskCreate', 'c' || (i % 5000), '{}', $1::timestamptz, 1, $1::timestamptz + interval '1 hour' + i * interval '1 ms', i < 5000
				FROM generate_series(0, $2 - 1) AS i`, now, n)
			if err == nil {
				_, err = s.pool.Exec(ctx, `UPDATE bridge_outbox_counts SET pending = pending + c, retrying = retrying + c
					FROM (SELECT seq % 16 AS sh, count(*) AS c FROM bridge_outbox GROUP BY 1) x WHERE shard = x.sh`)
			}
			if err == nil {
				_, err = s.pool.Exec(ctx, `ANALYZE bridge_outbox`)
			}
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		for _, n := range []int{1_000, 100_000} {
			b.Run(fmt.Sprintf("%s/n=%d", st.name, n), func(b *testing.B) {
				s := st.fill(b, n)
				ctx := context.Background()
				if got, err := s.OutboxStats(ctx); err != nil || got.Pending != n {
					b.Fatalf("stats = %+v, %v; want %d pending", got, err, n)
				}
				b.Run("Claim", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						evs, err := s.Claim(ctx, now, 64, time.Minute)
						if err != nil || len(evs) != 0 {
							b.Fatalf("Claim = %d events, %v", len(evs), err)
						}
					}
				})
				b.Run("OutboxStats", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := s.OutboxStats(ctx); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}

// waitingEvent is the i-th of many events waiting for a retry in an hour,
// spread over 5,000 contacts.
func waitingEvent(now time.Time, i int) OutboxEvent {
	return OutboxEvent{
		WebhookID: fmt.Sprint("w", i), Type: "TaskCreate", ContactID: fmt.Sprint("c", i%5000),
		Payload: json.RawMessage(`{}`), Received: now, Attempts: 1,
		NextTry: now.Add(time.Hour + time.Duration(i)*time.Millisecond),
	}
}
