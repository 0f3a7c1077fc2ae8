"""Where one chat turn's time goes inside Rasa (run with Rasa's Python, not a test).

Loads the trained model with the project's endpoints.yml (SQL tracker store, action server)
in this process, then runs turns through `Agent.handle_message`, as the REST channel does,
with timers around each stage and cProfile over the whole turn. Needs a running action
server and database: bench/bench_turn_profile.py starts them and calls this script.

    env RASA_TRACKER_DB_URL=... ACTION_PORT=... TURN_TOKEN=... \
        .venv-rasa/bin/python bench/profile_turn.py [turns]
"""

from __future__ import annotations

import asyncio
import cProfile
import functools
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # rasa_ext, as `rasa run` sees it

from rasa.core.actions.action import RemoteAction
from rasa.core.agent import load_agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.processor import MessageProcessor
from rasa.core.utils import read_endpoints_from_path
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.log_utils import configure_structlog

from rasa_ext.tracker_store import TokenFreeSQLTrackerStore

TURNS = ["hi", "what are your opening hours?", "book a checkup next wednesday morning", "stop"]
spent: dict[str, float] = defaultdict(float)


def _timed(owner: Any, name: str, stage: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    if asyncio.iscoroutinefunction(original):

        @functools.wraps(original)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                spent[stage] += time.perf_counter() - started

    else:

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[stage] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def _instrument() -> None:
    _timed(MessageProcessor, "parse_message", "NLU (parse_message)")
    _timed(MessageProcessor, "_predict_next_with_tracker", "policies (predict next action)")
    _timed(TokenFreeSQLTrackerStore, "retrieve", "tracker store read")
    _timed(TokenFreeSQLTrackerStore, "save", "tracker store write")
    _timed(RemoteAction, "run", "custom actions (HTTP round trip incl. action server)")
    original_lock = InMemoryLockStore.lock

    def lock(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        spent["lock store (issue ticket)"] += time.perf_counter() - started
        return original_lock(self, *args, **kwargs)

    InMemoryLockStore.lock = lock  # type: ignore[method-assign]


def _engine(agent: Any) -> Any:
    store = agent.tracker_store
    while hasattr(store, "_tracker_store"):  # Rasa's fail-safe / awaitable wrappers
        store = store._tracker_store
    return store.engine


COPY = (
    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
    " SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events,"
    " generate_series(1, :n) g WHERE sender_id = :s AND id > :a ORDER BY g, id"
)


def _copy_turn(agent: Any, sender: str, after_id: int, total: int) -> None:
    """Repeat `sender`'s events after `after_id` in the events table up to `total` events."""
    import sqlalchemy as sa

    engine = _engine(agent)
    with engine.begin() as conn:
        have = conn.execute(
            sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar()
        per = conn.execute(
            sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND id > :a"),
            {"s": sender, "a": after_id},
        ).scalar()
        conn.execute(
            sa.text(COPY),
            {"n": max(0, -(-(total - have) // per)), "s": sender, "a": after_id},
        )


async def long_versus_short(agent: Any, turn: Any, events: int) -> None:
    """The same question in fresh conversations and in one `events` long, stage by stage."""
    import sqlalchemy as sa

    engine = _engine(agent)
    question = "what are your opening hours?"
    await turn("profile-long", "hi")
    with engine.connect() as conn:
        last = conn.execute(sa.text("SELECT max(id) FROM events")).scalar()
    await turn("profile-long", question)
    _copy_turn(agent, "profile-long", last, events)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE events"))  # what autovacuum does after a bulk insert
    for label, senders in (
        ("10 events", [f"profile-short-{i}" for i in range(10)]),
        (f"{events} events", ["profile-long"] * 10),
    ):
        for sender in senders:
            if sender != "profile-long":
                await turn(sender, "hi")
        spent.clear()
        took = [await turn(sender, question) for sender in senders]
        print(
            json.dumps(
                {"conversation": label, "p50_turn_ms": round(1000 * statistics.median(took), 1)}
            )
        )
        for stage, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {stage:<58} {1000 * seconds / len(took):7.1f} ms/turn")


async def main(turns: int) -> None:
    configure_logging_and_warnings(None, None, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(None)  # what `rasa run` without --debug sets up
    endpoints = read_endpoints_from_path("endpoints.yml")
    agent = await load_agent("models/dental.tar.gz", endpoints=endpoints)
    token = os.environ["TURN_TOKEN"]
    meta = {"token": token, "role": "patient", "patient_id": 1}
    _instrument()

    async def turn(sender: str, text: str) -> float:
        started = time.perf_counter()
        message = UserMessage(text, CollectingOutputChannel(), sender, metadata=meta)
        await agent.handle_message(message)
        return time.perf_counter() - started

    for text in TURNS:  # warm up: TensorFlow graphs, connections
        await turn("profile-warmup", text)
    if os.environ.get("PROFILE_LONG"):
        await long_versus_short(agent, turn, int(os.environ["PROFILE_LONG"]))
        return
    spent.clear()
    totals: list[float] = []
    profile = cProfile.Profile()
    profile.enable()
    for i in range(turns):
        totals.append(await turn(f"profile-{i // len(TURNS)}", TURNS[i % len(TURNS)]))
    profile.disable()
    total = sum(totals)
    print(
        json.dumps(
            {
                "turns": turns,
                "mean_turn_ms": round(1000 * total / turns, 1),
                "p50_turn_ms": round(1000 * statistics.median(totals), 1),
            }
        )
    )
    for stage, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{stage:<58} {1000 * seconds / turns:7.1f} ms/turn  {100 * seconds / total:5.1f} %")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(35)
    print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40))
