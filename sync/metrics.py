"""Prometheus metrics at `GET /metrics` (names fixed by the design contract).

One `CollectorRegistry` per app, not the library's global one: tests build several apps in one
process, and a restarted app must not inherit another's counters. Where the numbers come from:

- `sync_events_total{type}`: a listener sink, so every committed outbox event counts once,
  whichever process wrote it (the bot's bookings included).
- `sync_event_lag_seconds{channel}`: outbox row `created_at` (drawn just before commit) → the
  moment the event left this process on a WebSocket (`ws`) or was accepted by a webhook
  endpoint (`webhook`).
- `ws_clients{role}` and `webhook_backlog` are read when scraped (hub state, one COUNT).
- `bookings_total{outcome}`: `booked`/`cancelled` from the outbox (every path),
  `conflict`/`limit_reached`/`rejected` from this app's REST writes (the failures never reach
  the outbox).
- `http_request_duration_seconds{method,route,status}`: a middleware; `route` is the route's
  template (`/api/appointments/{id}`), never the raw path, so the label set stays small.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from chatbot.events import Event
from sync.hub import EventHub

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
ROLES = ("admin", "dentist", "patient", "chatbot")
_OUTBOX_OUTCOMES = {
    "appointment.created": "booked",
    "appointment.cancelled": "cancelled",
}


class _HubClients(Collector):
    """`ws_clients{role}` straight from the hub at scrape time (no bookkeeping to drift)."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("ws_clients", "Connected WebSocket clients", labels=["role"])
        by_role = self._hub.clients()["by_role"]
        for role in sorted(set(ROLES) | set(by_role)):
            family.add_metric([role], by_role.get(role, 0))
        yield family


class Metrics:
    def __init__(self, hub: EventHub) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter("sync_events", "Outbox events delivered", ["type"], registry=r)
        self.lag = Histogram(
            "sync_event_lag_seconds",
            "Outbox commit to sent",
            ["channel"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "webhook_deliveries", "Webhook delivery attempts", ["outcome"], registry=r
        )
        self.backlog = Gauge("webhook_backlog", "Webhook deliveries pending", registry=r)
        self.bookings = Counter("bookings", "Booking outcomes", ["outcome"], registry=r)
        self.http = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route", "status"],
            registry=r,
        )
        self.reminders = Counter(
            "reminders", "Reminders handed to a sender", ["sender", "outcome"], registry=r
        )
        r.register(_HubClients(hub))

    def on_events(self, events: list[Event]) -> None:
        """Listener sink."""
        for event in events:
            self.events.labels(event.type).inc()
            outcome = _OUTBOX_OUTCOMES.get(event.type)
            if outcome:
                self.bookings.labels(outcome).inc()

    def observe_lag(self, channel: str, occurred_at: dt.datetime) -> None:
        self.lag.labels(channel).observe(max(0.0, time.time() - occurred_at.timestamp()))

    def counters(self) -> dict[str, dict[str, float]]:
        """Every counter as {family: {label values: total}}: `/api/realtime/stats` shows the
        admin dashboard these, so its numbers and the scraped ones are the same."""
        out: dict[str, dict[str, float]] = {}
        for family in self.registry.collect():
            if family.type != "counter":
                continue
            totals = out.setdefault(family.name, {})
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = ",".join(sample.labels.values()) or "all"
                    totals[key] = totals.get(key, 0.0) + sample.value
        return out

    def render(self) -> bytes:
        return generate_latest(self.registry)


CONTENT_TYPE = CONTENT_TYPE_LATEST

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def timing_middleware(metrics: Metrics) -> Any:
    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            info = request.match_info.route.resource
            route = info.canonical if info is not None else "unmatched"
            metrics.http.labels(request.method, route, str(status)).observe(
                time.perf_counter() - started
            )

    return timed
