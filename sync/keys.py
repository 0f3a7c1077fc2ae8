"""Shared application state keys and the request → Principal helpers every handler uses.

Other modules of the web app (e.g. `sync.chat`) import from here:
`principal_from_request(request)` (raises `Unauthorized` → 401) and
`require_role(request, *roles)` (→ 403).
"""

from __future__ import annotations

from aiohttp import web
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

from chatbot.auth import Principal, bearer_token, verify_token
from chatbot.config import Settings
from chatbot.listener import Listener
from chatbot.slot_cache import SlotCache
from sync.hub import EventHub
from sync.metrics import Metrics
from sync.reminders import ReminderScheduler
from sync.stats import Stats
from sync.waitlist_matcher import WaitlistMatcher
from sync.webhooks import WebhookDispatcher

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
DB_URL = web.AppKey("db_url", str)
POOL = web.AppKey("pool", AsyncConnectionPool)
HUB = web.AppKey("hub", EventHub)
LISTENER = web.AppKey("listener", Listener)
CACHE = web.AppKey("cache", SlotCache)
STATS = web.AppKey("stats", Stats)
WEBHOOKS = web.AppKey("webhooks", WebhookDispatcher)
MATCHER = web.AppKey("waitlist_matcher", WaitlistMatcher)
METRICS = web.AppKey("metrics", Metrics)
REMINDERS = web.AppKey("reminders", ReminderScheduler)

PRINCIPAL = web.RequestKey("principal", Principal)


def principal_from_request(request: web.Request, *, allow_query: bool = False) -> Principal:
    """The verified caller: `Authorization: Bearer <jwt>` (or `?token=` when allowed,
    for WebSockets from browsers). Raises `chatbot.errors.Unauthorized`."""
    cached = request.get(PRINCIPAL)
    if cached is not None:
        return cached
    token = bearer_token(request.headers.get("Authorization"))
    if token is None and allow_query:
        token = request.query.get("token") or None
    principal = verify_token(request.app[SETTINGS].jwt_secret, token)
    request[PRINCIPAL] = principal
    return principal


def require_role(request: web.Request, *roles: str) -> Principal:
    """The caller, if their role is one of `roles`; else `Forbidden` (403)."""
    principal = principal_from_request(request)
    principal.require(*roles)
    return principal
