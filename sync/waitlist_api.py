"""Waitlist endpoints: join, list, leave, answer an offer."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from chatbot.errors import InvalidInput
from chatbot.services import waitlist
from sync.jsonapi import json_response, read_json
from sync.keys import principal_from_request
from sync.rest import applied, call_service, clinic_tz, parse_when, path_id


class JoinWaitlist(BaseModel):
    treatment: str = Field(min_length=1, max_length=300)
    from_: str = Field(alias="from", max_length=40)
    to: str = Field(max_length=40)
    dentist_id: int | None = None
    patient_id: int | None = None


async def post_waitlist(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    body = await read_json(request, JoinWaitlist)
    patient_id = body.patient_id if body.patient_id is not None else principal.patient_id
    if patient_id is None:
        raise InvalidInput("patient_id is required")
    tz = await clinic_tz(request)
    doc = await call_service(
        request,
        waitlist.join,
        principal,
        patient_id=patient_id,
        treatment=body.treatment,
        start=parse_when(body.from_, tz, "from"),
        end=parse_when(body.to, tz, "to", end_of_day=True),
        dentist_id=body.dentist_id,
    )
    return json_response(doc, status=201)


async def get_waitlist(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    return json_response(await call_service(request, waitlist.list_entries, principal))


async def delete_waitlist(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    await call_service(request, waitlist.leave, principal, path_id(request))
    return web.Response(status=204)


async def accept_offer(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    doc = await call_service(request, waitlist.accept, principal, path_id(request))
    await applied(request)
    return json_response(doc)


async def decline_offer(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    await call_service(request, waitlist.decline, principal, path_id(request))
    return web.Response(status=204)


def setup_waitlist_api(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/waitlist", post_waitlist)
    r.add_get("/api/waitlist", get_waitlist)
    r.add_delete("/api/waitlist/{id}", delete_waitlist)
    r.add_post("/api/waitlist/{id}/accept", accept_offer)
    r.add_post("/api/waitlist/{id}/decline", decline_offer)
