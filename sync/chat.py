"""Chat gateway: `POST /api/chat` relays a signed-in user's message to Rasa's REST channel.

The caller's identity comes only from the JWT: Rasa's `sender` is the token subject (a
client-sent `sender` is ignored) and the metadata carries a turn token minted for this turn
(same claims, `aud=actions`, TURN_TOKEN_TTL_S) plus the role and ids, so actions act on behalf
of exactly this user. The turn token opens nothing but the action server (the web app refuses
any token with an audience), and Rasa's tracker store strips it before anything is persisted
(rasa_ext.tracker_store). The reply is Rasa's JSON list.

Each forward carries `X-Turn-Deadline` (epoch seconds, `chat_start_deadline_s` ahead): Rasa
(rasa_ext.channels) refuses to begin a turn after it, so a turn that waited too long in a busy
Rasa is never processed once it no longer can be answered in time; the gateway turns that
refusal into 503 `assistant_busy` (nothing was processed, so the widget's retry is safe).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from unicodedata import category

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from chatbot.auth import TURN_TOKEN_TTL_S, Principal, issue_turn_token
from chatbot.config import Settings
from chatbot.errors import BookingError
from sync.assistant import AssistantGate, AssistantPool
from sync.jsonapi import json_error, parse_json, require_json_media_type
from sync.keys import SETTINGS, principal_from_request
from sync.ratelimit import SlidingWindowLimiter, too_many

__all__ = ["TURN_TOKEN_TTL_S", "SlidingWindowLimiter", "setup_chat"]

log = logging.getLogger(__name__)

RASA_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=3)

CHAT_HTTP = web.AppKey("chat_http", aiohttp.ClientSession)
CHAT_LIMITER = web.AppKey("chat_limiter", SlidingWindowLimiter)
CHAT_POOL = web.AppKey("chat_pool", AssistantPool)
DEADLINE_HEADER = "X-Turn-Deadline"
EXPIRED_CODE = "turn_deadline_passed"  # what rasa_ext.channels answers (503) past the deadline
BUSY = "The assistant is busy; retrying in a moment."


class ChatIn(BaseModel):
    message: str


def _authenticate(request: web.Request) -> tuple[Principal, str]:
    """The verified caller and a short-lived token for this turn (only actions accept it)."""
    principal = principal_from_request(request)
    secret = request.app[SETTINGS].jwt_secret
    return principal, issue_turn_token(secret, principal, ttl_s=TURN_TOKEN_TTL_S)


async def _read_message(request: web.Request, settings: Settings) -> str | web.Response:
    """The `message` string of the JSON body, or the error response to send instead."""
    try:
        require_json_media_type(request)
    except web.HTTPException as exc:
        return json_error(exc.status, "unsupported_media_type", exc.reason)
    if (request.content_length or 0) > settings.max_body_bytes:
        return json_error(413, "payload_too_large", "The request body is too large.")
    body = await request.content.read(settings.max_body_bytes + 1)
    if len(body) > settings.max_body_bytes:
        return json_error(413, "payload_too_large", "The request body is too large.")
    try:
        message = parse_json(body, ChatIn).message
    except web.HTTPException as exc:  # nested too deeply
        return json_error(exc.status, "bad_request", exc.reason)
    except BookingError:
        return json_error(422, "invalid_input", 'Send JSON like {"message": "hi"}.')
    if len(message) > settings.max_chat_chars:
        return json_error(
            413,
            "message_too_long",
            f"Messages are limited to {settings.max_chat_chars} characters.",
        )
    try:
        message.encode("utf-8")  # lone surrogates from JSON escapes
    except UnicodeEncodeError:
        return json_error(422, "invalid_input", "The message is not valid text.")
    message = "".join(ch for ch in message if ch in "\n\t" or category(ch) != "Cc").strip()
    if not message:
        return json_error(422, "invalid_input", "The message is empty.")
    return message


async def chat(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    try:
        principal, token = _authenticate(request)
    except BookingError as exc:  # Unauthorized: one generic text
        return json_error(exc.http_status, exc.code, str(exc))
    wait_s = request.app[CHAT_LIMITER].hit(principal.sub)
    if wait_s > 0:
        return too_many(wait_s, "You are sending messages too quickly; please wait a moment.")
    message = await _read_message(request, settings)
    if isinstance(message, web.Response):
        return message
    pool = request.app[CHAT_POOL]
    gate, readiness = await pool.choose(principal.sub, request.app[CHAT_HTTP])
    if not readiness.ready:
        return _unavailable("assistant_starting", readiness.message(), retry_after_s=5)
    with pool.slot(principal.sub, gate) as admitted:
        if not admitted:
            return _unavailable("assistant_busy", BUSY, retry_after_s=1)
        if request.transport is None or request.transport.is_closing():
            return _unavailable("assistant_busy", BUSY, retry_after_s=1)  # the caller is gone
        return await _forward(request.app, gate, principal, token, message)


async def chat_status(request: web.Request) -> web.Response:
    """`GET /api/chat/status` (any valid token): ready | starting | training (+ percent)."""
    try:
        principal = principal_from_request(request)
    except BookingError as exc:
        return json_error(exc.http_status, exc.code, str(exc))
    _, readiness = await request.app[CHAT_POOL].choose(principal.sub, request.app[CHAT_HTTP])
    return web.json_response(readiness.as_json())


async def _forward(
    app: web.Application, gate: AssistantGate, principal: Principal, token: str, message: str
) -> web.Response:
    settings = app[SETTINGS]
    deadline = {DEADLINE_HEADER: f"{time.time() + settings.chat_start_deadline_s:.3f}"}
    body = {
        "sender": principal.sub,
        "message": message,
        "metadata": {
            "token": token,
            "role": principal.role,
            "patient_id": principal.patient_id,
            "dentist_id": principal.dentist_id,
        },
    }
    url = f"{gate.rasa_url}/webhooks/rest/webhook"
    started = time.monotonic()
    try:
        async with app[CHAT_HTTP].post(url, json=body, headers=deadline) as resp:
            if resp.status == 503 and EXPIRED_CODE in await resp.text():
                log.info("rasa skipped a turn past its deadline for sender %s", principal.sub)
                gate.record(float("inf"))
                return _unavailable("assistant_busy", BUSY, retry_after_s=1)
            gate.record(time.monotonic() - started)
            if resp.status != 200:
                log.warning("rasa answered %s for sender %s", resp.status, principal.sub)
                return _unavailable()
            replies: Any = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.warning("rasa unreachable at %s: %s", url, exc.__class__.__name__)
        gate.mark_unreachable()
        return _unavailable()
    if not isinstance(replies, list):
        log.warning("rasa replied with %s, not a list", type(replies).__name__)
        return _unavailable()
    return web.json_response(replies)


def _unavailable(
    code: str = "assistant_unavailable",
    message: str = "The assistant is unavailable right now; please try again.",
    *,
    retry_after_s: int = 5,
) -> web.Response:
    resp = json_error(503, code, message)
    resp.headers["Retry-After"] = str(retry_after_s)
    return resp


def setup_chat(app: web.Application) -> None:
    """Add `POST /api/chat` and the shared HTTP session it uses to reach Rasa.
    Needs `app[SETTINGS]` (jwt secret, rasa_url, limits)."""
    settings = app[SETTINGS]
    app[CHAT_LIMITER] = SlidingWindowLimiter(settings.chat_rate_limit, settings.chat_rate_window_s)
    app[CHAT_POOL] = AssistantPool(
        settings.rasa_urls,
        max_inflight=settings.chat_max_inflight,
        progress_file=settings.progress_file,
    )

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(timeout=RASA_TIMEOUT) as session:
            app[CHAT_HTTP] = session
            yield

    app.cleanup_ctx.append(http_session)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/chat/status", chat_status)
