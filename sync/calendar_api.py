"""Calendar feed links and the feeds themselves (see `chatbot.services.calendar`).

- `GET /api/calendar/link[?kind=&id=]` (any signed-in person; admins name the feed) →
  `{"url", "kind", "id"}`: the same URL every time until it is rotated.
- `POST /api/calendar/link/rotate[?kind=&id=]` → a new URL; the old one stops working.
- `DELETE /api/calendar/link[?kind=&id=]` → 204; the URL stops working.
- `GET /calendar/{kind}/{id}.ics?key=...`: no bearer token (calendar apps cannot send one).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from aiohttp import web

from chatbot.services import calendar
from sync.jsonapi import int_param, json_response
from sync.keys import ENGINE, SETTINGS, principal_from_request

ICS_TYPE = "text/calendar"


def _owner(request: web.Request) -> tuple[calendar.Kind, int]:
    principal = principal_from_request(request)
    owner_id = int_param(request.query.get("id"), "id")
    return calendar.feed_owner(principal, request.query.get("kind") or None, owner_id)


async def _link(request: web.Request, *, rotate: bool) -> web.Response:
    kind, owner_id = _owner(request)
    key = await asyncio.to_thread(
        calendar.feed_key,
        request.app[ENGINE],
        request.app[SETTINGS].jwt_secret,
        kind,
        owner_id,
        rotate=rotate,
    )
    path = request.app.router["calendar_feed"].url_for(kind=kind, id=str(owner_id))
    url = request.url.origin().join(path.with_query(key=key))
    return json_response({"url": str(url), "kind": kind, "id": owner_id})


async def get_link(request: web.Request) -> web.Response:
    return await _link(request, rotate=False)


async def rotate_link(request: web.Request) -> web.Response:
    return await _link(request, rotate=True)


async def revoke_link(request: web.Request) -> web.Response:
    kind, owner_id = _owner(request)
    await asyncio.to_thread(calendar.revoke, request.app[ENGINE], kind, owner_id)
    return web.Response(status=204)


async def feed(request: web.Request) -> web.Response:
    owner_id = int_param(request.match_info["id"], "id", required=True)
    assert owner_id is not None
    body = await asyncio.to_thread(
        calendar.render_feed,
        request.app[ENGINE],
        request.app[SETTINGS].jwt_secret,
        request.match_info["kind"],
        owner_id,
        request.query.get("key", ""),
        now=dt.datetime.now(dt.timezone.utc),
    )
    return web.Response(
        body=body,
        content_type=ICS_TYPE,
        charset="utf-8",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )


def setup_calendar(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/calendar/link", get_link)
    r.add_post("/api/calendar/link/rotate", rotate_link)
    r.add_delete("/api/calendar/link", revoke_link)
    r.add_get("/calendar/{kind:(dentist|patient)}/{id:[0-9]{1,12}}.ics", feed, name="calendar_feed")
