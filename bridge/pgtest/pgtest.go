// Package pgtest gives tests a PostgreSQL schema of their own on the
// throwaway server named by GHLKIT_TEST_DATABASE_URL (.ci/run sets it; see
// .ci/postgres.sh), so that tests of the bridge and of the programs that
// use it run in parallel on one server.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvDatabase names the PostgreSQL server the tests use.
const EnvDatabase = "GHLKIT_TEST_DATABASE_URL"

var seq atomic.Int64

// Schema creates a schema of its own for t in the test database and
// returns a URL whose search_path is that schema. The schema is dropped
// when t ends. t is skipped, saying why, when EnvDatabase is unset.
func Schema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDatabase)
	if base == "" {
		t.Skip(EnvDatabase + " is not set: run `source .ci/postgres.sh` to start a throwaway PostgreSQL (CI always does)")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", EnvDatabase, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
