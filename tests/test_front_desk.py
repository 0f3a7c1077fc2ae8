"""Front desk over HTTP: status changes along the one transition table, time off listed and
removed (with its event), the patient directory, names on appointment rows."""

from __future__ import annotations

from typing import Any

import pytest
from booking_support import weekday_at
from sqlalchemy import Engine
from sync_support import auth, events_until, recv, settings

from sync.app import create_app

APPTS = "/api/appointments"


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))


async def _book(client: Any, patient: int = 1, hour: int = 10) -> dict[str, Any]:
    body = {"dentist_id": 1, "treatment": "checkup", "starts_at": weekday_at(hour).isoformat()}
    resp = await client.post(APPTS, json=body, headers=auth("patient", patient))
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def _set(client: Any, appt: int, status: str, who: dict[str, str]) -> Any:
    return await client.post(f"{APPTS}/{appt}/status", json={"status": status}, headers=who)


async def test_status_changes_follow_the_table_and_reach_sockets(client: Any) -> None:
    appt = await _book(client)
    assert appt["patient_name"] == "Alice Novak"
    ws = await client.ws_connect("/ws", headers=auth("patient", 1))
    assert (await recv(ws))["type"] == "snapshot"

    resp = await _set(client, appt["id"], "completed", auth("admin"))  # scheduled ↛ completed
    assert resp.status == 409 and (await resp.json())["error"] == "illegal_transition"
    resp = await _set(client, appt["id"], "arrived", auth("patient", 1))
    assert resp.status == 403
    resp = await _set(client, appt["id"], "teleported", auth("admin"))
    assert resp.status == 422
    resp = await _set(client, appt["id"], "arrived", auth("admin"))
    assert resp.status == 200 and (await resp.json())["status"] == "arrived"
    event = (await events_until(ws, lambda e: e["type"] == "appointment.updated"))[-1]
    assert event["data"]["status"] == "arrived"  # (the booking's own event may come first)
    resp = await client.post(f"{APPTS}/{appt['id']}/cancel", headers=auth("admin"))
    assert resp.status == 409  # an arrived patient is not cancelled any more
    await ws.close()

    table = await (await client.get("/api/statuses", headers=auth("admin"))).json()
    assert table["transitions"]["arrived"] == ["completed", "no_show"]
    mine = await (await client.get("/api/statuses", headers=auth("patient", 1))).json()
    assert mine["transitions"]["scheduled"] == ["confirmed", "cancelled"]


async def test_admin_and_dentist_rows_carry_patient_names(client: Any) -> None:
    await _book(client, patient=2, hour=11)
    for who in (auth("admin"), auth("dentist", 1)):
        rows = await (await client.get(APPTS, headers=who)).json()
        assert [r["patient_name"] for r in rows] == ["Ben Okafor"]


async def test_time_off_is_listed_and_removed_with_an_event(client: Any) -> None:
    start, end = weekday_at(13), weekday_at(15)
    body = {"starts_at": start.isoformat(), "ends_at": end.isoformat(), "reason": "dentist visit"}
    url = "/api/dentists/1/time-off"
    resp = await client.post(url, json=body, headers=auth("dentist", 1))
    assert resp.status == 201
    block = (await resp.json())["id"]
    day = start.date().isoformat()
    query = f"{url}?from={day}&to={day}"

    mine = await (await client.get(query, headers=auth("dentist", 1))).json()
    assert [(b["id"], b["reason"]) for b in mine] == [(block, "dentist visit")]
    theirs = await (await client.get(query, headers=auth("patient", 1))).json()
    assert [b["id"] for b in theirs] == [block] and "reason" not in theirs[0]
    slots_before = await (await client.get(f"/api/slots?dentist_id=1&from={day}&to={day}",
                                           headers=auth("patient", 1))).json()  # fmt: skip
    assert start.isoformat() not in {s["starts_at"] for s in slots_before}

    ws = await client.ws_connect("/ws", headers=auth("dentist", 1))
    assert (await recv(ws))["type"] == "snapshot"
    assert (await client.delete(f"{url}/{block}", headers=auth("dentist", 2))).status == 403
    assert (await client.delete(f"{url}/{block}", headers=auth("patient", 1))).status == 403
    assert (await client.delete(f"{url}/{block}", headers=auth("dentist", 1))).status == 204
    events = await events_until(ws, lambda e: e["type"] == "availability.updated")
    assert events[-1]["data"]["op"] == "delete" and events[-1]["data"]["row"]["id"] == block
    assert await (await client.get(query, headers=auth("admin"))).json() == []
    assert (await client.delete(f"{url}/{block}", headers=auth("admin"))).status == 404
    slots_after = await (await client.get(f"/api/slots?dentist_id=1&from={day}&to={day}",
                                          headers=auth("patient", 1))).json()  # fmt: skip
    assert start.isoformat() in {s["starts_at"] for s in slots_after}  # the cache let go
    await ws.close()


async def test_patient_directory_is_for_admins(client: Any) -> None:
    found = await (await client.get("/api/patients?q=nov", headers=auth("admin"))).json()
    assert [p["name"] for p in found] == ["Alice Novak"]
    everyone = await (await client.get("/api/patients", headers=auth("admin"))).json()
    assert [p["name"] for p in everyone] == ["Alice Novak", "Ben Okafor"]
    literal = await (await client.get("/api/patients?q=%25", headers=auth("admin"))).json()
    assert literal == []  # '%' is a character to look for, not a wildcard
    assert (await client.get("/api/patients?q=a", headers=auth("patient", 1))).status == 403
    assert (await client.get("/api/patients?q=a", headers=auth("dentist", 1))).status == 403
    assert (await client.get("/api/patients?q=" + "x" * 101, headers=auth("admin"))).status == 422
