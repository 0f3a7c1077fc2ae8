#!/usr/bin/env bash
# The Rasa process of `make run`: train first if the data changed (progress goes to the terminal
# and to models/.progress.json, which the chat widget shows), then serve the REST channel on
# 127.0.0.1 only. The web app and the action server do not wait for this: pages work at once
# and /api/chat answers 503 "starting" with Retry-After until Rasa has loaded its model.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=3
export ACTION_PORT="${ACTION_PORT:-5055}"
scripts/train.sh
# Rasa resets Python's warning filters, so third-party DeprecationWarnings (TensorFlow, Keras,
# matplotlib, pkg_resources: a dozen lines at every start) are dropped from its stderr here;
# everything else, including Rasa's own log lines and errors, passes through unchanged.
exec .venv-rasa/bin/rasa run -i 127.0.0.1 -p "${RASA_PORT:-5005}" --model models/dental.tar.gz \
    --endpoints endpoints.yml --credentials credentials.yml \
    2> >(awk '/\.py:[0-9]+: [A-Za-z]*Warning: /{skip=1; next} skip && /^  /{next}
              {skip=0; print; fflush()}' >&2)
