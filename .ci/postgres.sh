#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for the tests (CI runs it; a developer can too).
#
#   eval "$(.ci/postgres.sh start)"     # initdb into a new temporary directory, start it on a free loopback port,
#                                       # print export lines: IMAGESCORE_TEST_PG_URL (JDBC URL) and IMAGESCORE_TEST_PG_DIR
#   .ci/postgres.sh stop "$IMAGESCORE_TEST_PG_DIR"   # stop the cluster and delete its directory
#
# Needs Debian's `postgresql` package (server binaries under /usr/lib/postgresql/<major>/bin); as root on a Debian
# machine it installs it. PostgreSQL refuses to run as root, so when run as root the cluster belongs to the `postgres`
# user the package creates. It listens on 127.0.0.1 only (its Unix socket lives in its own directory), and trusts
# connections from 127.0.0.1 as user `imagescore` (test-only; nothing else can reach a loopback port on the machine
# that is not already local). Nothing is written outside the temporary directory.
set -euo pipefail

pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$d" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: installing postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  if [ -z "$d" ] || [ ! -x "$d/pg_ctl" ]; then
    echo "postgres.sh: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them with: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "$d"
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local bin dir port tries
  bin="$(pg_bin)"
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
  fi
  dir="$(mktemp -d "${TMPDIR:-/tmp}/imagescore-pg.XXXXXX")"
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U imagescore -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    as_owner "$bin/initdb" -D "$dir/data" -U imagescore -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; rm -rf "$dir"; echo "postgres.sh: initdb failed" >&2; exit 1; }
  # only TCP on loopback, trusted; the socket stays in the cluster's own directory
  as_owner sh -c "printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' > '$dir/data/pg_hba.conf'"
  for tries in $(seq 1 20); do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    port_in_use "$port" && continue
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null; then
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U imagescore imagescore
      echo "$port" >"$dir/port"
      echo "export IMAGESCORE_TEST_PG_URL='jdbc:postgresql://127.0.0.1:$port/imagescore?user=imagescore'"
      echo "export IMAGESCORE_TEST_PG_DIR='$dir'"
      echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir" >&2
      return 0
    fi
    echo "postgres.sh: start on port $port failed (try $tries):" >&2
    tail -n 3 "$dir/server.log" >&2 || true
  done
  rm -rf "$dir"
  echo "postgres.sh: could not start PostgreSQL" >&2
  exit 1
}

stop() {
  local dir="${1:-${IMAGESCORE_TEST_PG_DIR:-}}" bin
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "postgres.sh stop: name the directory start printed (IMAGESCORE_TEST_PG_DIR)" >&2
    exit 1
  fi
  case "$(basename "$dir")" in
    imagescore-pg.*) ;;
    *) echo "postgres.sh stop: $dir is not a directory this script created" >&2; exit 1 ;;
  esac
  bin="$(pg_bin)"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
