"""Front-desk endpoints: time off (list, remove), the patient directory, the status table.

Thin like `sync.rest`: verify the token, parse, call one service in a worker thread.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from chatbot.domain.status import Status, allowed_next
from chatbot.services import booking, patients, time_off
from sync.jsonapi import json_response
from sync.keys import principal_from_request
from sync.rest import applied, call_service, clinic_tz, parse_when, path_id

DEFAULT_TIME_OFF_WINDOW = dt.timedelta(days=60)


async def get_time_off(request: web.Request) -> web.Response:
    """`?from=&to=` (ISO, clinic time when no offset): default today → 60 days ahead."""
    principal = principal_from_request(request)
    q, tz = request.query, await clinic_tz(request)
    start = parse_when(q["from"], tz, "from") if q.get("from") else None
    if start is None:
        start = dt.datetime.combine(dt.datetime.now(tz).date(), dt.time(), tz)
    end = parse_when(q["to"], tz, "to", end_of_day=True) if q.get("to") else None
    docs = await call_service(
        request,
        time_off.list_time_off,
        principal,
        dentist_id=path_id(request),
        start=start,
        end=end or start + DEFAULT_TIME_OFF_WINDOW,
    )
    return json_response(docs)


async def delete_time_off(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    dentist_id = path_id(request)
    await call_service(
        request,
        time_off.remove_time_off,
        principal,
        dentist_id=dentist_id,
        time_off_id=path_id(request, "time_off_id"),
    )
    await applied(request)
    return web.Response(status=204)


async def get_patients(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    found = await call_service(
        request, patients.search_patients, principal, request.query.get("q", "")
    )
    return json_response([{"id": p["id"], "name": p["name"], "phone": p["phone"]} for p in found])


async def get_statuses(request: web.Request) -> web.Response:
    """The status machine as the pages need it: which buttons to show for which status."""
    principal = principal_from_request(request)
    patient = principal.patient_scoped
    return json_response(
        {
            "transitions": {s.value: allowed_next(s, patient=patient) for s in Status},
            "movable": [s.value for s in Status if s.movable],
        }
    )


async def confirm_hold(request: web.Request) -> web.Response:
    """Hold → booking, the same step the chat takes after "yes" (409 once it expired)."""
    principal = principal_from_request(request)
    doc = await call_service(request, booking.confirm_hold, principal, path_id(request))
    await applied(request)
    return json_response(doc)


def setup_front_desk(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/dentists/{id}/time-off", get_time_off)
    r.add_delete("/api/dentists/{id}/time-off/{time_off_id}", delete_time_off)
    r.add_get("/api/patients", get_patients)
    r.add_get("/api/statuses", get_statuses)
    r.add_post("/api/appointments/{id}/confirm", confirm_hold)
