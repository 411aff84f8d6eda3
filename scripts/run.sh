#!/usr/bin/env bash
# Start Signpost on the embedded default (SQLite). Today that is the knowledge base and its command line;
# the Rasa assistant, action server, widget and advisor console join here as they are built.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/signpost kb stats | head -n 4
cat <<'MSG'

The knowledge base is ready (data/signpost.sqlite3). Try:
  .venv/bin/signpost kb search --need baby_toddler --near L20 --when tomorrow --age 2
  .venv/bin/signpost kb search debt advice --near Southport
MSG
