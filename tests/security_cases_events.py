"""Security matrix cases: cross-tenant event leaks and WebSocket floods (registered on
import)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType
from booking_support import ADMIN, weekday_at
from security_support import World, case
from sqlalchemy import text
from sync_support import auth, recv

from chatbot.services import booking

CLOSED = (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING, WSMsgType.ERROR)


async def health_status(w: World) -> str:
    """What the public health check says in its body (an HTTP 200 alone proves little)."""
    async with w.client.get("/api/realtime/health") as resp:
        doc = await resp.json()
    return str(doc.get("status")) if resp.status == 200 else f"HTTP {resp.status}"


# Cross-tenant event leaks.


async def events_until_marker(ws: Any, marker_appointment: int) -> list[dict[str, Any]]:
    """Events after the snapshot message up to (incl.) the marker appointment's creation."""
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while True:
            doc = await recv(ws)
            if doc.get("type") == "snapshot":
                continue
            out.append(doc)
            if doc["type"] == "appointment.created" and doc["data"]["id"] == marker_appointment:
                return out


def leaks(events: list[dict[str, Any]], *, patient: int) -> int:
    return sum(1 for e in events if e["patient_id"] == patient)


@case(
    "replay ?since=0 as patient 2: patient 1's create/cancel/DELETE events",
    "event leak",
    "0 leaked",
)
async def _replay_patient(w: World) -> str:
    ws = await w.client.ws_connect("/ws?since=0", headers=auth("patient", 2))
    got = await events_until_marker(ws, w.ids["p2_marker"])
    await ws.close()
    assert all(e["type"] == "availability.updated" for e in got[:-1])
    return f"{leaks(got, patient=1)} leaked"


@case("replay ?since=0 as dentist 2: dentist 1's events", "event leak", "0 leaked")
async def _replay_dentist(w: World) -> str:
    ws = await w.client.ws_connect("/ws?since=0", headers=auth("dentist", 2))
    got = await events_until_marker(ws, w.ids["p2_marker"])
    await ws.close()
    return f"{sum(e['dentist_id'] == 1 for e in got)} leaked"


@case(
    "live: patient 1 books, the row is DELETEd, patient 2 books; patient 2's socket",
    "event leak",
    "0 leaked",
    appointment=1,
    appointment_reminder=1,
    sync_event=3,
)
async def _live_delete(w: World) -> str:
    ws = await w.client.ws_connect("/ws", headers=auth("patient", 2))
    assert (await recv(ws))["type"] == "snapshot"

    def writes() -> int:
        mine = booking.book(
            w.engine, ADMIN, patient_id=1, dentist_id=1, treatment="checkup",
            starts_at=weekday_at(13, weeks_ahead=5, isodow=4),
        )  # fmt: skip
        with w.engine.begin() as conn:
            conn.execute(text("DELETE FROM appointment WHERE id = :id"), {"id": mine["id"]})
        other = booking.book(
            w.engine, ADMIN, patient_id=2, dentist_id=2, treatment="checkup",
            starts_at=weekday_at(13, weeks_ahead=5, isodow=4),
        )  # fmt: skip
        return int(other["id"])

    marker = await asyncio.to_thread(writes)
    got = await events_until_marker(ws, marker)
    await ws.close()
    return f"{leaks(got, patient=1)} leaked"


@case("replay ?since=0 as chatbot (for patient 1): patient 2's events", "event leak",
      "0 leaked")  # fmt: skip
async def _replay_chatbot(w: World) -> str:
    ws = await w.client.ws_connect("/ws?since=0", headers=auth("chatbot", 1))
    snapshot = await recv(ws)
    got = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2):  # the replay has no end marker: wait for quiet
            while True:
                got.append(await recv(ws))
    await ws.close()
    assert snapshot["type"] == "snapshot" and got, "the replay sent nothing"
    return f"{sum(1 for e in got if e['patient_id'] not in (None, 1))} leaked"


# WebSocket floods.


async def ping_pong(ws: Any) -> bool:
    await ws.send_str('{"type":"ping"}')
    async with asyncio.timeout(20):
        while True:
            msg = await ws.receive()
            if msg.type != WSMsgType.TEXT:
                return False
            if json.loads(msg.data).get("type") == "pong":
                return True


@case("WS flood: 5,000 junk frames from one client; another client unaffected",
      "websocket flood", "other client served")  # fmt: skip
async def _ws_junk_flood(w: World) -> str:
    calm = await w.client.ws_connect("/ws", headers=auth("patient", 2))
    noisy = await w.client.ws_connect("/ws", headers=auth("patient", 1))
    for i in range(5000):
        await noisy.send_str(f"spam {i} " + "x" * 200)
    ok = await ping_pong(calm)
    health = await health_status(w)
    await noisy.close()
    await calm.close()
    return "other client served" if ok and health == "ok" else f"pong={ok} health={health}"


@case("WS flood: 20,000 pings never reading the pongs; another client unaffected",
      "websocket flood", "other client served")  # fmt: skip
async def _ws_ping_flood(w: World) -> str:
    calm = await w.client.ws_connect("/ws", headers=auth("admin"))
    noisy = await w.client.ws_connect("/ws", headers=auth("patient", 1))
    for _ in range(20_000):
        await noisy.send_str('{"type":"ping"}')
    ok = await ping_pong(calm)
    health = await health_status(w)
    await noisy.close()
    await calm.close()
    return "other client served" if ok and health == "ok" else f"pong={ok} health={health}"


@case("WS: one 5 MB frame (limit 4 MB)", "websocket flood", "closed 1009")
async def _ws_huge_frame(w: World) -> str:
    ws = await w.client.ws_connect("/ws", headers=auth("patient", 1))
    with contextlib.suppress(ConnectionError):  # the server may reset while we still write
        await ws.send_str("x" * (5 * 1024 * 1024))
    async with asyncio.timeout(20):
        msg = await ws.receive()
        while msg.type not in CLOSED:
            msg = await ws.receive()
    await ws.close()
    return f"closed {msg.data}" if msg.type == WSMsgType.CLOSE else f"{msg.type.name}"
