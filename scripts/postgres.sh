#!/usr/bin/env bash
# Start a private PostgreSQL for the tests (installing Debian's package if it is missing) and print its
# URL. The cluster lives in .run/postgres and listens only on 127.0.0.1, on the first free port from
# ${SIGNPOST_PG_PORT:-55432} (remembered in .run/postgres.port); it is reused while it runs.
# Usage: scripts/postgres.sh start | stop | restart | url
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$PWD/.run/postgres"
LOG="$PWD/.run/postgres.log"
PORT_FILE="$PWD/.run/postgres.port"

port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

choose_port() {
  local port="${SIGNPOST_PG_PORT:-55432}"
  while ! port_is_free "$port"; do port=$((port + 1)); done
  echo "$port"
}

DATABASE="${SIGNPOST_PG_DATABASE:-signpost_test}"  # the scaled mode's own database is "signpost"

url() { echo "postgresql+psycopg2://signpost@127.0.0.1:$(cat "$PORT_FILE")/$DATABASE"; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_owner() {
  # PostgreSQL refuses to run as root: run it as the package's own 'postgres' user instead.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_server() {
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] && return 0
  echo "Installing PostgreSQL from Debian's packages..." >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >&2 \
    || { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >&2; }
}

start() {
  install_server
  local bin; bin="$(pg_bin)"
  mkdir -p "$PWD/.run"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$DATA" "$PWD/.run"
    as_owner "$bin/initdb" -D "$DATA" -U signpost --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1 || [ ! -f "$PORT_FILE" ]; then
    as_owner "$bin/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    choose_port > "$PORT_FILE"
    touch "$LOG"; [ "$(id -u)" = 0 ] && chown postgres "$LOG"
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-p $(cat "$PORT_FILE") -k $DATA -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  fi
  local port; port="$(cat "$PORT_FILE")"
  "$bin/psql" -h 127.0.0.1 -p "$port" -U signpost -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='$DATABASE'" | grep -q 1 \
    || "$bin/createdb" -h 127.0.0.1 -p "$port" -U signpost "$DATABASE"
  url
}

restart() {  # on the same port: for the tests of a database restarting under a running assistant
  local bin; bin="$(pg_bin)"
  as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -m fast \
    -o "-p $(cat "$PORT_FILE") -k $DATA -c listen_addresses=127.0.0.1 -c fsync=off" restart >/dev/null
}

stop() {
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  url) url ;;
  *) echo "usage: $0 start|stop|restart|url" >&2; exit 2 ;;
esac
