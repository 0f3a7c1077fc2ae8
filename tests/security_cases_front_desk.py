"""Security matrix cases: the front desk and the waitlist (registered on import)."""

from __future__ import annotations

import asyncio

from booking_support import weekday_at
from security_support import SQLISH, World, case, status_of
from sync_support import auth

from chatbot.auth import Principal
from chatbot.services import waitlist

WAITLIST = "/api/waitlist"
PATIENT1 = Principal(sub="patient-1", role="patient", patient_id=1)


def _window() -> dict[str, str]:
    start = weekday_at(9, weeks_ahead=7, isodow=2)
    return {"treatment": "checkup", "from": start.isoformat(),
            "to": weekday_at(12, weeks_ahead=7, isodow=2).isoformat()}  # fmt: skip


@case("patient lists the patient directory", "escalation", 403)
async def _patient_directory(w: World) -> int:
    return await status_of(w, "GET", "/api/patients?q=a", headers=auth("patient", 1))


@case("dentist 2 deletes dentist 1's time off", "escalation", 403)
async def _other_time_off(w: World) -> int:
    return await status_of(w, "DELETE", "/api/dentists/1/time-off/1", headers=auth("dentist", 2))


@case("patient 1 puts patient 2 on the waitlist", "escalation", 403)
async def _waitlist_for_other(w: World) -> int:
    body = _window() | {"patient_id": 2}
    return await status_of(w, "POST", WAITLIST, json=body, headers=auth("patient", 1))


@case("waitlist with a SQL-ish treatment", "injection", 404)
async def _waitlist_sqlish(w: World) -> int:
    body = _window() | {"treatment": SQLISH}
    return await status_of(w, "POST", WAITLIST, json=body, headers=auth("patient", 1))


@case("patient 2 accepts / declines / removes patient 1's waitlist entry", "escalation",
      "404 404 404", waitlist_entry=1)  # fmt: skip
async def _other_entry(w: World) -> str:
    entry = await asyncio.to_thread(
        waitlist.join, w.engine, PATIENT1, patient_id=1, treatment="checkup",
        start=weekday_at(9, weeks_ahead=7, isodow=2), end=weekday_at(12, weeks_ahead=7, isodow=2),
    )  # fmt: skip
    url = f"{WAITLIST}/{entry['id']}"
    other = auth("patient", 2)
    codes = [
        await status_of(w, "POST", f"{url}/accept", headers=other),
        await status_of(w, "POST", f"{url}/decline", headers=other),
        await status_of(w, "DELETE", url, headers=other),
    ]
    await asyncio.to_thread(waitlist.leave, w.engine, PATIENT1, entry["id"])  # out of line again
    return " ".join(map(str, codes))
