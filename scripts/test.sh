#!/usr/bin/env bash
# Set up everything (Python package + dev tools, Debian chromium, the JS bundle) and run the whole
# test suite.  Extra arguments go to pytest, e.g. `bash scripts/test.sh -k roundtrip`.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e ".[dev]"

# Browser tests drive Debian's chromium (playwright's own browser download does not work offline).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium missing and not root: browser tests will be skipped" >&2
  fi
fi

# The JS bundle is committed (pip install works without Node); rebuild it from the lock file and,
# in CI, fail if the committed bundle is stale.
if command -v npm >/dev/null; then
  (cd js && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
  if [ "${CI:-}" = "true" ]; then
    git diff --exit-code --stat -- bio_explorer/static \
      || { echo "bio_explorer/static is stale: run 'cd js && npm run build' and commit" >&2; exit 1; }
  fi
fi

python3 -m ruff check .
python3 -m pytest -q -p no:cacheprovider "$@"
