#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the tests and print its URL.
# Installs Debian's postgresql package when no server binaries are present.
# Usage: scripts/postgres.sh start DIR PORT | scripts/postgres.sh stop DIR
set -euo pipefail

find_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

cmd=${1:?start|stop}; dir=${2:?data directory}
case "$cmd" in
  start)
    port=${3:-54329}
    if ! bindir=$(find_bindir); then
      echo "installing PostgreSQL from Debian packages..." >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
      bindir=$(find_bindir)
    fi
    run_as=()
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      mkdir -p "$dir"; chown postgres "$dir"
      run_as=(runuser -u postgres --)
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      "${run_as[@]}" "$bindir/initdb" -D "$dir" -U pantau --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    "${run_as[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
    "$bindir/psql" -h 127.0.0.1 -p "$port" -U pantau -d postgres -qtc "SELECT 1" >/dev/null
    echo "postgresql+psycopg://pantau@127.0.0.1:$port/postgres"
    ;;
  stop)
    bindir=$(find_bindir)
    run_as=()
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    "${run_as[@]}" "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null || true
    ;;
  *) echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
