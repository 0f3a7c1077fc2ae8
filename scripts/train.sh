#!/usr/bin/env bash
# Train the Rasa model only when config/domain/data changed (fingerprint in models/).
set -euo pipefail
export RASA_TELEMETRY_ENABLED=false  # no network here; never phone home
cd "$(dirname "$0")/.."
fp=$(cat config.yml domain.yml $(find data -name '*.yml' | sort) | sha256sum | cut -c1-16)
if [ -f models/dental.tar.gz ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$fp" ]; then
    echo "==> model up to date (models/dental.tar.gz)" >&2
    exit 0
fi
echo "==> training the Rasa model (about 2 min on 2 cores; full log in models/train.log)" >&2
start=$(date +%s)
mkdir -p models
# Progress lines instead of a warning wall; pipefail keeps rasa's exit status.
PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=3 .venv-rasa/bin/rasa train --fixed-model-name dental \
    --out models 2>&1 | .venv/bin/python scripts/train_progress.py
echo "$fp" > models/.fingerprint
echo "==> model trained in $(( $(date +%s) - start )) s" >&2
