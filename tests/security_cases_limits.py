"""Security matrix cases: per-patient limits and REST write rate limits (registered on
import). Patients 3 and 4 exist only for these cases, so no other case is near a limit."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from booking_support import ADMIN, weekday_at
from security_support import APPTS, World, case
from sync_support import auth, settings

from chatbot.auth import Principal
from chatbot.services import booking
from sync.app import create_app

PATIENT4 = Principal(sub="patient-4", role="patient", patient_id=4)


def _slot(dentist: int, hour: int, *, weeks: int, isodow: int) -> dict[str, Any]:
    start = weekday_at(hour, weeks_ahead=weeks, isodow=isodow)
    return {"dentist_id": dentist, "treatment": "checkup", "starts_at": start.isoformat()}


async def _post(w: World, body: dict[str, Any], who: int) -> tuple[int, dict[str, Any]]:
    async with w.client.post(APPTS, json=body, headers=auth("patient", who)) as resp:
        return resp.status, await resp.json()


async def _release(w: World, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        await asyncio.to_thread(booking.release_hold, w.engine, ADMIN, doc["id"])


@case("patient 3: a third live hold → 409 limit_reached (then both released)", "limits",
      "201 201 409 limit_reached", appointment=2, sync_event=4)  # fmt: skip
async def _third_hold(w: World) -> str:
    holds = [_slot(3, hour, weeks=8, isodow=2) | {"hold": True} for hour in (10, 11, 12)]
    results = [await _post(w, body, 3) for body in holds]  # one after the other
    await _release(w, [doc for status, doc in results if status == 201])
    *_, (_, last) = results
    return " ".join(str(status) for status, _ in results) + f" {last.get('error')}"


@case("patient 3: 10 holds sent at once → at most 2 (row lock on the patient)", "limits",
      "2 held, 8 limit_reached", appointment=2, sync_event=4)  # fmt: skip
async def _parallel_holds(w: World) -> str:
    bodies = [_slot(2, h, weeks=8, isodow=3) | {"hold": True} for h in range(8, 16)]
    bodies += [_slot(2, h, weeks=8, isodow=4) | {"hold": True} for h in (8, 9)]
    results = await asyncio.gather(*(_post(w, body, 3) for body in bodies))
    held = [doc for status, doc in results if status == 201]
    limited = sum(1 for status, doc in results if doc.get("error") == "limit_reached")
    await _release(w, held)
    return f"{len(held)} held, {limited} limit_reached"


@case("patient 4 with 8 upcoming appointments books a 9th → 409 (then all cancelled)",
      "limits", "409 limit_reached", appointment=8, sync_event=16)  # fmt: skip
async def _ninth_booking(w: World) -> str:
    booked = []
    for hour in range(10, 18):
        kwargs = {"patient_id": 4, "dentist_id": 3, "treatment": "checkup"}
        start = weekday_at(hour, weeks_ahead=9, isodow=2)
        booked.append(
            await asyncio.to_thread(booking.book, w.engine, PATIENT4, starts_at=start, **kwargs)
        )
    status, doc = await _post(w, _slot(3, 10, weeks=9, isodow=3), 4)
    for appointment in booked:
        await asyncio.to_thread(booking.cancel, w.engine, ADMIN, appointment["id"])
    return f"{status} {doc.get('error')}"


@case("REST writes: 31st in a minute by one user → 429 Retry-After; others unaffected",
      "rate limit", "30 × 404, then 429 with Retry-After; patient 2: 404")  # fmt: skip
async def _write_rate_limit(w: World) -> str:
    """Its own app with the default limits (the shared one allows more, for the other cases).
    Every write is refused anyway (no appointment 999999): probing counts too."""
    app = create_app(settings(), engine=w.engine, db_url=w.db_url)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        path = f"{APPTS}/999999/cancel"
        statuses = []
        for _ in range(30):
            async with client.post(path, headers=auth("patient", 1)) as resp:
                statuses.append(resp.status)
        async with client.post(path, headers=auth("patient", 1)) as resp:
            limited, retry = resp.status, resp.headers.get("Retry-After", "")
        async with client.post(path, headers=auth("patient", 2)) as resp:
            other = resp.status
    finally:
        await client.close()
    first = f"{statuses.count(404)} × 404" if set(statuses) == {404} else f"{statuses}"
    retry_ok = "with Retry-After" if retry.isdigit() and 1 <= int(retry) <= 60 else repr(retry)
    return f"{first}, then {limited} {retry_ok}; patient 2: {other}"
