"""Running Python in Rasa's own virtualenv (.venv-rasa, Python 3.10) from the app's tests."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from chatbot.config import REPO_ROOT

RASA_PY = REPO_ROOT / ".venv-rasa" / "bin" / "python"
RASA = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
# A clean environment: nothing of the test process (tokens, DATABASE_URL) leaks into Rasa.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false", "HOME": "/tmp"}


def rasa_python_json(*args: str, timeout: int = 240, **env: str) -> Any:
    """Run `.venv-rasa/bin/python ARGS...` in the repository root and return the JSON its last
    stdout line holds (Rasa's own logging may print before it)."""
    done = subprocess.run(
        [str(RASA_PY), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=CLEAN_ENV | {"TF_CPP_MIN_LOG_LEVEL": "3"} | env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run the `rasa` CLI in the repository root (output captured, telemetry off)."""
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [str(RASA), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )
