"""Scale-out: two web app instances (two listeners) against one Postgres.

Each instance LISTENs on its own connection and reads the outbox by id, so each delivers
every event to its own sockets, in order, whichever instance took the write; webhook
deliveries are claimed with SKIP LOCKED, so a receiver still gets each event once.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import psycopg
from aiohttp import WSMsgType, web
from booking_support import weekday_at
from sqlalchemy import Engine
from standardwebhooks import Webhook
from sync_support import auth, recv, settings

from chatbot.db import libpq_url
from sync.app import create_app


def outbox_ids(url: str, after: int) -> list[int]:
    with psycopg.connect(libpq_url(url)) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM sync_event WHERE id > %s", (after,))]


def write_handoffs(url: str, n: int) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for i in range(n):
            conn.execute(
                "INSERT INTO handoff_request (patient_id, sender, reason) VALUES (1, 's', %s)",
                (str(i),),
            )


async def collect(ws: Any, last_id: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        while not out or out[-1]["id"] < last_id:
            msg = await ws.receive()
            assert msg.type == WSMsgType.TEXT, (msg.type, msg.data)
            out.append(json.loads(msg.data))
    return out


async def test_two_instances_each_deliver_every_event_in_order(
    aiohttp_client: Any, aiohttp_server: Any, seeded_engine: Engine, db_url: str
) -> None:
    acked: Counter[str] = Counter()
    secret: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.text()
        Webhook(secret[0]).verify(body, dict(request.headers))
        acked[request.headers["webhook-id"]] += 1
        return web.Response(status=204)

    receiver_app = web.Application()
    receiver_app.router.add_post("/hook", hook)
    receiver = await aiohttp_server(receiver_app, host="127.0.0.1")

    a = await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))
    b = await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))
    resp = await a.post(
        "/api/webhooks", json={"url": str(receiver.make_url("/hook"))}, headers=auth("admin")
    )
    assert resp.status == 201
    secret.append((await resp.json())["secret"])

    sockets = {}
    for name, client, role, ident in (
        ("admin@a", a, "admin", None),
        ("admin@b", b, "admin", None),
        ("patient1@a", a, "patient", 1),
        ("patient1@b", b, "patient", 1),
    ):
        sockets[name] = await client.ws_connect("/ws", headers=auth(role, ident))
        assert (await recv(sockets[name]))["type"] == "snapshot"
    start = max(outbox_ids(db_url, 0))

    # Writes through both instances and straight into the database, interleaved.
    starts = weekday_at(10, weeks_ahead=2).isoformat()
    booked = await a.post(
        "/api/appointments",
        json={"dentist_id": 1, "treatment": "checkup", "starts_at": starts},
        headers=auth("patient", 1),
    )
    assert booked.status == 201
    appointment = (await booked.json())["id"]
    await asyncio.gather(
        asyncio.to_thread(write_handoffs, db_url, 150),
        asyncio.to_thread(write_handoffs, db_url, 150),
    )
    cancelled = await b.post(f"/api/appointments/{appointment}/cancel", headers=auth("patient", 1))
    assert cancelled.status == 200

    truth = sorted(outbox_ids(db_url, start))
    assert len(truth) == 302
    for name in ("admin@a", "admin@b"):
        got = [e["id"] for e in await collect(sockets[name], truth[-1])]
        print(f"\n[scale-out] {name}: {len(got)}/{len(truth)} events, in order={got == truth}")
        assert got == truth
    for name in ("patient1@a", "patient1@b"):  # handoffs of patient 1 + the appointment's two
        got = [e["id"] for e in await collect(sockets[name], truth[-1])]
        assert got == truth
    async with asyncio.timeout(30):
        while len(acked) < len(truth):
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # a second (duplicate) delivery would show up by now
    print(f"[scale-out] webhook receiver: {len(acked)} ids, max deliveries per id "
          f"{max(acked.values())}")  # fmt: skip
    assert sorted(acked, key=int) == [str(i) for i in truth]
    assert set(acked.values()) == {1}  # claimed with SKIP LOCKED: once across instances
    for ws in sockets.values():
        await ws.close()
