"""Start the whole stack once: embedded Postgres (migrated + seeded), action server, Rasa
server with the trained model, and the web app. Used by the e2e fixture and bench/bench_bot.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot import db
from chatbot.auth import Principal, issue_token
from chatbot.config import REPO_ROOT
from chatbot.seed import seed_demo

MODEL = REPO_ROOT / "models" / "dental.tar.gz"
PY = REPO_ROOT / ".venv" / "bin" / "python"
RASA = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """Base URLs of the running processes, the database URL and a token factory."""

    web_url: str
    rasa_url: str
    actions_url: str
    db_url: str
    secret: str
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def token(
        self, role: str = "patient", ident: int = 1, ttl_s: int = 3600, *, sub: str | None = None
    ) -> str:
        """A token for a seeded user; `sub` gives the conversation its own sender (Rasa keys
        trackers by sender), so tests sharing the stack never inherit each other's forms."""
        ids = {"patient": {"patient_id": ident}, "dentist": {"dentist_id": ident}}.get(role, {})
        sub = sub or (f"{role}-{ident}" if ids else role)
        return issue_token(self.secret, Principal(sub=sub, role=role, **ids), ttl_s)  # type: ignore[arg-type]

    def chat(self, message: str, token: str | None) -> list[dict[str, Any]]:
        """One turn through the web app's /api/chat gateway (as the browser widget does)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return list(post_json(f"{self.web_url}/api/chat", {"message": message}, headers))

    def rasa_rest(
        self, sender: str, message: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """One turn straight to Rasa's REST channel (what the gateway forwards)."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        return list(post_json(f"{self.rasa_url}/webhooks/rest/webhook", body))


def post_json(url: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        if _ready(url):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout_s} s:\n{log.read_text()[-4000:]}")


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _prepare_db(pg_dir: Path) -> str:
    url = db.start_embedded(pg_dir, shared=True)
    db.migrate(url)
    engine = db.make_engine(url, pool_size=1)
    with engine.begin() as conn:
        seed_demo(conn, dt.date.today())
    engine.dispose()
    return url


@contextlib.contextmanager
def running_stack(
    workdir: Path, secret: str = "e2e-secret-0123456789abcdefghijklmnop"
) -> Iterator[Stack]:
    """Start everything in `workdir` (Rasa needs ~40 s to load); stop it all on exit."""
    if not MODEL.exists():
        raise RuntimeError("no trained model: run scripts/train.sh")
    pg_dir, logs = workdir / "pg", workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    url = _prepare_db(pg_dir)
    web, rasa, actions = free_port(), free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions}/webhook"\n'
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: ${RASA_TRACKER_DB_URL}\n"
    )
    env = os.environ | {
        "DATABASE_URL": url,
        "RASA_TRACKER_DB_URL": url,
        "APP_JWT_SECRET": secret,
        "APP_PORT": str(web),
        "APP_HOST": "127.0.0.1",
        "RASA_URL": f"http://127.0.0.1:{rasa}",
        "ACTION_PORT": str(actions),
        "APP_DATA_DIR": str(workdir),
        "APP_DEV_MODE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(
        f"http://127.0.0.1:{web}",
        f"http://127.0.0.1:{rasa}",
        f"http://127.0.0.1:{actions}",
        url,
        secret,
        logs,
    )
    try:
        commands = {
            "actions": [str(PY), "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions)],
            "rasa": [
                str(RASA),
                "run",
                "--enable-api",
                "-i",
                "127.0.0.1",
                "-p",
                str(rasa),
                "--model",
                str(MODEL),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(REPO_ROOT / "credentials.yml"),
            ],
            "web": [str(PY), "-m", "sync"],
        }
        for name, cmd in commands.items():
            stack.procs.append(_spawn(cmd, env, logs / f"{name}.log"))
        checks = [
            (f"{stack.actions_url}/health", 60),
            (f"{stack.rasa_url}/status", 240),
            (f"{stack.web_url}/api/realtime/health", 60),
        ]
        for proc, (url_, timeout_s), name in zip(stack.procs, checks, commands, strict=True):
            _wait(url_, proc, logs / f"{name}.log", timeout_s)
        yield stack
    finally:
        for proc in stack.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
        for proc in stack.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        db.stop_embedded(pg_dir)
