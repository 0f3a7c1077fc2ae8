"""`/api/realtime/{health,status,stats}`, `/api/me` and the dev-mode sign-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from chatbot.auth import Principal, issue_token
from chatbot.errors import NotFound
from chatbot.repositories import events, users
from sync.jsonapi import json_response, read_json
from sync.keys import (
    CACHE,
    HUB,
    LISTENER,
    METRICS,
    POOL,
    SETTINGS,
    STATS,
    WEBHOOKS,
    principal_from_request,
    require_role,
)
from sync.metrics import CONTENT_TYPE


async def health(request: web.Request) -> web.Response:
    """Public. `degraded` when the listener has no live connection to the outbox."""
    listener = request.app[LISTENER]
    return json_response(
        {
            "status": "ok" if listener.connected else "degraded",
            "listener": {"connected": listener.connected, "last_id": max(listener.last_id, 0)},
        }
    )


async def status(request: web.Request) -> web.Response:
    principal_from_request(request)
    listener = request.app[LISTENER]
    return json_response(
        {
            "status": "ok" if listener.connected else "degraded",
            "listener": listener.state(),
            "clients": request.app[HUB].clients()["connected"],
        }
    )


async def _lag(request: web.Request, last_id: int) -> dict[str, Any]:
    async with request.app[POOL].connection() as conn:
        head, seconds = await events.lag_after(conn, last_id)
    return {"events": max(0, head - last_id), "seconds": round(seconds, 3)}


async def stats(request: web.Request) -> web.Response:
    require_role(request, "admin")
    app = request.app
    listener, hub, counters = app[LISTENER], app[HUB], app[STATS].counters
    return json_response(
        {
            "events": {
                "processed": listener.events_processed,
                "published": hub.published,
                "sent": counters["events_sent"],
                "replayed": counters["events_replayed"],
            },
            "lag": await _lag(request, max(listener.last_id, 0)),
            "clients": hub.clients() | {"dropped_slow": hub.dropped_clients},
            "deliveries": await app[WEBHOOKS].delivery_counts(),
            "latency_ms": app[STATS].latency_summary(),
            "counters": app[METRICS].counters(),
            "cache": app[CACHE].stats(),
            "listener": listener.state(),
            "uptime_s": round(
                (dt.datetime.now(dt.timezone.utc) - app[STATS].started_at).total_seconds(), 1
            ),
        }
    )


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text. Admin token, or none when `APP_METRICS_PUBLIC=1` (a scraper on a
    private network)."""
    if not request.app[SETTINGS].metrics_public:
        require_role(request, "admin")
    registry = request.app[METRICS]
    counts = await request.app[WEBHOOKS].delivery_counts()
    registry.backlog.set(counts.get("pending", 0))
    return web.Response(body=registry.render(), headers={"Content-Type": CONTENT_TYPE})


async def me(request: web.Request) -> web.Response:
    principal = principal_from_request(request)
    return json_response(principal.model_dump() | {"display_name": await _display_name(request)})


async def _display_name(request: web.Request) -> str:
    sub = principal_from_request(request).sub
    async with request.app[POOL].connection() as conn:
        name = await users.display_name(conn, sub)
    return name or sub


class DevLogin(BaseModel):
    sub: str = Field(min_length=1, max_length=200)


async def dev_login(request: web.Request) -> web.Response:
    """Dev mode only (which `Settings` allows on a loopback bind only): a token for a seeded
    `app_user` (the demo pages' sign-in)."""
    body = await read_json(request, DevLogin)
    async with request.app[POOL].connection() as conn:
        row = await users.find_user(conn, body.sub)
    try:
        if row is None:
            raise ValueError("no such user")
        principal = Principal(
            sub=row["sub"],
            role=row["role"],
            patient_id=row["patient_id"],
            dentist_id=row["dentist_id"],
        )
    except ValueError as exc:  # unknown, or a row no token can be issued for
        raise NotFound(f"no user {body.sub[:200]!r}") from exc
    settings = request.app[SETTINGS]
    token = issue_token(settings.jwt_secret, principal, settings.jwt_ttl_s)
    return json_response(
        principal.model_dump() | {"display_name": row["display_name"], "token": token}
    )


def setup_realtime_api(app: web.Application) -> None:
    app.router.add_get("/api/realtime/health", health)
    app.router.add_get("/api/realtime/status", status)
    app.router.add_get("/api/realtime/stats", stats)
    app.router.add_get("/api/me", me)
    app.router.add_get("/metrics", metrics)
    if app[SETTINGS].dev_mode:
        app.router.add_post("/api/dev/login", dev_login)
