"""Bot slot offers: the action server's POST /webhook round trip for a slot-offering action
(not a test). Starts `python -m actions.server` on a throw-away database (20 dentists, 5,000
appointments over the next 90 days) and times, one request at a time over one kept-alive
connection as Rasa makes them, `action_check_availability` for "is there a checkup next
<weekday> morning?" (the resolver, the search, the buttons). Once with the listener-fed slot
cache (warm after the first pass over the weekdays), once with ACTIONS_SLOT_CACHE=0 (every
search reads the database). Prints p50/p95/max in ms, and where the searches were served (the
server logs its counters when it stops). Target: warm p95 <= 20 ms.

    .venv/bin/python bench/bench_bot_slots.py [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench_slots import add_appointments
from common import ROOT, SECRET, free_port, machine, scratch_database, seed_clinic, summary

from chatbot.auth import Principal, issue_turn_token
from chatbot.db import make_engine

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"


def domain() -> dict[str, Any]:
    """domain.yml as Rasa 3.6 sends it with every action call (parsed by the Rasa venv)."""
    code = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
    out = subprocess.run(
        [str(RASA_PY), "-c", code, str(ROOT / "domain.yml")],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout))


def call(text: str, dom: dict[str, Any], token: str, sender: str) -> bytes:
    """The body Rasa posts to run `action_check_availability` after this user message."""
    latest = {
        "text": text,
        "intent": {"name": "check_availability", "confidence": 0.98},
        "entities": [{"entity": "treatment", "value": "checkup"}],
        "metadata": {"token": token},
    }
    slots = {name: None for name in dom["slots"]} | {"treatment": "checkup"}
    tracker = {
        "sender_id": sender,
        "slots": slots,
        "latest_message": latest,
        "events": [
            {"event": "action", "name": "action_session_start"},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": latest},
            {"event": "slot", "name": "treatment", "value": "checkup"},
        ],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    body = {
        "next_action": "action_check_availability",
        "sender_id": sender,
        "tracker": tracker,
        "domain": dom,
        "version": "3.6.21",
    }
    return json.dumps(body).encode()


def run_server(url: str, port: int, cache: bool, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": url,
        "APP_JWT_SECRET": SECRET,
        "ACTION_PORT": str(port),
        "ACTIONS_SLOT_CACHE": "1" if cache else "0",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "actions.server"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"action server did not start:\n{log.read_text()[-2000:]}")


def timed_calls(port: int, bodies: list[bytes], warmup: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: list[float] = []
    for i, body in enumerate(bodies):
        started = time.perf_counter()
        conn.request("POST", "/webhook", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        answer = json.loads(resp.read())
        elapsed = (time.perf_counter() - started) * 1000
        buttons = [b for m in answer["responses"] for b in m.get("buttons") or []]
        if resp.status != 200 or not buttons:
            raise SystemExit(f"unexpected answer: {resp.status} {str(answer)[:400]}")
        if i >= warmup:
            times.append(elapsed)
    conn.close()
    return times


def searches(log: Path) -> Any:
    for raw in log.read_text().splitlines():
        if "slot cache listener stopped" in raw:
            return json.loads(raw)["searches"]
    return "database only (no cache)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--dentists", type=int, default=20)
    parser.add_argument("--appointments", type=int, default=5000)
    args = parser.parse_args()
    dom = domain()
    token = issue_turn_token(SECRET, Principal(sub="patient-1", role="patient", patient_id=1))
    bodies = [
        call(f"is there a checkup next {DAYS[i % 5]} morning?", dom, token, f"bench-{i}")
        for i in range(args.requests + len(DAYS))
    ]
    print(f"# {args.dentists} dentists, {args.appointments} appointments, {machine()}")
    with scratch_database("bench_bot_slots") as url, tempfile.TemporaryDirectory() as tmp:
        seed_clinic(url, args.dentists, 200)
        engine = make_engine(url)
        add_appointments(engine, args.appointments, args.dentists)
        engine.dispose()
        for cache in (True, False):
            log = Path(tmp) / f"actions-{cache}.log"
            port = free_port()
            proc = run_server(url, port, cache, log)
            try:
                times = timed_calls(port, bodies, warmup=len(DAYS))
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=30)
            name = "webhook round trip, " + ("warm cache" if cache else "no cache (database)")
            print(summary(name, times) + f"  searches: {searches(log)}")


if __name__ == "__main__":
    main()
