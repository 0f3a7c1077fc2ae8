"""Runs the waitlist matcher where the events are: a listener sink marks the dentists whose
time was freed, one task runs a matching pass for each (in a worker thread: the services are
synchronous) and, on a timer, expires unanswered offers.

Freed time is any event that can open a slot: a cancellation, a released/expired hold, a
deleted appointment, a reschedule (the event names only where it went, so every dentist is
checked), and availability changes other than new time off. A pass that finds nothing costs
a few queries; marks arriving while a pass runs are kept for the next one, so nothing freed
is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import Engine

from chatbot.events import AVAILABILITY, Event
from chatbot.services import waitlist_matching
from chatbot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

FREEING = frozenset(
    {"appointment.cancelled", "appointment.deleted", "hold.released", "appointment.updated"}
)
EVERY_DENTIST = -1


def frees_time(event: Event) -> bool:
    if event.type in FREEING:
        return True
    if event.type != AVAILABILITY:
        return False
    row = event.data.get("row") or {}
    return not (event.data.get("op") == "insert" and row.get("kind") == "off")


class WaitlistMatcher:
    def __init__(self, engine: Engine, *, offer_ttl_s: int, sweep_s: float = 1.0) -> None:
        self._engine = engine
        self.offer_ttl_s = offer_ttl_s
        self.sweep_s = sweep_s
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.offers_made = 0
        self._last_expiry = 0.0

    def on_events(self, events: list[Event]) -> None:
        """Listener sink: only marks and wakes (never blocks the listener)."""
        for event in events:
            if frees_time(event) and event.dentist_id is not None:
                moved = event.type == "appointment.updated"
                self._dirty.add(EVERY_DENTIST if moved else event.dentist_id)
        if self._dirty:
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="waitlist-matcher")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.sweep_s)
            self._wake.clear()
            try:
                await self._pass()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end matching for good
                log.exception("waitlist matching pass failed")
                await asyncio.sleep(self.sweep_s)

    async def _pass(self) -> None:
        dirty, self._dirty = self._dirty, set()
        if EVERY_DENTIST in dirty:
            dirty = set(
                await asyncio.to_thread(waitlist_matching.dentists_with_waiting, self._engine)
            )
        for dentist_id in sorted(dirty):
            made = await asyncio.to_thread(
                waitlist_matching.match_dentist, self._engine, dentist_id, ttl_s=self.offer_ttl_s
            )
            self.offers_made += len(made)
        now = asyncio.get_running_loop().time()
        if now - self._last_expiry >= self.sweep_s:  # unanswered offers run out here; their
            self._last_expiry = now  # hold.released events mark the dentist for the next pass
            await asyncio.to_thread(waitlist_matching.expire_offers, self._engine)
