"""Per-user rate limits: a sliding-window limiter, and the middleware that applies it to every
REST write (`APP_WRITE_RATE_LIMIT` writes per `APP_WRITE_RATE_WINDOW_S` per token subject →
429 with `Retry-After`). The chat gateway has its own, tighter limiter (sync.chat)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from aiohttp import web

from chatbot.errors import Unauthorized
from sync.jsonapi import json_error
from sync.keys import SETTINGS, principal_from_request

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Own limiter (chat) or no user yet (the loopback-only demo sign-in).
UNLIMITED_PATHS = frozenset({"/api/chat", "/api/dev/login"})


class SlidingWindowLimiter:
    """At most `limit` hits per `window_s` seconds per key (a log of recent hit times)."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float | None = None) -> float:
        """Record a hit; return 0 when allowed, else the seconds until the next one is."""
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window_s - now
        hits.append(now)
        if len(self._hits) > self.max_keys:
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window_s]
        for key in idle:
            del self._hits[key]


def too_many(wait_s: float, message: str) -> web.Response:
    """429 with `Retry-After` in whole seconds (at least 1)."""
    response = json_error(429, "rate_limited", message)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
    return response


WRITE_LIMITER = web.AppKey("write_limiter", SlidingWindowLimiter)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def write_rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every authenticated write attempt (rejected ones too: probing is not free) before
    its body is read. Requests without a valid token go on to get their 401."""
    if request.method not in WRITE_METHODS or not request.path.startswith("/api/"):
        return await handler(request)
    if request.path in UNLIMITED_PATHS:
        return await handler(request)
    try:
        principal = principal_from_request(request)
    except Unauthorized:
        return await handler(request)
    wait_s = request.app[WRITE_LIMITER].hit(principal.sub)
    if wait_s > 0:
        return too_many(wait_s, "Too many changes in a short time; please wait a moment.")
    return await handler(request)


def setup_write_rate_limit(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[WRITE_LIMITER] = SlidingWindowLimiter(
        settings.write_rate_limit, settings.write_rate_window_s
    )
    app.middlewares.append(write_rate_limit)
