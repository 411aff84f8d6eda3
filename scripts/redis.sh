#!/usr/bin/env bash
# A private Redis (Rasa's lock store in scaled mode), installing Debian's package if it is missing. It lives
# in .run/redis, listens only on 127.0.0.1, on the first free port from ${SIGNPOST_REDIS_PORT:-56379}
# (remembered in .run/redis.port); it is reused while it runs.
# Usage: scripts/redis.sh start | stop | url
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$PWD/.run/redis"
PORT_FILE="$PWD/.run/redis.port"

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

choose_port() {
  local port="${SIGNPOST_REDIS_PORT:-56379}"
  while ! port_is_free "$port"; do port=$((port + 1)); done
  echo "$port"
}

url() { echo "redis://127.0.0.1:$(cat "$PORT_FILE")/0"; }

install_server() {
  command -v redis-server >/dev/null && return 0
  echo "Installing Redis from Debian's packages..." >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q redis-server >&2 \
    || { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q redis-server >&2; }
}

running() { [ -f "$PORT_FILE" ] && redis-cli -p "$(cat "$PORT_FILE")" ping 2>/dev/null | grep -q PONG; }

start() {
  install_server
  mkdir -p "$DATA"
  if ! running; then
    choose_port > "$PORT_FILE"
    # No persistence: the lock store's locks are only worth anything while their holders live.
    redis-server --bind 127.0.0.1 --port "$(cat "$PORT_FILE")" --dir "$DATA" --save "" --appendonly no \
      --daemonize yes --pidfile "$DATA/redis.pid" --logfile "$DATA/redis.log" >/dev/null
    for _ in $(seq 1 100); do running && break; sleep 0.1; done
    running || { echo "Redis did not start: see $DATA/redis.log" >&2; exit 1; }
  fi
  url
}

stop() {
  if running; then redis-cli -p "$(cat "$PORT_FILE")" shutdown nosave >/dev/null 2>&1 || true; fi
  for _ in $(seq 1 50); do running || break; sleep 0.1; done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
