"""Live events over the WebSocket: they arrive, and only where the role may see them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sync_support import auth, events_until, future_weekday, recv, settings, token

from sync.app import create_app


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))


async def _socket(client: Any, role: str, ident: int | None = None, since: int | None = None):
    q = f"?since={since}" if since is not None else ""
    ws = await client.ws_connect(f"/ws{q}", headers=auth(role, ident))
    snap = await recv(ws)
    assert snap["type"] == "snapshot" and isinstance(snap["last_id"], int)
    return ws, snap["last_id"]


async def _book(client: Any, patient: int, dentist: int, day_offset: int) -> dict[str, Any]:
    starts = future_weekday(day_offset + 3, 10)
    resp = await client.post(
        "/api/appointments",
        json={"dentist_id": dentist, "treatment": "checkup", "starts_at": starts.isoformat()},
        headers=auth("patient", patient),
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_health_is_public_and_ok_when_listening(client: Any) -> None:
    resp = await client.get("/api/realtime/health")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok" and body["listener"]["connected"] is True


async def test_booking_via_rest_reaches_admin_socket(client: Any) -> None:
    ws, _ = await _socket(client, "admin")
    doc = await _book(client, patient=1, dentist=1, day_offset=0)
    event = await recv(ws)
    assert event["type"] == "appointment.created"
    assert event["data"]["id"] == doc["id"] and event["data"] == doc
    assert (event["dentist_id"], event["patient_id"]) == (1, 1)
    assert set(event) == {"id", "type", "occurred_at", "dentist_id", "patient_id", "data"}
    stats = await (await client.get("/api/realtime/stats", headers=auth("admin"))).json()
    assert stats["events"]["processed"] >= 1 and stats["clients"]["connected"] == 1
    await ws.close()


async def test_patients_and_dentists_only_see_their_own(client: Any, seeded_engine: Engine) -> None:
    p1, _ = await _socket(client, "patient", 1)
    p2, _ = await _socket(client, "patient", 2)
    d1, _ = await _socket(client, "dentist", 1)
    d2, _ = await _socket(client, "dentist", 2)
    admin, _ = await _socket(client, "admin")

    doc = await _book(client, patient=1, dentist=1, day_offset=1)  # created
    appt = doc["id"]
    h1 = auth("patient", 1)
    moved = future_weekday(5, 11).isoformat()
    url = f"/api/appointments/{appt}"
    r = await client.post(f"{url}/reschedule", json={"starts_at": moved}, headers=h1)
    assert r.status == 200, await r.text()  # updated
    r = await client.post(f"{url}/cancel", headers=h1)
    assert r.status == 200  # cancelled
    with seeded_engine.begin() as conn:  # deleted (no API deletes; the outbox still must not leak)
        conn.execute(text("DELETE FROM appointment WHERE id = :id"), {"id": appt})
    # A marker every socket below may see, last in the stream: patient 2's and dentist 2's own
    # booking (and the admin sees all).
    marker = await _book(client, patient=2, dentist=2, day_offset=2)

    def is_marker(e: dict[str, Any]) -> bool:
        return e["type"] == "appointment.created" and e["data"]["id"] == marker["id"]

    seen_admin = await events_until(admin, is_marker)
    kinds = ["appointment.created", "appointment.updated", "appointment.cancelled"]
    assert [e["type"] for e in seen_admin] == [*kinds, "appointment.deleted", "appointment.created"]
    for ws in (p2, d2):
        got = await events_until(ws, is_marker)
        assert [e["id"] for e in got] == [marker_id(seen_admin)]  # nothing of patient 1/dentist 1
    for ws in (p1, d1):
        got = await events_until(ws, lambda e: e["type"] == "appointment.deleted")
        assert [e["type"] for e in got] == [*kinds, "appointment.deleted"]
        assert all(e["data"]["id"] == appt for e in got)
    for ws in (p1, p2, d1, d2, admin):
        await ws.close()


def marker_id(events: list[dict[str, Any]]) -> int:
    return int(events[-1]["id"])


async def test_availability_events_redacted_for_patients(client: Any) -> None:
    patient, _ = await _socket(client, "patient", 1)
    other_dentist, _ = await _socket(client, "dentist", 2)
    dentist, _ = await _socket(client, "dentist", 1)
    start = future_weekday(4, 12)
    r = await client.post(
        "/api/dentists/1/time-off",
        json={
            "starts_at": start.isoformat(),
            "ends_at": start.replace(hour=13).isoformat(),
            "reason": "private: surgery",
        },
        headers=auth("dentist", 1),
    )
    assert r.status == 201, await r.text()
    mine = await recv(dentist)
    assert mine["type"] == "availability.updated" and mine["data"]["row"]["reason"]
    seen = await recv(patient)
    assert seen["type"] == "availability.updated" and seen["dentist_id"] == 1
    assert seen["data"] == {"source": "availability_exception", "op": "insert"}
    # dentist 2 gets nothing: their next event is their own marker
    marker = await _book(client, patient=2, dentist=2, day_offset=0)
    got = await recv(other_dentist)
    assert got["data"]["id"] == marker["id"]


async def test_socket_rejects_bad_tokens_before_upgrade(client: Any) -> None:
    for headers, query in (
        ({}, ""),
        ({"Authorization": "Bearer nope"}, ""),
        ({}, "?token=" + token("admin", ttl_s=-10)),
    ):
        resp = await client.get(f"/ws{query}", headers=headers)
        assert resp.status == 401
        assert (await resp.json())["error"] == "unauthorized"
    ws = await client.ws_connect("/ws?token=" + token("patient", 1))
    assert (await recv(ws))["type"] == "snapshot"
    await ws.close()
