#!/usr/bin/env bash
# Start Signpost on the embedded default (SQLite), everything on 127.0.0.1: the action server (5055) and
# Rasa with its REST channel (5005). `scripts/run.sh shell` talks to it in the terminal instead.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
mkdir -p data .run
SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --actions actions --port 5055 > .run/actions.log 2>&1 &
actions=$!
trap 'kill $actions 2>/dev/null || true' EXIT INT TERM
# Rasa answers only once the action server is up, so the first message never meets a missing one.
for _ in $(seq 1 120); do
  curl -sf -o /dev/null http://127.0.0.1:5055/health && break
  kill -0 $actions 2>/dev/null || { echo "The action server stopped: see .run/actions.log" >&2; exit 1; }
  sleep 0.5
done
if [ "${1:-}" = "shell" ]; then
  exec_rasa=(.venv/bin/rasa shell --model models/signpost.tar.gz --endpoints endpoints.yml)
else
  cat <<'MSG'
Starting Signpost (it answers in under a minute)...
  The widget on a demo council page: http://127.0.0.1:5005/demo
  Talk to it:   curl -s localhost:5005/webhooks/rest/webhook -d '{"sender":"me","message":"debt advice in Southport"}'
  Or:           make shell
  Action server log: .run/actions.log
MSG
  exec_rasa=(.venv/bin/rasa run --interface 127.0.0.1 --port 5005 --model models/signpost.tar.gz
             --credentials credentials.yml --endpoints endpoints.yml --cors "http://127.0.0.1:5005")
fi
"${exec_rasa[@]}"
