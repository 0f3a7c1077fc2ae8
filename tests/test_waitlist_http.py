"""The waitlist end to end in the web app: a cancellation reaches the waiting patient's socket
as `waitlist.offered` (and the admin's, not the dentist's or another patient's), accepting
books it; bad input and other people's entries are refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from booking_support import weekday_at
from sqlalchemy import Engine
from sync_support import auth, events_until, recv, settings
from waitlist_support import fill

from sync.app import create_app

WAITLIST = "/api/waitlist"


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))


async def _socket(client: Any, role: str, ident: int | None = None) -> Any:
    ws = await client.ws_connect("/ws", headers=auth(role, ident))
    assert (await recv(ws))["type"] == "snapshot"
    return ws


async def test_cancellation_is_offered_to_the_waiting_patient(
    client: Any, seeded_engine: Engine
) -> None:
    start, end = weekday_at(9), weekday_at(11)
    booked = fill(seeded_engine, start, end, [1], patient_id=1)
    body = {"treatment": "checkup", "from": start.isoformat(), "to": end.isoformat(),
            "dentist_id": 1}  # fmt: skip
    resp = await client.post(WAITLIST, json=body, headers=auth("patient", 2))
    assert resp.status == 201, await resp.text()
    entry = await resp.json()
    assert entry["offer"] is None and entry["patient_name"] == "Ben Okafor"

    waiting, other, admin, dentist = (
        await _socket(client, "patient", 2),
        await _socket(client, "patient", 1),
        await _socket(client, "admin"),
        await _socket(client, "dentist", 1),
    )
    cancelled = booked[0]
    resp = await client.post(
        f"/api/appointments/{cancelled['id']}/cancel", headers=auth("patient", 1)
    )
    assert resp.status == 200

    def offered(e: dict[str, Any]) -> bool:
        return e["type"] == "waitlist.offered"

    got = (await events_until(waiting, offered))[-1]
    assert got["patient_id"] == 2 and got["dentist_id"] == 1
    offer = got["data"]
    assert {"waitlist_id", "patient_id", "appointment_id", "dentist_id", "starts_at",
            "ends_at", "expires_at"} <= set(offer)  # fmt: skip
    assert offer["waitlist_id"] == entry["id"] and offer["starts_at"] == cancelled["starts_at"]
    assert (await events_until(admin, offered))[-1]["data"] == offer
    # Markers after the offer: the other patient and the dentist see them, never the offer.
    marker = await client.post(
        "/api/appointments",
        json={"dentist_id": 1, "treatment": "checkup", "starts_at": weekday_at(14).isoformat()},
        headers=auth("patient", 1),
    )
    assert marker.status == 201
    marker_id = (await marker.json())["id"]
    for ws in (other, dentist):
        seen = await events_until(ws, lambda e: e["data"].get("id") == marker_id)
        assert not any(offered(e) for e in seen)

    listed = await (await client.get(WAITLIST, headers=auth("patient", 2))).json()
    assert listed[0]["offer"]["appointment_id"] == offer["appointment_id"]
    assert (
        await client.post(f"{WAITLIST}/{entry['id']}/accept", headers=auth("patient", 1))
    ).status == 404
    resp = await client.post(f"{WAITLIST}/{entry['id']}/accept", headers=auth("patient", 2))
    assert resp.status == 200
    booked_doc = await resp.json()
    assert booked_doc["status"] == "scheduled" and booked_doc["starts_at"] == cancelled["starts_at"]
    assert await (await client.get(WAITLIST, headers=auth("patient", 2))).json() == []
    for ws in (waiting, other, admin, dentist):
        await ws.close()


async def test_waitlist_input_and_roles(client: Any) -> None:
    start, end = weekday_at(9).isoformat(), weekday_at(11).isoformat()
    ok = {"treatment": "checkup", "from": start, "to": end}
    bad = [
        {"treatment": "checkup", "from": "soon", "to": end},
        {"treatment": "checkup", "from": end, "to": start},
        {"treatment": "", "from": start, "to": end},
        {"treatment": "checkup", "from": start, "to": end, "dentist_id": "1"},
        {"treatment": "checkup", "from": start, "to": end, "extra": 1, "dentist_id": 99},
    ]
    for body in bad:
        resp = await client.post(WAITLIST, json=body, headers=auth("patient", 1))
        assert resp.status in (404, 422), (body, resp.status)
    assert (await client.post(WAITLIST, json=ok)).status == 401
    assert (await client.post(WAITLIST, json=ok, headers=auth("admin"))).status == 422  # whose?
    other = ok | {"patient_id": 2}
    assert (await client.post(WAITLIST, json=other, headers=auth("patient", 1))).status == 403
    assert (await client.post(WAITLIST, json=ok, headers=auth("dentist", 1))).status == 422
    assert (await client.get(WAITLIST, headers=auth("dentist", 1))).status == 403
    resp = await client.post(WAITLIST, json=ok, headers=auth("patient", 1))
    entry = await resp.json()
    assert (
        await client.delete(f"{WAITLIST}/{entry['id']}", headers=auth("patient", 2))
    ).status == 404
    assert (
        await client.post(f"{WAITLIST}/{entry['id']}/decline", headers=auth("patient", 1))
    ).status == 404
    assert (
        await client.delete(f"{WAITLIST}/{entry['id']}", headers=auth("patient", 1))
    ).status == 204
    assert await (await client.get(WAITLIST, headers=auth("admin"))).json() == []


async def test_removing_time_off_offers_the_freed_time(client: Any) -> None:
    start = weekday_at(9)
    block = {"starts_at": start.isoformat(), "ends_at": weekday_at(11).isoformat()}
    resp = await client.post("/api/dentists/1/time-off", json=block, headers=auth("dentist", 1))
    block_id = (await resp.json())["id"]
    body = {"treatment": "checkup", "dentist_id": 1, "from": start.isoformat(),
            "to": weekday_at(9, 1).isoformat()}  # fmt: skip
    entry = await (await client.post(WAITLIST, json=body, headers=auth("patient", 1))).json()
    ws = await _socket(client, "patient", 1)
    url = f"/api/dentists/1/time-off/{block_id}"
    assert (await client.delete(url, headers=auth("dentist", 1))).status == 204
    got = (await events_until(ws, lambda e: e["type"] == "waitlist.offered"))[-1]
    assert got["data"]["waitlist_id"] == entry["id"]
    assert got["data"]["starts_at"] == start.astimezone(dt.timezone.utc).isoformat()
    await ws.close()
