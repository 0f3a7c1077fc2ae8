"""Nothing lost, nothing repeated: listener backend killed, client reconnects, live joins."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sync_support import auth, recv, settings, take

from chatbot.db import libpq_url
from sync.app import create_app
from sync.keys import LISTENER


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    app = create_app(settings(poll_interval_s=30.0), engine=seeded_engine, db_url=db_url)
    return await aiohttp_client(app)


def write_handoffs(
    db_url: str,
    n: int,
    *,
    pause_after: int | None = None,
    paused: threading.Event | None = None,
    resume: threading.Event | None = None,
) -> None:
    """n committed transactions, each emitting one handoff.requested event."""
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        for i in range(n):
            if pause_after is not None and i == pause_after:
                assert paused is not None and resume is not None
                paused.set()
                assert resume.wait(10)
            conn.execute(
                "INSERT INTO handoff_request (patient_id, sender, reason) VALUES (1, 'w', %s)",
                (str(i),),
            )


def outbox_ids(db_url: str, after: int) -> list[int]:
    with psycopg.connect(libpq_url(db_url)) as conn:
        rows = conn.execute("SELECT id FROM sync_event WHERE id > %s ORDER BY id", (after,))
        return [r[0] for r in rows]


async def _admin_socket(client: Any, since: int | None = None) -> tuple[Any, int]:
    q = "" if since is None else f"?since={since}"
    ws = await client.ws_connect(f"/ws{q}", headers=auth("admin"))
    snap = await recv(ws)
    assert snap["type"] == "snapshot"
    return ws, int(snap["last_id"])


async def test_killing_the_listener_backend_loses_and_repeats_nothing(
    client: Any, db_url: str
) -> None:
    listener = client.app[LISTENER]
    ws, snapshot = await _admin_socket(client)
    paused, resume = threading.Event(), threading.Event()
    writer = asyncio.create_task(
        asyncio.to_thread(
            write_handoffs, db_url, 500, pause_after=250, paused=paused, resume=resume
        )
    )
    first = await take(ws, 100)
    assert await asyncio.to_thread(paused.wait, 10)
    victim = listener.backend_pid
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (victim,)).fetchone() == (True,)
    resume.set()  # the other 250 commit while the listener is down / reconnecting
    rest = await take(ws, 400)
    await writer
    got = [e["id"] for e in first + rest]
    assert got == outbox_ids(db_url, snapshot)  # every event once, in order
    assert len(got) == 500 and listener.reconnects >= 1 and listener.backend_pid != victim
    await ws.close()


async def test_client_reconnecting_with_since_gets_the_rest_exactly_once(
    client: Any, db_url: str
) -> None:
    ws, snapshot = await _admin_socket(client)
    await asyncio.to_thread(write_handoffs, db_url, 200)
    seen = [e["id"] for e in await take(ws, 80)]
    await ws.close()
    await asyncio.to_thread(write_handoffs, db_url, 100)  # more while disconnected
    all_ids = outbox_ids(db_url, snapshot)
    ws2, _ = await _admin_socket(client, since=seen[-1])
    rest = [e["id"] for e in await take(ws2, len(all_ids) - len(seen))]
    assert seen + rest == all_ids
    await asyncio.to_thread(write_handoffs, db_url, 1)  # and live after the replay, no repeat
    live = await recv(ws2)
    assert live["id"] == outbox_ids(db_url, all_ids[-1])[0]
    await ws2.close()


async def test_subscribing_while_writes_are_in_flight_leaves_no_gap(
    client: Any, db_url: str
) -> None:
    start = outbox_ids(db_url, 0)
    base = start[-1] if start else 0
    paused, resume = threading.Event(), threading.Event()
    writer = asyncio.create_task(
        asyncio.to_thread(write_handoffs, db_url, 300, pause_after=60, paused=paused, resume=resume)
    )
    assert await asyncio.to_thread(paused.wait, 10)
    resume.set()
    live, snap_live = await _admin_socket(client)  # joins mid-stream
    replay, _ = await _admin_socket(client, since=base)  # replays from before the writes
    await writer
    expected_live = outbox_ids(db_url, snap_live)
    assert [e["id"] for e in await take(live, len(expected_live))] == expected_live
    expected_all = outbox_ids(db_url, base)
    assert [e["id"] for e in await take(replay, len(expected_all))] == expected_all
    await live.close()
    await replay.close()


async def test_missed_notify_is_caught_by_the_poll(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    app = create_app(settings(poll_interval_s=0.2), engine=seeded_engine, db_url=db_url)
    client = await aiohttp_client(app)
    ws, _ = await _admin_socket(client)
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:  # no pg_notify
        conn.execute(
            "INSERT INTO sync_event (type, dentist_id, patient_id, data)"
            " VALUES ('handoff.requested', NULL, 1, '{}')"
        )
    event = await recv(ws)
    assert event["type"] == "handoff.requested"
    await ws.close()
