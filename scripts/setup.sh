#!/usr/bin/env bash
# Idempotent install of everything the project needs: two virtualenvs and Debian packages.
# Skips each step that is already done (stamps hold a hash of the requirement files).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*" >&2; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

apt_install() {  # apt_install PKG... : install missing Debian packages (needs root or sudo)
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing Debian packages: ${missing[*]} (about a minute)"
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

find_py310() {
    local cand
    for cand in "${PY310:-}" "$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python" \
                $(ls -d "$(pyenv root 2>/dev/null)"/versions/3.10.*/bin/python 2>/dev/null) \
                "$(command -v python3.10 || true)"; do
        [ -n "$cand" ] && [ -x "$cand" ] && { echo "$cand"; return 0; }
    done
    .venv/bin/uv python install 3.10 >&2 && .venv/bin/uv python find 3.10
}

# 1. App virtualenv (Python 3.11): chatbot, actions, sync, tests.
if [ ! -x .venv/bin/python ]; then
    say "creating .venv (Python 3.11)"
    "${PY311:-python3.11}" -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
[ -x .venv/bin/uv ] || .venv/bin/python -m pip install -q uv
want=$(hash_of pyproject.toml)
if [ "$(cat .venv/.stamp 2>/dev/null)" != "$want" ]; then
    say "installing app dependencies into .venv (~30 s)"
    .venv/bin/uv pip install -q --python .venv/bin/python -e '.[dev]'
    echo "$want" > .venv/.stamp
fi

# 2. Rasa virtualenv (Python 3.10, rasa 3.6).
want=$(hash_of requirements-rasa.txt)
if [ "$(cat .venv-rasa/.stamp 2>/dev/null)" != "$want" ]; then
    if [ ! -x .venv-rasa/bin/python ]; then
        py310=$(find_py310)
        say "creating .venv-rasa with $py310"
        "$py310" -m venv .venv-rasa
    fi
    say "installing Rasa into .venv-rasa (~2.5 GB, 20-80 s)"
    .venv/bin/uv pip install -q --python .venv-rasa/bin/python -r requirements-rasa.txt
    echo "$want" > .venv-rasa/.stamp
fi

# 3. Debian packages: Chromium for the browser tests. A real PostgreSQL server and Redis (the
#    scale-out setup of docs/scaling.md) only on request: SETUP_SCALE_OUT=1.
if [ "${SETUP_SYSTEM:-1}" = "1" ]; then
    apt_install chromium fonts-dejavu-core faketime  # faketime: the shifted-clock test run
    if [ "${SETUP_SCALE_OUT:-0}" = "1" ]; then apt_install postgresql redis-server; fi
fi

# 4. Local secret for JWTs (kept out of git in .env).
.venv/bin/python -c "from chatbot.config import ensure_jwt_secret; ensure_jwt_secret()"
say "setup complete"
