#!/usr/bin/env bash
# Set up and open JupyterLab on the quickstart notebook (the bundled sample corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e ".[dev]"
args=()
if [ "$(id -u)" = 0 ]; then args+=(--allow-root); fi
exec python3 -m jupyter lab "${args[@]}" "$@" examples/quickstart.ipynb
