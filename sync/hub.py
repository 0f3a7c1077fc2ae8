"""EventHub: fan-out of outbox events to subscribers without ever waiting on one of them.

Subscribers are indexed by audience (the admin set, dentist id, patient id), so an event is
offered only to the sockets allowed to see it, looked up in O(1) instead of asking every
subscriber: with 10,000 patient sockets an appointment event touches the admins, one dentist
and one patient. The routing is the same rule as `chatbot.events.view_for` (which replay uses);
a test checks both agree for every role. Each variant of an event (full, redacted) is
serialised once and the same `Outgoing` object is queued for every recipient.

Each subscriber has a bounded queue; `publish` only does `put_nowait`. The consumer side
(one sender task per WebSocket, see `sync.ws`) drains it. A subscriber whose queue is full is
dropped at once: its queue is emptied, a `Dropped` marker is queued and its `on_drop` callback
runs, so the socket is closed with 1013 (try again later) while every other subscriber carries on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import struct
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode

from chatbot.auth import Principal
from chatbot.events import AVAILABILITY, Event, dentist_sees

log = logging.getLogger(__name__)

SLOW_CONSUMER_CODE = int(WSCloseCode.TRY_AGAIN_LATER)  # 1013
SLOW_CONSUMER_REASON = "slow consumer: queue full; reconnect with ?since=<last id>"
BROADCAST_SLICE = 100  # deliveries between yields to the event loop during a broadcast


@dataclass(frozen=True)
class Outgoing:
    """One event as sent: built once per event and variant, shared by every recipient."""

    id: int
    occurred_at: dt.datetime
    text: str
    frame: bytes  # the whole WebSocket text frame: built once, written as is to every socket

    @classmethod
    def of(cls, event: Event, *, redacted: bool = False) -> Outgoing:
        text = event.to_json(redacted=redacted)
        return cls(event.id, event.occurred_at, text, text_frame(text.encode()))


def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented, uncompressed RFC 6455 text frame (what a server sends)."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


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


class EventHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._admins: set[Subscriber] = set()
        self._by_dentist: dict[int, set[Subscriber]] = {}
        self._by_patient: dict[int, set[Subscriber]] = {}
        self._patient_backlog: deque[tuple[int | None, Outgoing]] = deque()
        self._backlog_task: asyncio.Task[None] | None = None
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
        group = self._group(principal, create=True)
        assert group is not None
        group.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        group = self._group(sub.principal)
        if group is None:
            return
        group.discard(sub)
        if not group and group is not self._admins:
            index = self._by_patient if sub.principal.patient_scoped else self._by_dentist
            index.pop(self._key(sub.principal), None)

    @staticmethod
    def _key(principal: Principal) -> int:
        key = principal.patient_id if principal.patient_scoped else principal.dentist_id
        assert key is not None  # `Principal` guarantees the id its role needs
        return key

    def _group(self, principal: Principal, *, create: bool = False) -> set[Subscriber] | None:
        if principal.role == "admin":
            return self._admins
        index = self._by_patient if principal.patient_scoped else self._by_dentist
        key = self._key(principal)
        if create:
            return index.setdefault(key, set())
        return index.get(key)

    def publish(self, events: list[Event]) -> None:
        """Listener sink: enqueue each event for the sockets allowed to see it; never blocks."""
        for event in events:
            self.published += 1
            full = Outgoing.of(event)
            self._offer(self._admins, full)
            if event.dentist_id is not None and dentist_sees(event):
                self._offer(self._by_dentist.get(event.dentist_id), full)
            if event.type == AVAILABILITY:  # every patient page refreshes its offered slots
                self._to_patients(None, Outgoing.of(event, redacted=True))
            elif event.patient_id is not None:
                self._to_patients(event.patient_id, full)

    def _to_patients(self, patient_id: int | None, item: Outgoing) -> None:
        """One patient's sockets at once; all of them (`None`) by the backlog task, which
        yields to the loop every `BROADCAST_SLICE` deliveries, so a broadcast to 10,000 pages
        never holds up admin sockets for long. While a backlog exists every patient event
        joins it, which keeps each patient's stream in id order."""
        if patient_id is not None and not self._patient_backlog:
            self._offer(self._by_patient.get(patient_id), item)
            return
        self._patient_backlog.append((patient_id, item))
        if self._backlog_task is None or self._backlog_task.done():
            self._backlog_task = asyncio.get_running_loop().create_task(
                self._drain_backlog(), name="hub-patient-broadcast"
            )

    async def _drain_backlog(self) -> None:
        budget = BROADCAST_SLICE
        while self._patient_backlog:
            patient_id, item = self._patient_backlog[0]
            if patient_id is None:
                groups = list(self._by_patient.values())
            else:
                groups = [self._by_patient.get(patient_id, set())]
            for group in groups:  # a socket that joins meanwhile has a later snapshot point
                self._offer(group, item)
                budget -= len(group)
                if budget <= 0:
                    await asyncio.sleep(0)
                    budget = BROADCAST_SLICE
            self._patient_backlog.popleft()

    async def settled(self) -> None:
        """Wait until every published event has been queued for its sockets."""
        while self._backlog_task is not None and not self._backlog_task.done():
            await asyncio.wait({self._backlog_task})

    def _offer(self, group: set[Subscriber] | None, item: Outgoing) -> None:
        if not group:
            return
        full: list[Subscriber] = []
        for sub in group:
            try:
                sub.queue.put_nowait(item)
            except asyncio.QueueFull:
                full.append(sub)
        for sub in full:  # dropping changes `group`: not while iterating it
            self.drop(sub, Dropped(SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON))

    def subscribers(self) -> list[Subscriber]:
        subs = list(self._admins)
        for index in (self._by_dentist, self._by_patient):
            for group in index.values():
                subs.extend(group)
        return subs

    def drop(self, sub: Subscriber, why: Dropped, *, slow: bool = True) -> None:
        if sub.dropped is not None:
            return
        self.unsubscribe(sub)
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
        self._patient_backlog.clear()
        for sub in self.subscribers():
            self.drop(sub, Dropped(code, reason), slow=False)

    def clients(self) -> dict[str, Any]:
        subs = self.subscribers()
        by_role = Counter(s.principal.role for s in subs)
        return {"connected": len(subs), "by_role": dict(by_role)}
