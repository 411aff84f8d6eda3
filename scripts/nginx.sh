#!/usr/bin/env bash
# nginx in front of the scaled mode's Rasa servers (installing Debian's package if it is missing): listens on
# 127.0.0.1:PORT, shares requests round-robin between the servers, passes the widget's WebSocket through,
# and tries another server when one is down. Runs from .run/nginx (its own configuration, logs and pid).
# Usage: scripts/nginx.sh start PORT SERVER_PORT... | stop
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="$PWD/.run/nginx"

install_server() {
  [ -x /usr/sbin/nginx ] && return 0
  echo "Installing nginx from Debian's packages..." >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q nginx-light >&2 \
    || { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q nginx-light >&2; }
}

start() {
  local port="$1"; shift
  install_server
  mkdir -p "$PREFIX/logs" "$PREFIX/temp"
  local servers=""
  for server in "$@"; do servers+="        server 127.0.0.1:$server max_fails=1 fail_timeout=5s;"$'\n'; done
  cat > "$PREFIX/nginx.conf" <<CONF
# Written by scripts/nginx.sh: edit that script, not this file.
worker_processes 1;
pid $PREFIX/nginx.pid;
error_log $PREFIX/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $PREFIX/temp/body;
    proxy_temp_path $PREFIX/temp/proxy;
    fastcgi_temp_path $PREFIX/temp/fastcgi;
    uwsgi_temp_path $PREFIX/temp/uwsgi;
    scgi_temp_path $PREFIX/temp/scgi;
    client_max_body_size 1m;
    server_tokens off;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    upstream signpost {
$servers        keepalive 32;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://signpost;
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 3600s;
            # A server that is down: the request goes to another. Not a message already sent to a server that
            # then died (non_idempotent): it could be stored and answered twice.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
        }
    }
}
CONF
  stop
  /usr/sbin/nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log"
}

stop() {
  if [ -f "$PREFIX/nginx.pid" ] && kill -0 "$(cat "$PREFIX/nginx.pid")" 2>/dev/null; then
    kill "$(cat "$PREFIX/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$PREFIX/nginx.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PREFIX/nginx.pid"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start PORT SERVER_PORT... | stop" >&2; exit 2 ;;
esac
