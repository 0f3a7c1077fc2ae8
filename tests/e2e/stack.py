"""Start the whole stack once: embedded Postgres (migrated + seeded), action server, Rasa
server with the trained model, and the web app. Used by the e2e fixture and bench/bench_bot.py.

The three servers run the Procfile's own command lines (what `make run` starts through honcho),
with free ports and a throw-away database in the environment, and no host setting: what the
tests see, including which addresses the processes listen on, is what `make run` does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
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

import psycopg

from chatbot import db
from chatbot.auth import Principal, issue_token, issue_turn_token
from chatbot.config import REPO_ROOT
from chatbot.seed import seed_demo

MODEL = REPO_ROOT / "models" / "dental.tar.gz"
PROCFILE = REPO_ROOT / "Procfile"


def procfile() -> dict[str, str]:
    """name -> command line of every process `make run` starts (honcho runs each with sh -c)."""
    commands = {}
    for line in PROCFILE.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not line.lstrip().startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


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
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def principal(self, role: str, ident: int, sub: str | None) -> Principal:
        ids = {"patient": {"patient_id": ident}, "dentist": {"dentist_id": ident}}.get(role, {})
        sub = sub or (f"{role}-{ident}" if ids else role)
        return Principal(sub=sub, role=role, **ids)  # type: ignore[arg-type]

    def token(
        self, role: str = "patient", ident: int = 1, ttl_s: int = 3600, *, sub: str | None = None
    ) -> str:
        """A web token for a seeded user; `sub` gives the conversation its own sender (Rasa
        keys trackers by sender), so tests sharing the stack never inherit each other's forms."""
        return issue_token(self.secret, self.principal(role, ident, sub), ttl_s)

    def turn_token(self, role: str = "patient", ident: int = 1, *, sub: str | None = None) -> str:
        """What the chat gateway puts in the metadata (`aud=actions`): for `rasa_rest`."""
        return issue_turn_token(self.secret, self.principal(role, ident, sub))

    def chat(self, message: str, token: str | None) -> list[dict[str, Any]]:
        """One turn through the web app's /api/chat gateway, as the browser widget sends it: a
        busy answer (503 or 429 with Retry-After: the gateway sheds load on a slow machine) is
        retried after the time it asks for, for up to a minute."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        deadline = time.monotonic() + 60
        while True:
            try:
                return list(post_json(f"{self.web_url}/api/chat", {"message": message}, headers))
            except urllib.error.HTTPError as err:
                retry = err.headers.get("Retry-After") if err.code in (429, 503) else None
                if retry is None or time.monotonic() > deadline:
                    raise
                time.sleep(min(float(retry), 5.0))

    def last_event_id(self) -> int:
        with psycopg.connect(db.libpq_url(self.db_url)) as conn:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def repeat_events(self, sender: str, after_id: int, total: int) -> int:
        """Append copies of `sender`'s events with id > `after_id` (a turn or a few) until the
        conversation has `total` events, as if those turns had been repeated; the count."""
        query = (
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " SELECT sender_id, type_name, timestamp, intent_name, action_name, data"
            " FROM events, generate_series(1, %(times)s) g WHERE sender_id = %(s)s"
            " AND id > %(after)s ORDER BY g, id"
        )
        count = "SELECT count(*) FROM events WHERE sender_id = %(s)s"
        with psycopg.connect(db.libpq_url(self.db_url), autocommit=True) as conn:
            have = int(conn.execute(count, {"s": sender}).fetchone()[0])
            turn = int(
                conn.execute(
                    count + " AND id > %(after)s", {"s": sender, "after": after_id}
                ).fetchone()[0]
            )
            times = max(0, -(-(total - have) // turn))
            conn.execute(query, {"times": times, "s": sender, "after": after_id})
            conn.execute("ANALYZE events")  # what autovacuum does after a bulk insert
            return int(conn.execute(count, {"s": sender}).fetchone()[0])

    def rasa_rest(
        self, sender: str, message: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """One turn straight to Rasa's REST channel (what the gateway forwards)."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        return list(post_json(f"{self.rasa_url}/webhooks/rest/webhook", body))


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = {pid}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _hex_address(raw: str) -> str:
    """/proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) order."""
    words = bytes.fromhex(raw)
    packed = b"".join(words[i : i + 4][::-1] for i in range(0, len(words), 4))
    return str(ipaddress.ip_address(packed))


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket of `pid` and its descendants (Linux)."""
    inodes: set[str] = set()
    for each in _descendants(pid):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{each}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                address, port = cols[1].split(":")
                found.add((_hex_address(address), int(port, 16)))
    return found


def reply_texts(replies: list[dict[str, Any]]) -> str:
    """The bot's replies as one text."""
    return "\n".join(r.get("text") or "" for r in replies)


def button_payloads(replies: list[dict[str, Any]], prefix: str) -> list[str]:
    """Payloads of the buttons offered, those starting with `prefix`."""
    buttons = [b for r in replies for b in r.get("buttons") or []]
    return [b["payload"] for b in buttons if b["payload"].startswith(prefix)]


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


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        if _ready(url):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout_s} s:\n{log.read_text()[-4000:]}")


def spawn(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _rasa_name(index: int) -> str:
    return "rasa" if index == 0 else f"rasa{index}"


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
    workdir: Path, secret: str = "e2e-secret-0123456789abcdefghijklmnop", rasa_processes: int = 1
) -> Iterator[Stack]:
    """Start everything in `workdir` (Rasa needs ~40 s to load); stop it all on exit. With
    `rasa_processes` > 1 the web app spreads turns over that many Rasa servers (RASA_URL)."""
    if not MODEL.exists():
        raise RuntimeError("no trained model: run scripts/train.sh")
    pg_dir, logs = workdir / "pg", workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    url = _prepare_db(pg_dir)
    web, actions = free_port(), free_port()
    rasa_ports = [free_port() for _ in range(rasa_processes)]
    rasa = rasa_ports[0]
    env = {k: v for k, v in os.environ.items() if k not in ("APP_HOST", "ACTIONS_HOST")} | {
        "DATABASE_URL": url,
        "RASA_TRACKER_DB_URL": url,
        "APP_JWT_SECRET": secret,
        "APP_PORT": str(web),
        "RASA_PORT": str(rasa),
        "RASA_URL": ",".join(f"http://127.0.0.1:{port}" for port in rasa_ports),
        "ACTION_PORT": str(actions),
        "APP_DATA_DIR": str(workdir),
        "APP_DEV_MODE": "1",  # as scripts/run.sh sets it
        # Reminders: a 30-day lead, so every booking the tests make is "booked inside the
        # window" and never reminded, except the ones tests/e2e/test_reminder_replies_e2e.py
        # backdates on purpose; polled twice a second so that test need not wait.
        "APP_REMINDER_LEAD_H": "720",
        "APP_REMINDER_POLL_S": "0.5",
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
    ready = {  # Rasa without --enable-api only has its root route ("Hello from Rasa")
        "actions": (f"{stack.actions_url}/health", 60),
        **{_rasa_name(i): (f"http://127.0.0.1:{port}/", 240) for i, port in enumerate(rasa_ports)},
        "web": (f"{stack.web_url}/api/realtime/health", 60),
    }
    try:
        commands = procfile()
        for i, port in enumerate(rasa_ports):
            name, env_of = _rasa_name(i), env | {"RASA_PORT": str(port)}
            stack.procs[name] = spawn(commands["rasa"], env_of, logs / f"{name}.log")
        for name in ("actions", "web"):
            stack.procs[name] = spawn(commands[name], env, logs / f"{name}.log")
        for name, (url_, timeout_s) in ready.items():
            wait_ready(url_, stack.procs[name], logs / f"{name}.log", timeout_s)
        yield stack
    finally:
        for proc in stack.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
        for proc in stack.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        db.stop_embedded(pg_dir)
