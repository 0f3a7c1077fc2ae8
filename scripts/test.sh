#!/usr/bin/env bash
# The whole suite: lint, types, import layers, model training (cached), then every test.
set -euo pipefail
export RASA_TELEMETRY_ENABLED=false  # no network here; never phone home
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
t0=$(date +%s)
echo "==> ruff, mypy, import-linter" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
scripts/train.sh
echo "==> pytest" >&2
# pytest exits 5 when it collected no test: treat that as failure (set -e does).
.venv/bin/pytest -p no:cacheprovider "$@"
echo "==> make test finished in $(( $(date +%s) - t0 )) s" >&2
