"""The page API: thin handlers over `chatbot.services`.

Every handler: verify the token, parse/validate the input (nothing is written before that
succeeds), call one service in a worker thread (services are synchronous, one transaction
each), return JSON. Services decide row-level access and raise `BookingError`s, which
`sync.jsonapi.error_middleware` turns into JSON error bodies.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field

from chatbot.domain.models import WeeklyHours
from chatbot.errors import BookingError, InvalidInput
from chatbot.repositories import events
from chatbot.services import availability, booking, catalog
from chatbot.services.guards import aware, sane_year
from chatbot.services.slot_search import SlotQuery
from sync.jsonapi import int_param, json_response, read_json
from sync.keys import CACHE, ENGINE, LISTENER, METRICS, POOL, SETTINGS, principal_from_request

T = TypeVar("T")
DEFAULT_SLOT_WINDOW = dt.timedelta(days=14)
DEFAULT_TREATMENT = "checkup"
APPLY_WAIT_S = 2.0
_BOOKING_OUTCOMES = {
    "slot_taken": "conflict",
    "hold_expired": "conflict",
    "outside_availability": "conflict",
    "limit_reached": "limit_reached",
}


async def call_service(request: web.Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, request.app[ENGINE], *args, **kwargs)


async def applied(request: web.Request) -> None:
    """Read-your-writes on `/api/slots` without handlers touching the cache: after a write
    commits, wait (briefly) until the listener has handed its outbox event to the cache, which
    invalidates the dentist's days as for anyone else's write."""
    async with request.app[POOL].connection() as conn:
        head = await events.max_event_id(conn)  # >= this commit's event: ids follow commits
    await request.app[LISTENER].wait_for_id(head, timeout_s=APPLY_WAIT_S)


async def clinic_tz(request: web.Request) -> dt.tzinfo:
    return (await request.app[CACHE].fresh_catalog()).clinic.tz


def localize(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def parse_when(raw: str, tz: dt.tzinfo, what: str, *, end_of_day: bool = False) -> dt.datetime:
    """ISO date or datetime; clinic local time when no offset is given. A bare date as an
    end bound means the end of that day (inclusive). Years outside 1970-2199 → 422."""
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            sane_year(day, what)
            value = dt.datetime.combine(day + dt.timedelta(days=int(end_of_day)), dt.time())
        else:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{what} must be an ISO date or date-time") from exc
    sane_year(value, what)
    return aware(localize(value, tz), what)


def path_id(request: web.Request, name: str = "id") -> int:
    value = int_param(request.match_info.get(name), name, required=True)
    assert value is not None
    return value


# --- catalog ---------------------------------------------------------------------------------


async def get_clinic(request: web.Request) -> web.Response:
    principal_from_request(request)
    return json_response((await call_service(request, catalog.get_clinic)).to_json())


async def get_dentists(request: web.Request) -> web.Response:
    principal_from_request(request)
    return json_response([d.to_json() for d in await call_service(request, catalog.list_dentists)])


async def get_treatments(request: web.Request) -> web.Response:
    principal_from_request(request)
    return json_response(
        [t.to_json() for t in await call_service(request, catalog.list_treatments)]
    )


async def get_slots(request: web.Request) -> web.Response:
    """From the slot cache. `treatment` defaults to a check-up; window defaults to 14 days;
    `limit` (optional) returns only the first slots, at most (and by default) MAX_SLOTS."""
    principal_from_request(request)
    q = request.query
    cache = request.app[CACHE]
    tz = await clinic_tz(request)
    now = dt.datetime.now(dt.timezone.utc)
    start = parse_when(q["from"], tz, "from") if q.get("from") else now
    end = start + DEFAULT_SLOT_WINDOW
    if q.get("to"):
        end = parse_when(q["to"], tz, "to", end_of_day=True)
    if end <= start:
        raise InvalidInput("to must be after from")
    query = SlotQuery(
        treatment=q.get("treatment") or DEFAULT_TREATMENT,
        start=start,
        end=end,
        dentist_id=int_param(q.get("dentist_id"), "dentist_id"),
        limit=int_param(q.get("limit"), "limit") or None,  # 0/absent: MAX_SLOTS
        now=now,
    )
    slots = await cache.search(query)
    return json_response([s.to_json() for s in slots])


# --- appointments ----------------------------------------------------------------------------


class NewAppointment(BaseModel):
    dentist_id: int
    treatment: str = Field(min_length=1, max_length=300)
    starts_at: dt.datetime
    patient_id: int | None = None
    notes: str = Field(default="", max_length=2000)
    hold: bool = False


class Reschedule(BaseModel):
    starts_at: dt.datetime
    dentist_id: int | None = None


class Cancel(BaseModel):
    reason: str = Field(default="", max_length=500)


class StatusChange(BaseModel):
    status: str = Field(max_length=40)  # checked against domain.status.Status by the service


async def list_appointments(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    q, tz = request.query, await clinic_tz(request)
    docs = await call_service(
        request,
        booking.list_appointments,
        principal,
        start=parse_when(q["from"], tz, "from") if q.get("from") else None,
        end=parse_when(q["to"], tz, "to", end_of_day=True) if q.get("to") else None,
        dentist_id=int_param(q.get("dentist_id"), "dentist_id"),
        patient_id=int_param(q.get("patient_id"), "patient_id"),
        include_cancelled=q.get("include_cancelled", "").lower() in ("1", "true", "yes"),
    )
    return json_response(docs)


async def get_appointment(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    return json_response(
        await call_service(request, booking.get_appointment, principal, path_id(request))
    )


async def create_appointment(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    body = await read_json(request, NewAppointment)
    patient_id = body.patient_id if body.patient_id is not None else principal.patient_id
    if patient_id is None:
        raise InvalidInput("patient_id is required")
    common = {
        "patient_id": patient_id,
        "dentist_id": body.dentist_id,
        "treatment": body.treatment,
        "starts_at": localize(body.starts_at, await clinic_tz(request)),
        "limits": request.app[SETTINGS].patient_limits,
    }
    try:
        if body.hold:
            doc = await call_service(request, booking.hold_slot, principal, **common)
        else:
            doc = await call_service(request, booking.book, principal, notes=body.notes, **common)
    except BookingError as exc:  # successes are counted from the outbox (every path)
        request.app[METRICS].bookings.labels(_BOOKING_OUTCOMES.get(exc.code, "rejected")).inc()
        raise
    await applied(request)
    return json_response(doc, status=201)


async def cancel_appointment(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    body = await read_json(request, Cancel) if request.can_read_body else Cancel()
    doc = await call_service(
        request, booking.cancel, principal, path_id(request), reason=body.reason
    )
    await applied(request)
    return json_response(doc)


async def reschedule_appointment(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    body = await read_json(request, Reschedule)
    starts_at = localize(body.starts_at, await clinic_tz(request))
    doc = await call_service(
        request,
        booking.reschedule,
        principal,
        path_id(request),
        starts_at=starts_at,
        dentist_id=body.dentist_id,
    )
    await applied(request)
    return json_response(doc)


async def change_status(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    body = await read_json(request, StatusChange)
    doc = await call_service(request, booking.set_status, principal, path_id(request), body.status)
    await applied(request)
    return json_response(doc)


# --- availability ----------------------------------------------------------------------------


class HoursIn(BaseModel):
    isodow: int = Field(ge=1, le=7)
    start: dt.time
    end: dt.time


class WeeklyHoursIn(BaseModel):
    hours: list[HoursIn] = Field(max_length=70)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class TimeOffIn(BaseModel):
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str = Field(default="", max_length=500)


async def put_availability(request: web.Request) -> web.Response:
    """Replace weekly hours from `valid_from` (default: today, clinic time)."""
    principal = principal_from_request(request)
    dentist_id = path_id(request)
    principal.require("dentist", "admin")
    body = await read_json(request, WeeklyHoursIn)
    tz = await clinic_tz(request)
    valid_from = body.valid_from or dt.datetime.now(tz).date()
    hours = [WeeklyHours(h.isodow, h.start, h.end) for h in body.hours]
    await call_service(
        request,
        availability.set_weekly_hours,
        principal,
        dentist_id=dentist_id,
        hours=hours,
        valid_from=valid_from,
        valid_to=body.valid_to,
    )
    await applied(request)
    return json_response(
        {
            "dentist_id": dentist_id,
            "valid_from": valid_from.isoformat(),
            "valid_to": body.valid_to.isoformat() if body.valid_to else None,
            "hours": [h.model_dump(mode="json") for h in body.hours],
        }
    )


async def post_time_off(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    dentist_id = path_id(request)
    principal.require("dentist", "admin")
    body = await read_json(request, TimeOffIn)
    tz = await clinic_tz(request)
    exception_id = await call_service(
        request,
        availability.block_time,
        principal,
        dentist_id=dentist_id,
        starts_at=localize(body.starts_at, tz),
        ends_at=localize(body.ends_at, tz),
        reason=body.reason,
    )
    await applied(request)
    return json_response({"id": exception_id, "dentist_id": dentist_id}, status=201)


def setup_rest(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/clinic", get_clinic)
    r.add_get("/api/dentists", get_dentists)
    r.add_get("/api/treatments", get_treatments)
    r.add_get("/api/slots", get_slots)
    r.add_get("/api/appointments", list_appointments)
    r.add_post("/api/appointments", create_appointment)
    r.add_get("/api/appointments/{id}", get_appointment)
    r.add_post("/api/appointments/{id}/cancel", cancel_appointment)
    r.add_post("/api/appointments/{id}/reschedule", reschedule_appointment)
    r.add_patch("/api/appointments/{id}/status", change_status)
    r.add_post("/api/appointments/{id}/status", change_status)
    r.add_put("/api/dentists/{id}/availability", put_availability)
    r.add_post("/api/dentists/{id}/time-off", post_time_off)
