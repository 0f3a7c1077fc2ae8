"""A slot cache with its own outbox listener, for a process that answers slot questions without
the web app (the action server), and the rule for when the cache may answer.

The cache answers only once its listener has handed it every event committed so far: the
outbox head is read and, if the listener is behind, awaited briefly (as the web app's handlers
do after a write). So a conversation that has just booked or cancelled never sees the old
state, and a cache whose listener is down, reconnecting or not yet started is never used:
those searches go to the database (`DbSlotSource`), as does everything when no listener can
connect at all. Run it in the event loop that serves the searches: the cache is not
thread-safe, and the listener applies events in that loop between requests.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import Engine

from chatbot.listener import Listener
from chatbot.repositories import unit
from chatbot.repositories.slots_source import outbox_head
from chatbot.services.slot_days import DbSlotSource
from chatbot.services.slot_search import SlotSource
from chatbot.slot_cache import SlotCache

log = logging.getLogger(__name__)
FRESH_WAIT_S = 0.5  # how long a search waits for the listener before asking the database


class LiveSlots:
    def __init__(
        self,
        engine: Engine,
        db_url: str,
        *,
        poll_interval_s: float = 2.0,
        fresh_wait_s: float = FRESH_WAIT_S,
    ) -> None:
        self.cache = SlotCache(engine)
        self.database = DbSlotSource(engine)
        self.listener = Listener(db_url, poll_interval_s=poll_interval_s)
        self.listener.add_sink(self.cache.apply)
        self.fresh_wait_s = fresh_wait_s
        self.counters: Counter[str] = Counter()
        self._engine = engine

    async def start(self, *, wait_ready_s: float = 2.0) -> None:
        """Start the listener (returns after `wait_ready_s` even when it cannot connect: it
        keeps retrying, and searches use the database meanwhile)."""
        await self.listener.start(wait_ready_s=wait_ready_s)
        log.info("slot cache listener started", extra={"connected": self.listener.connected})

    async def stop(self) -> None:
        await self.listener.stop()
        log.info("slot cache listener stopped", extra={"searches": dict(self.counters)})

    async def source(self) -> SlotSource:
        """The cache when it has seen every committed event, else the database."""
        if self.listener.connected:
            with unit.transaction(self._engine) as conn:
                head = outbox_head(conn)
            if self.listener.last_id >= head or await self.listener.wait_for_id(
                head, self.fresh_wait_s
            ):
                self.counters["cached"] += 1
                return self.cache
        self.counters["database"] += 1
        return self.database

    def stats(self) -> dict[str, object]:
        return {
            "searches": dict(self.counters),
            "cache": self.cache.stats(),
            "listener": self.listener.state(),
        }
