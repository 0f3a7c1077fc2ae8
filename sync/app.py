"""The web app factory: `create_app(settings) -> web.Application`.

Wiring: one outbox `Listener` feeds, in order, the `SlotCache` (invalidation first, so no
reader sees a stale day after the event is out; `GET /api/slots` searches through it, and
handlers never invalidate it themselves), the `EventHub` (WebSockets) and the
`WebhookDispatcher` (wake-up). Pools, the listener and the dispatcher live in a
`cleanup_ctx`; `on_shutdown` closes every socket with 1001 GOING_AWAY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

from chatbot.config import Settings
from chatbot.db import database_url, libpq_url, make_engine, migrate
from chatbot.listener import Listener
from chatbot.slot_cache import SlotCache
from sync.calendar_api import setup_calendar
from sync.chat import setup_chat
from sync.front_desk_api import setup_front_desk
from sync.hub import EventHub
from sync.jsonapi import error_middleware, harden_headers
from sync.keys import (
    CACHE,
    DB_URL,
    ENGINE,
    HUB,
    LISTENER,
    MATCHER,
    METRICS,
    POOL,
    REMINDERS,
    SETTINGS,
    STATS,
    WEBHOOKS,
    principal_from_request,
    require_role,
)
from sync.metrics import Metrics, timing_middleware
from sync.pages import setup_pages
from sync.ratelimit import setup_write_rate_limit
from sync.realtime_api import setup_realtime_api
from sync.reminders import Clock, ReminderScheduler, senders_from, system_clock
from sync.rest import setup_rest
from sync.stats import Stats
from sync.waitlist_api import setup_waitlist_api
from sync.waitlist_matcher import WaitlistMatcher
from sync.webhook_api import setup_webhook_api
from sync.webhooks import WebhookDispatcher
from sync.ws import setup_ws

__all__ = [
    "CACHE",
    "ENGINE",
    "HUB",
    "LISTENER",
    "SETTINGS",
    "STATS",
    "create_app",
    "principal_from_request",
    "require_role",
]


def _url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    db_url: str | None = None,
    clock: Clock = system_clock,
) -> web.Application:
    """Build the app. Without `engine`/`db_url` the database comes from `settings`
    (`DATABASE_URL` or the embedded server) and is migrated here. `clock` drives the
    reminder scheduler (tests move it)."""
    owns_engine = engine is None
    if db_url is None:
        if engine is not None:
            db_url = _url_of(engine)
        else:
            db_url = database_url(settings)
            migrate(db_url)
    if engine is None:
        engine = make_engine(db_url)

    hub = EventHub(settings.client_queue_size)
    metrics = Metrics(hub)
    app = web.Application(
        middlewares=[timing_middleware(metrics), error_middleware],
        client_max_size=settings.max_body_bytes,
    )
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        libpq_url(db_url),
        min_size=1,
        max_size=10,
        open=False,
        kwargs={"autocommit": True},
        name="sync",
    )
    listener = Listener(db_url, poll_interval_s=settings.poll_interval_s)
    cache = SlotCache(engine)
    webhooks = WebhookDispatcher(pool, poll_s=settings.poll_interval_s, metrics=metrics)
    scheduler = ReminderScheduler(
        engine,
        lead=dt.timedelta(hours=settings.reminder_lead_h),
        senders=senders_from(settings.smtp_url),
        clock=clock,
        poll_s=settings.reminder_poll_s,
        metrics=metrics,
    )
    listener.add_sink(cache.apply)  # first: never serve a stale day once an event is out
    listener.add_sink(hub.publish)
    listener.add_sink(webhooks.on_events)
    listener.add_sink(metrics.on_events)
    matcher = WaitlistMatcher(engine, offer_ttl_s=settings.waitlist_offer_ttl_s)
    listener.add_sink(matcher.on_events)  # last: offers follow the freeing event

    app[SETTINGS] = settings
    app[ENGINE] = engine
    app[DB_URL] = db_url
    app[POOL] = pool
    app[LISTENER] = listener
    app[CACHE] = cache
    app[HUB] = hub
    app[STATS] = Stats()
    app[WEBHOOKS] = webhooks
    app[MATCHER] = matcher
    app[METRICS] = metrics
    app[REMINDERS] = scheduler

    async def runtime(app: web.Application) -> AsyncIterator[None]:
        await pool.open(wait=True, timeout=15)
        await listener.start()
        await webhooks.start()
        await matcher.start()
        await scheduler.start()
        yield
        await scheduler.stop()
        await matcher.stop()
        await webhooks.stop()
        await listener.stop()
        await pool.close()
        if owns_engine:
            engine.dispose()

    app.cleanup_ctx.append(runtime)
    app.on_response_prepare.append(harden_headers)
    setup_write_rate_limit(app)
    setup_realtime_api(app)
    setup_ws(app)
    setup_rest(app)
    setup_front_desk(app)
    setup_waitlist_api(app)
    setup_webhook_api(app)
    setup_calendar(app)
    setup_chat(app)
    setup_pages(app)
    return app
