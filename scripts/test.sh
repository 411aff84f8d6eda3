#!/usr/bin/env bash
# Run every test. The PostgreSQL half of the knowledge-base suite runs on a private server this script
# starts (installing Debian's package if needed); if that cannot be done, those tests say so and skip.
set -uo pipefail
cd "$(dirname "$0")/.."
if url="$(scripts/postgres.sh start)"; then
  export SIGNPOST_TEST_POSTGRES_URL="$url"
  trap 'scripts/postgres.sh stop' EXIT  # the server is only for the tests: do not leave it running
else
  echo "PostgreSQL could not be started: its tests will be skipped" >&2
fi
# Chromium and axe-core for the widget's browser tests (tests/browser/); without them those tests fail
# and say why.
scripts/browser.sh || echo "Browser tools could not be installed: the browser tests will fail" >&2
.venv/bin/python -m pytest "$@"
