#!/usr/bin/env bash
# What the browser tests need, installed when missing: Debian's Chromium (/usr/bin/chromium; Playwright
# cannot download its own browser here) and axe-core from the npm registry (.run/node/), which the tests
# inject into the page to check accessibility. Nothing is fetched when both are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests (log: .run/chromium-install.log)..." >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
         --no-install-recommends chromium; } > .run/chromium-install.log 2>&1; then
    tail -n 20 .run/chromium-install.log >&2
    echo "Could not install chromium: the browser tests will fail until /usr/bin/chromium exists." >&2
    exit 1
  fi
fi

if [ ! -f .run/node/node_modules/axe-core/axe.min.js ]; then
  echo "Installing axe-core from the npm registry into .run/node/ ..." >&2
  if ! npm install --prefix .run/node --no-audit --no-fund --loglevel=error axe-core@4 >&2; then
    echo "Could not install axe-core: the accessibility test will fail until it is in .run/node/." >&2
    exit 1
  fi
fi
