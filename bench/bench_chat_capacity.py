"""Chat capacity through /api/chat on the real stack (not a test): PostgreSQL, action server,
1 or 2 Rasa processes, web app, each simulated patient its own conversation.

- long: the same question in a conversation of ~10 events and in one of `--long` events
  (a real turn's events repeated in the events table); median per-turn latency and the ratio.
- load: `--users` conversations, each sending its next message as soon as the last one is
  answered (closed loop, no think time); a 503 is retried after its Retry-After, as the chat
  widget does. Replies/s, p50/p95 of answered turns, 503s.
- overload: `--overload` times as many conversations; how many answers (reply or 503) took
  longer than 1 s, and whether any refused turn was processed anyway: the user messages Rasa
  stored must equal the replies the clients got.

    .venv/bin/python bench/bench_chat_capacity.py [--rasa 2] [--users 10] [--seconds 40]
        [--overload 3] [--long 5000] [--window 120]   # --window 0: Rasa's whole-session read
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from common import pct
from stack import Stack, running_stack

from chatbot.db import libpq_url

SCRIPT = [
    "hi",
    "what are your opening hours?",
    "how much does a cleaning cost?",
    "book a checkup next wednesday morning",
    "stop",
]
FAQ = "what are your opening hours?"


@dataclass
class Run:
    latencies_ok: list[float] = field(default_factory=list)
    latencies_all: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


async def _send(http: aiohttp.ClientSession, stack: Stack, token: str, text: str) -> tuple:
    started = time.perf_counter()
    async with http.post(
        f"{stack.web_url}/api/chat",
        json={"message": text},
        headers={"Authorization": f"Bearer {token}"},
    ) as resp:
        await resp.read()
        return resp.status, time.perf_counter() - started, resp.headers.get("Retry-After")


async def _patient(stack: Stack, http: aiohttp.ClientSession, sub: str, until: float, run: Run):
    token = stack.token("patient", 1, sub=sub)
    turn = 0
    while time.perf_counter() < until:
        status, took, retry_after = await _send(http, stack, token, SCRIPT[turn % len(SCRIPT)])
        run.statuses[status] += 1
        run.latencies_all.append(took)
        if status == 200:
            run.latencies_ok.append(took)
            turn += 1
        else:
            await asyncio.sleep(float(retry_after or 1))


async def load(stack: Stack, users: int, seconds: float, tag: str) -> dict[str, object]:
    run = Run()
    senders = [f"cap-{tag}-{i}-{time.time_ns()}" for i in range(users)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(_patient(stack, http, s, until, run) for s in senders))
        elapsed = time.perf_counter() - started
    stored = _user_events(stack, senders)
    ok = run.latencies_ok
    return {
        "phase": tag,
        "conversations": users,
        "seconds": round(elapsed, 1),
        "replies_per_s": round(len(ok) / elapsed, 2),
        "p50_ms": round(1000 * statistics.median(ok), 1) if ok else None,
        "p95_ms": round(1000 * pct(ok, 95), 1) if ok else None,
        "statuses": dict(run.statuses),
        "answers_over_1s": sum(1 for t in run.latencies_all if t > 1.0),
        "max_answer_ms": round(1000 * max(run.latencies_all), 1),
        "turns_processed_minus_replies": stored - len(ok),
    }


def _user_events(stack: Stack, senders: list[str]) -> int:
    with psycopg.connect(libpq_url(stack.db_url)) as conn:
        query = "SELECT count(*) FROM events WHERE type_name = 'user' AND sender_id = ANY(%s)"
        return int(conn.execute(query, (senders,)).fetchone()[0])


def long_session(stack: Stack, events: int, samples: int) -> dict[str, object]:
    long_sub = f"cap-long-{time.time_ns()}"
    long_token = stack.token(sub=long_sub)
    stack.chat("hi", long_token)
    before = stack.last_event_id()
    stack.chat(FAQ, long_token)
    have = stack.repeat_events(long_sub, before, events)
    short_ms, long_ms = [], []
    for i in range(samples + 1):
        token = stack.token(sub=f"cap-short-{i}-{time.time_ns()}")
        stack.chat("hi", token)  # a fresh conversation: ~10 events before the timed turn
        for sink, tok in ((short_ms, token), (long_ms, long_token)):
            started = time.perf_counter()
            stack.chat(FAQ, tok)
            if i:  # the first round warms caches
                sink.append(1000 * (time.perf_counter() - started))
        time.sleep(0.5)  # stay under the per-user chat rate limit
    short, long_ = statistics.median(short_ms), statistics.median(long_ms)
    return {
        "phase": "long session",
        "events": have,
        "samples": samples,
        "p50_ms_10_events": round(short, 1),
        "p50_ms_long": round(long_, 1),
        "ratio": round(long_ / short, 2),
    }


def _load() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa", type=int, default=1, help="Rasa processes")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--overload", type=float, default=3)
    parser.add_argument("--long", type=int, default=5000, help="events; 0 skips")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--window", type=int, default=None, help="RASA_TRACKER_WINDOW_EVENTS")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    if args.window is not None:
        os.environ["RASA_TRACKER_WINDOW_EVENTS"] = str(args.window)
    print(json.dumps({"rasa_processes": args.rasa, "load_before": _load(), "cpus": os.cpu_count()}))
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_stack(Path(tmp), rasa_processes=args.rasa) as stack,
    ):
        if args.long:
            print(json.dumps(long_session(stack, args.long, args.samples)), flush=True)
        if not args.skip_load:
            print(json.dumps(asyncio.run(load(stack, args.users, args.seconds, "load"))))
            over = round(args.users * args.overload)
            print(json.dumps(asyncio.run(load(stack, over, args.seconds, "overload"))))
    print(json.dumps({"load_after": _load()}))


if __name__ == "__main__":
    main()
