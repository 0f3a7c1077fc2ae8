"""Helpers for the sync/ web app tests (tokens, sockets, a future weekday slot)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import WSMsgType

from chatbot.auth import Principal, issue_token, issue_turn_token
from chatbot.config import Settings

SECRET = "test-secret-for-sync-tests-0123456789abcdef"
BERLIN = ZoneInfo("Europe/Berlin")


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"jwt_secret": SECRET, "poll_interval_s": 0.5, "heartbeat_s": 5.0}
    return Settings(**(base | overrides))


def token(role: str, ident: int | None = None, *, ttl_s: int = 600) -> str:
    """A web token; `chatbot` (like `patient`) carries the patient id it acts for."""
    ids = {
        "patient": {"patient_id": ident},
        "chatbot": {"patient_id": ident},
        "dentist": {"dentist_id": ident},
    }.get(role, {})
    sub = f"{role}-{ident}" if ident is not None else role
    return issue_token(SECRET, Principal(sub=sub, role=role, **ids), ttl_s)  # type: ignore[arg-type]


def turn_token(role: str, ident: int) -> str:
    """What the chat gateway puts in Rasa's metadata (aud=actions): only actions accept it."""
    ids = {"dentist": {"dentist_id": ident}}.get(role, {"patient_id": ident})
    return issue_turn_token(SECRET, Principal(sub=f"{role}-{ident}", role=role, **ids))  # type: ignore[arg-type]


def auth(role: str, ident: int | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, ident)}"}


def future_weekday(days_ahead: int = 3, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A weekday at least `days_ahead` days from now, at hour:minute Berlin time."""
    day = dt.datetime.now(BERLIN).date() + dt.timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), BERLIN)


async def recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
    doc: dict[str, Any] = json.loads(msg.data)
    return doc


async def events_until(
    ws: aiohttp.ClientWebSocketResponse, stop: Any, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """Read events until `stop(event)` is true (inclusive)."""
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            doc = await recv(ws, timeout)
            out.append(doc)
            if stop(doc):
                return out


async def take(
    ws: aiohttp.ClientWebSocketResponse, n: int, timeout: float = 30.0
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(out) < n:
            out.append(await recv(ws, timeout))
    return out
