"""Profile one chat turn inside Rasa (not a test): starts the stack (PostgreSQL, action server,
Rasa, web app), then runs bench/profile_turn.py with Rasa's Python against the same database
and action server; it prints milliseconds per turn for each stage and cProfile's top entries.

    .venv/bin/python bench/bench_turn_profile.py [--turns 40] [--window 120]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from stack import running_stack

from chatbot.auth import Principal, issue_turn_token
from chatbot.config import REPO_ROOT
from chatbot.db import libpq_url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--window", type=int, default=None, help="RASA_TRACKER_WINDOW_EVENTS")
    parser.add_argument("--long", type=int, default=0, help="compare a turn at this many events")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        patient = Principal(sub="profile", role="patient", patient_id=1)
        env = os.environ | {
            "RASA_TRACKER_DB_URL": libpq_url(stack.db_url),
            "ACTION_PORT": stack.actions_url.rsplit(":", 1)[1],
            "TURN_TOKEN": issue_turn_token(stack.secret, patient, ttl_s=3600),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONWARNINGS": "ignore",
        }
        if args.long:
            env["PROFILE_LONG"] = str(args.long)
        if args.window is not None:
            env["RASA_TRACKER_WINDOW_EVENTS"] = str(args.window)
        python = str(REPO_ROOT / ".venv-rasa" / "bin" / "python")
        script = str(REPO_ROOT / "bench" / "profile_turn.py")
        subprocess.run([python, script, str(args.turns)], cwd=REPO_ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
