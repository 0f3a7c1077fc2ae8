"""The real action server process (its Procfile command line) starts its slot cache with the
server, offers through POST /webhook what the database says even right after a write no
service of it made, and stops cleanly."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from bot_support import SECRET, bot_db, domain, next_weekday, tracker  # noqa: F401
from e2e.stack import free_port, procfile, wait_ready
from sqlalchemy import Engine, text

from actions import context
from chatbot.config import REPO_ROOT


class Server(NamedTuple):
    url: str
    log: Path
    proc: subprocess.Popen[bytes]


@pytest.fixture
def server(seeded_engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Server]:
    """A running action server on the seeded database."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": db_url,
        "APP_JWT_SECRET": SECRET,
        "APP_DATA_DIR": str(tmp_path),
        "ACTION_PORT": str(port),
        "APP_POLL_INTERVAL_S": "0.5",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "actions.log"
    with log.open("wb") as out:  # the Procfile's command without a shell: signals reach it
        proc = subprocess.Popen(
            shlex.split(procfile()["actions"]),
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", proc, log, 90)
        yield Server(f"http://127.0.0.1:{port}/webhook", log, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)


def offers(url: str, day: dt.date) -> list[str]:
    """ "Anything free <day> with dentist 1?" as Rasa would ask the action server."""
    trk = tracker("anything free then?", "check_availability", slots={"dentist": "1"})
    start = dt.datetime.combine(day, dt.time(), context.clinic().tz)
    trk.slots["when"] = context.encode_window(start, start + dt.timedelta(days=1))
    body = {
        "next_action": "action_check_availability",
        "sender_id": "slot-cache-test",
        "tracker": trk.current_state(),
        "domain": domain(),
        "version": "3.6.21",
    }
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        answer: dict[str, Any] = json.loads(resp.read())
    values = [e["value"] for e in answer["events"] if e.get("name") == "offered_slots"]
    return list(values[0] or [])


def log_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in log.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            lines.append({"msg": raw})
    return lines


def test_the_action_server_offers_from_its_own_listener_fed_cache(
    server: Server, seeded_engine: Engine
) -> None:
    started = [e for e in log_lines(server.log) if e["msg"] == "slot cache listener started"]
    assert started and started[0]["connected"] is True
    day = next_weekday(3, 9).date()
    first = offers(server.url, day)
    assert first
    taken = first[0].split("|")[1]
    with seeded_engine.begin() as conn:  # a booking this process knows nothing about
        conn.execute(
            text(
                "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                " ends_at, blocks_until, status) SELECT 1, 2, t.id, :s, :s + interval '30 min',"
                " :s + interval '40 min', 'scheduled' FROM treatment t WHERE t.code = 'checkup'"
            ),
            {"s": dt.datetime.fromisoformat(taken)},
        )
    second = offers(server.url, day)
    assert second and first[0] not in second


def test_the_action_server_stops_its_listener_cleanly(server: Server) -> None:
    assert offers(server.url, next_weekday(4, 9).date())
    server.proc.send_signal(signal.SIGINT)  # what Ctrl-C in `make run` sends
    assert server.proc.wait(timeout=20) == 0
    lines = log_lines(server.log)
    stopped = [e for e in lines if e["msg"] == "slot cache listener stopped"]
    assert stopped and stopped[0]["searches"] == {"cached": 1}
    assert not [e for e in lines if e.get("level") in ("error", "critical") or "exc" in e]
