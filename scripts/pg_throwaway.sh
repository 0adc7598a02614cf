# Sourced by scripts/test and the benchmarks: starts a throwaway PostgreSQL cluster on a free
# loopback port in a temporary folder, sets PG_URL, and stops and removes it on exit.
pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
}

pg_throwaway_start() {
  local bindir port dir runas
  bindir=$(pg_bindir || true)
  if [ -z "$bindir" ]; then
    echo "PostgreSQL server not found; installing the Debian package 'postgresql'..." >&2
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    bindir=$(pg_bindir)
  fi
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dir=$(mktemp -d /tmp/market-pg.XXXXXX)
  runas=()
  # The server refuses to run as root, so root runs it as the postgres user.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home "$dir" postgres
    chown postgres "$dir"
    runas=(runuser -u postgres --)
  fi
  # Run from the cluster's own folder: the postgres user may not enter the caller's working
  # directory, and initdb and pg_ctl would each say so ("could not change directory").
  (cd "$dir" && "${runas[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null)
  (cd "$dir" && "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null)
  PG_THROWAWAY_DIR=$dir
  PG_THROWAWAY_BIN=$bindir
  PG_THROWAWAY_RUNAS=("${runas[@]}")
  trap pg_throwaway_stop EXIT
  (cd "$dir" && "${runas[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres market_test)
  export PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/market_test"
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running on 127.0.0.1:$port" >&2
}

pg_throwaway_stop() {
  [ -n "${PG_THROWAWAY_DIR:-}" ] || return 0
  (cd "$PG_THROWAWAY_DIR" && "${PG_THROWAWAY_RUNAS[@]}" "$PG_THROWAWAY_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" \
    -m fast -w stop >/dev/null 2>&1) || true
  rm -rf "$PG_THROWAWAY_DIR"
  PG_THROWAWAY_DIR=
}
