"""Admin API for webhooks: register, list, delete; read and redeliver deliveries."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from chatbot.errors import InvalidInput
from chatbot.repositories import webhooks as store
from sync.jsonapi import int_param, json_response, read_json
from sync.keys import POOL, WEBHOOKS, require_role

EVENT_TYPES = frozenset(
    {
        "appointment.created",
        "appointment.updated",
        "appointment.cancelled",
        "appointment.deleted",
        "appointment.reminder",
        "availability.updated",
        "hold.created",
        "hold.released",
        "handoff.requested",
        "waitlist.offered",
    }
)


class NewEndpoint(BaseModel):
    url: str = Field(min_length=8, max_length=2000)
    types: list[str] = Field(default_factory=list, max_length=len(EVENT_TYPES))

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")) or any(c.isspace() for c in v):
            raise ValueError("must be an http(s) URL")
        return v

    @field_validator("types")
    @classmethod
    def _known_types(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(unknown)}")
        return sorted(set(v))


def _path_id(request: web.Request) -> int:
    value = int_param(request.match_info["id"], "id", required=True)
    if value is None:
        raise InvalidInput("id is required")
    return value


async def create_endpoint(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await read_json(request, NewEndpoint)
    async with request.app[POOL].connection() as conn:
        row = await store.create_endpoint(conn, body.url, body.types)
    return json_response(row, status=201)


async def list_endpoints(request: web.Request) -> web.Response:
    require_role(request, "admin")
    async with request.app[POOL].connection() as conn:
        return json_response(await store.list_endpoints(conn))


async def delete_endpoint(request: web.Request) -> web.Response:
    require_role(request, "admin")
    async with request.app[POOL].connection() as conn:
        await store.delete_endpoint(conn, _path_id(request))
    return web.Response(status=204)


async def list_deliveries(request: web.Request) -> web.Response:
    require_role(request, "admin")
    async with request.app[POOL].connection() as conn:
        return json_response(await store.list_deliveries(conn, _path_id(request)))


async def redeliver(request: web.Request) -> web.Response:
    require_role(request, "admin")
    dispatcher = request.app[WEBHOOKS]
    async with request.app[POOL].connection() as conn:
        await store.redeliver(conn, dispatcher.clock(), _path_id(request))
    dispatcher.on_events([])  # wake the loop
    return json_response({"id": _path_id(request), "status": "pending"}, status=202)


def setup_webhook_api(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/webhooks", create_endpoint)
    r.add_get("/api/webhooks", list_endpoints)
    r.add_delete("/api/webhooks/{id}", delete_endpoint)
    r.add_get("/api/webhooks/{id}/deliveries", list_deliveries)
    r.add_post("/api/webhooks/deliveries/{id}/redeliver", redeliver)
