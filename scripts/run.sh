#!/usr/bin/env bash
# Start everything on the embedded DB (or DATABASE_URL): Postgres, Rasa, actions, web app.
# Every server listens on 127.0.0.1 only (APP_HOST / ACTIONS_HOST to change the web app's or
# the action server's; Rasa's is fixed). The demo sign-in is on here, and only here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false
export APP_DEV_MODE="${APP_DEV_MODE:-1}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:${RASA_PORT:-5005}}"
external_db=${DATABASE_URL:-}
eval "$(.venv/bin/python -m chatbot.cli db-up --export)"
stop_db() {  # stop the embedded server we started (never an external DATABASE_URL)
    [ -n "$external_db" ] || DATABASE_URL="" .venv/bin/python -m chatbot.cli db-down || true
}
# Rasa's SQL tracker store (endpoints.yml) uses psycopg2 on the same server: plain libpq URL.
RASA_TRACKER_DB_URL=$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#')
export RASA_TRACKER_DB_URL
trap stop_db EXIT
port=${APP_PORT:-8080}
cat >&2 <<MSG

  Patient chat    http://localhost:${port}/
  Dentist page    http://localhost:${port}/dentist
  Admin dashboard http://localhost:${port}/admin
  Health          http://localhost:${port}/api/realtime/health
  Demo sign-in    http://localhost:${port}/login   (APP_DEV_MODE=${APP_DEV_MODE})
  Rasa (local)    http://127.0.0.1:${RASA_PORT:-5005} (REST channel only)   actions: 127.0.0.1:${ACTION_PORT:-5055}
  Token for curl  make token ROLE=admin

  Pages and REST work at once; the chat says "starting" while Rasa trains (if the data
  changed: progress below) and loads its model (~15-30 s). Ctrl-C stops everything.

MSG
.venv/bin/python scripts/ready.py "http://localhost:${port}" "http://127.0.0.1:${ACTION_PORT:-5055}" \
    "http://127.0.0.1:${RASA_PORT:-5005}" &
.venv/bin/honcho -f Procfile start
