#!/usr/bin/env bash
# The scaled mode: PostgreSQL (knowledge base, conversations, handoffs and Rasa's tracker store in one
# database), Redis (Rasa's lock store: one turn of a conversation at a time, whichever server takes it), the
# action server, SIGNPOST_RASA_SERVERS Rasa servers (default 2) and nginx in front on 127.0.0.1:SIGNPOST_PORT
# (default 5005, where `make run` listens). A council's own PostgreSQL and Redis: set SIGNPOST_DATABASE_URL
# and SIGNPOST_REDIS_URL, and only the rest is started. Ctrl-C (or SIGTERM) stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
PORT="${SIGNPOST_PORT:-5005}"
SERVERS="${SIGNPOST_RASA_SERVERS:-2}"
ACTIONS_PORT="${SIGNPOST_ACTIONS_PORT:-5055}"
FIRST_RASA_PORT="${SIGNPOST_FIRST_RASA_PORT:-5101}"  # servers on this port and the next ones
RUN="$PWD/.run/scaled"
mkdir -p "$RUN" data
started=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/nginx.sh stop || true
  for service in "${started[@]}"; do "scripts/$service.sh" stop || true; done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ -z "${SIGNPOST_DATABASE_URL:-}" ]; then
  SIGNPOST_DATABASE_URL="$(SIGNPOST_PG_DATABASE=signpost scripts/postgres.sh start)"
  started+=(postgres)
fi
if [ -z "${SIGNPOST_REDIS_URL:-}" ]; then
  SIGNPOST_REDIS_URL="$(scripts/redis.sh start)"
  started+=(redis)
fi
export SIGNPOST_DATABASE_URL SIGNPOST_REDIS_URL
.venv/bin/signpost db upgrade >/dev/null
.venv/bin/signpost kb load --if-empty >/dev/null  # the shipped packs, into a new database only

# Rasa's lock store takes host, port and database separately: from redis://[:password@]host:port/db.
redis="${SIGNPOST_REDIS_URL#redis://}"
redis_password=""; [[ "$redis" == *@* ]] && { redis_password="${redis%%@*}"; redis_password="${redis_password#:}"; redis="${redis#*@}"; }
redis_host="${redis%%:*}"; redis_rest="${redis#*:}"; redis_port="${redis_rest%%/*}"; redis_db="${redis_rest#*/}"
[ "$redis_db" = "$redis_rest" ] && redis_db=0
cat > "$RUN/endpoints.yml" <<YAML
# Written by scripts/run-scaled.sh for the scaled mode.
action_endpoint:
  url: "http://127.0.0.1:$ACTIONS_PORT/webhook"
tracker_store:
  type: bot.tracker_store.CachedSQLTrackerStore
lock_store:
  type: redis
  url: "$redis_host"
  port: $redis_port
  db: $redis_db
  key_prefix: signpost
$( if [ -n "$redis_password" ]; then echo "  password: \"$redis_password\""; fi )
YAML

wait_for() {  # url pid log
  for _ in $(seq 1 480); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "It stopped: see $3" >&2; exit 1; }
    sleep 0.5
  done
  echo "It did not answer in 4 minutes: see $3" >&2; exit 1
}

SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --actions actions --port "$ACTIONS_PORT" > "$RUN/actions.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$ACTIONS_PORT/health" "${pids[-1]}" "$RUN/actions.log"
rasa_ports=()
for n in $(seq 1 "$SERVERS"); do
  port=$((FIRST_RASA_PORT + n - 1))
  rasa_ports+=("$port")
  .venv/bin/rasa run --interface 127.0.0.1 --port "$port" --model models/signpost.tar.gz \
    --credentials credentials.yml --endpoints "$RUN/endpoints.yml" > "$RUN/rasa-$n.log" 2>&1 &
  pids+=($!)
  echo $! > "$RUN/rasa-$n.pid"
done
for n in $(seq 1 "$SERVERS"); do
  wait_for "http://127.0.0.1:${rasa_ports[$((n - 1))]}/" "${pids[$n]}" "$RUN/rasa-$n.log"
done
scripts/nginx.sh start "$PORT" "${rasa_ports[@]}"
echo "Signpost (scaled: $SERVERS Rasa servers behind nginx) on http://127.0.0.1:$PORT; logs in $RUN"
# One server stopping is survived (nginx sends its requests to the others); all of them stopping is not.
reported=()
while true; do
  alive=0
  for n in $(seq 1 "$SERVERS"); do
    if kill -0 "${pids[$n]}" 2>/dev/null; then alive=1
    elif [ -z "${reported[$n]:-}" ]; then echo "Rasa server $n stopped: the others carry on (see $RUN/rasa-$n.log)" >&2; reported[$n]=1
    fi
  done
  [ "$alive" = 1 ] || { echo "Every Rasa server stopped: see $RUN" >&2; exit 1; }
  sleep 2 & wait $!
done
