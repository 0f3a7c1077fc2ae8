"""Fan-out never waits on a slow client: it is dropped with 1013; shutdown says 1001."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import psycopg
from aiohttp import WSMsgType
from sqlalchemy import Engine
from sync_support import auth, recv, settings

from chatbot.auth import Principal
from chatbot.db import libpq_url
from chatbot.events import AVAILABILITY, Event, view_for
from sync.app import create_app
from sync.hub import SLOW_CONSUMER_CODE, Dropped, EventHub, Outgoing
from sync.keys import HUB


def _event(i: int, patient_id: int = 1) -> Event:
    now = dt.datetime.now(dt.timezone.utc)
    return Event(i, "appointment.created", now, 1, patient_id, {"id": i})


async def test_full_queue_drops_only_that_subscriber() -> None:
    hub = EventHub(queue_size=3)
    dropped: list[Dropped] = []
    slow = hub.subscribe(Principal(sub="a", role="admin"), on_drop=dropped.append)
    fast = hub.subscribe(Principal(sub="b", role="admin"))
    other = hub.subscribe(Principal(sub="p2", role="patient", patient_id=2))
    got: list[int] = []
    for i in range(1, 11):
        hub.publish([_event(i)])
        item = fast.queue.get_nowait()  # the fast one keeps up
        assert isinstance(item, Outgoing)
        got.append(item.id)
    assert got == list(range(1, 11))
    assert [d.code for d in dropped] == [SLOW_CONSUMER_CODE] and slow.dropped is not None
    assert slow.queue.qsize() == 1 and isinstance(slow.queue.get_nowait(), Dropped)
    assert other.queue.empty() and hub.clients()["connected"] == 2 and hub.dropped_clients == 1


async def test_hub_routes_each_event_exactly_as_view_for_decides() -> None:
    """The audience index sends each principal what `view_for` (used by replay) allows:
    nothing more (a leak), nothing less (a miss), and the same text."""
    principals = [
        Principal(sub="a", role="admin"),
        Principal(sub="d1", role="dentist", dentist_id=1),
        Principal(sub="d2", role="dentist", dentist_id=2),
        Principal(sub="p1", role="patient", patient_id=1),
        Principal(sub="p2", role="patient", patient_id=2),
        Principal(sub="bot1", role="chatbot", patient_id=1),
    ]
    hub = EventHub(queue_size=1000)
    subs = [hub.subscribe(p) for p in principals]
    now = dt.datetime.now(dt.timezone.utc)
    events = []
    kinds = ("appointment.created", "hold.expired", "handoff.requested", "waitlist.offered")
    for kind in (*kinds, AVAILABILITY):
        for dentist_id in (None, 1, 2, 3):
            for patient_id in (None, 1, 2, 3):
                data = {"source": "availability_rule", "op": "INSERT", "reason": "private"}
                ident = len(events) + 1
                events.append(Event(ident, kind, now, dentist_id, patient_id, data))
    hub.publish(events)
    await hub.settled()
    for principal, sub in zip(principals, subs, strict=True):
        got = []
        while not sub.queue.empty():
            item = sub.queue.get_nowait()
            assert isinstance(item, Outgoing)
            got.append((item.id, item.text))
        expected = [(e.id, text) for e in events if (text := view_for(principal, e)) is not None]
        assert got == expected, principal.sub
        assert got, principal.sub  # every principal sees something of this matrix


async def test_unsubscribed_and_dropped_sockets_get_nothing_more() -> None:
    hub = EventHub(queue_size=1)
    gone = hub.subscribe(Principal(sub="p1", role="patient", patient_id=1))
    slow = hub.subscribe(Principal(sub="p1b", role="patient", patient_id=1))
    hub.unsubscribe(gone)
    hub.publish([_event(1), _event(2)])  # the second overflows `slow`
    assert gone.queue.empty()
    assert isinstance(slow.queue.get_nowait(), Dropped) and slow.queue.empty()
    assert hub.clients() == {"connected": 0, "by_role": {}}


async def test_slow_socket_is_closed_with_1013_and_others_carry_on(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    app = create_app(settings(client_queue_size=2), engine=seeded_engine, db_url=db_url)
    client = await aiohttp_client(app)
    admin = await client.ws_connect("/ws", headers=auth("admin"))
    bystander = await client.ws_connect("/ws", headers=auth("patient", 2))
    await recv(admin), await recv(bystander)
    with psycopg.connect(libpq_url(db_url)) as conn:  # 20 events in one burst (one commit)
        for i in range(20):
            conn.execute(
                "INSERT INTO handoff_request (patient_id, sender, reason) VALUES (1, 's', %s)",
                (str(i),),
            )
    while True:  # whatever was queued before the burst overflowed, then the close frame
        msg = await admin.receive(timeout=10)
        if msg.type != WSMsgType.TEXT:
            break
    assert msg.type == WSMsgType.CLOSE and msg.data == SLOW_CONSUMER_CODE
    assert "slow consumer" in msg.extra
    with psycopg.connect(libpq_url(db_url)) as conn:
        conn.execute("INSERT INTO handoff_request (patient_id, sender) VALUES (2, 'me')")
    mine = await recv(bystander)
    assert mine["type"] == "handoff.requested" and mine["patient_id"] == 2
    await bystander.close()


async def test_shutdown_closes_sockets_with_going_away(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))
    ws = await client.ws_connect("/ws", headers=auth("dentist", 1))
    await recv(ws)
    closing = asyncio.create_task(client.server.close())
    msg = await ws.receive(timeout=10)
    assert msg.type == WSMsgType.CLOSE and msg.data == 1001
    await closing


async def test_peer_that_never_answers_pings_is_reaped(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    app = create_app(settings(heartbeat_s=0.2), engine=seeded_engine, db_url=db_url)
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/ws", headers=auth("admin"), autoping=False)
    await recv(ws)
    kinds = []
    async with asyncio.timeout(10):
        while not ws.closed:  # pings arrive, we never pong: the server gives up on us
            msg = await ws.receive()
            kinds.append(msg.type)
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
        while app[HUB].clients()["connected"]:
            await asyncio.sleep(0.02)
    assert WSMsgType.PING in kinds
