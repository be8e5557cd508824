#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the bridge's tests, on loopback only.
#
# Sourced (CI, or a developer's shell):
#   source .ci/postgres.sh        # starts it, exports GHLKIT_TEST_DATABASE_URL
#   go test -race ./bridge/...
#   pg_stop                       # or just leave the shell: an EXIT trap stops it
#
# Installs Debian's postgresql package when initdb is missing (as root). The
# cluster lives in a temporary directory, owned by the postgres user (the
# server refuses to run as root), trusts local connections and listens on
# 127.0.0.1 at a free port; it is deleted when stopped.

pg_bin() {
  local d
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
}

pg_start() {
  local bin
  bin="$(pg_bin)"
  if [ -z "$bin" ]; then
    echo "== installing PostgreSQL (Debian's postgresql package)"
    if [ "$(id -u)" != 0 ]; then
      echo "initdb is missing: install PostgreSQL (apt-get install -y postgresql)" >&2
      return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    bin="$(pg_bin)"
  fi
  local run_as=()
  if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi

  PG_DIR="$(mktemp -d /tmp/ghlkit-pg.XXXXXX)"
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
  # A free loopback port: the kernel picks one.
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null)" ||
    port=$((20000 + RANDOM % 20000))
  "${run_as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; return 1; }
  "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-k $PG_DIR -c listen_addresses=127.0.0.1 -p $port -c max_connections=300" >/dev/null ||
    { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_CTL=("${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data")
  export GHLKIT_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  trap pg_stop EXIT
  echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at 127.0.0.1:$port (GHLKIT_TEST_DATABASE_URL)"
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    "${PG_CTL[@]}" stop -m fast -w >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
  PG_DIR=
  unset GHLKIT_TEST_DATABASE_URL
}

pg_start
