"""EventHub: fan-out of outbox events to subscribers without ever waiting on one of them.

Each subscriber has a bounded queue; `publish` only does `put_nowait` of the text the
subscriber's role may see (`sync.events.view_for`). The consumer side (one sender task per
WebSocket, see `sync.ws`) drains it. A subscriber whose queue is full is dropped at once:
its queue is emptied, a `Dropped` marker is queued and its `on_drop` callback runs, so the
socket is closed with 1013 (try again later) while every other subscriber carries on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode

from chatbot.auth import Principal
from sync.events import Event, view_for

log = logging.getLogger(__name__)

SLOW_CONSUMER_CODE = int(WSCloseCode.TRY_AGAIN_LATER)  # 1013
SLOW_CONSUMER_REASON = "slow consumer: queue full; reconnect with ?since=<last id>"


@dataclass(frozen=True)
class Outgoing:
    id: int
    occurred_at: dt.datetime
    text: str


@dataclass(frozen=True)
class Dropped:
    code: int
    reason: str


QueueItem = Outgoing | Dropped


@dataclass(eq=False)
class Subscriber:
    principal: Principal
    queue: asyncio.Queue[QueueItem]
    on_drop: Callable[[Dropped], None] | None = None
    id: int = 0
    dropped: Dropped | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class EventHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subs: set[Subscriber] = set()
        self._ids = itertools.count(1)
        self.published = 0
        self.dropped_clients = 0

    def subscribe(
        self, principal: Principal, *, on_drop: Callable[[Dropped], None] | None = None
    ) -> Subscriber:
        sub = Subscriber(
            principal=principal,
            queue=asyncio.Queue(maxsize=self.queue_size),
            on_drop=on_drop,
            id=next(self._ids),
        )
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subs.discard(sub)

    def publish(self, events: list[Event]) -> None:
        """Listener sink: enqueue each visible event for each subscriber; never blocks."""
        for event in events:
            self.published += 1
            for sub in list(self._subs):
                text = view_for(sub.principal, event)
                if text is None:
                    continue
                try:
                    sub.queue.put_nowait(Outgoing(event.id, event.occurred_at, text))
                except asyncio.QueueFull:
                    self.drop(sub, Dropped(SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON))

    def drop(self, sub: Subscriber, why: Dropped, *, slow: bool = True) -> None:
        if sub.dropped is not None:
            return
        self._subs.discard(sub)
        sub.dropped = why
        self.dropped_clients += int(slow)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(why)
        log.log(
            logging.WARNING if slow else logging.INFO,
            "subscriber dropped",
            extra={"subscriber": sub.id, "role": sub.principal.role, "reason": why.reason},
        )
        if sub.on_drop is not None:
            sub.on_drop(why)

    def close_all(self, code: int, reason: str) -> None:
        """Graceful shutdown: every subscriber gets a close marker."""
        for sub in list(self._subs):
            self.drop(sub, Dropped(code, reason), slow=False)

    def clients(self) -> dict[str, Any]:
        by_role = Counter(s.principal.role for s in self._subs)
        return {"connected": len(self._subs), "by_role": dict(by_role)}
