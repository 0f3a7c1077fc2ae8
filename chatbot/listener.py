"""The outbox listener: boring and robust.

One autocommit psycopg connection of its own. `LISTEN sync_events`, then read rows
`WHERE id > last_id ORDER BY id` (closing the gap between subscribe and the first NOTIFY).
A notification only wakes the loop; the rows are the truth. A timeout on the wait is the poll
fallback. Any connection error → reconnect with capped exponential backoff (with jitter) and
catch up from `last_id`, so nothing is lost or repeated. Ids become visible in commit order
(see 0002_outbox.sql), so `id > last_id` never skips a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from chatbot.db import libpq_url
from chatbot.events import Event
from chatbot.repositories.events import fetch_after, listen, max_event_id
from chatbot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

# A silently dead peer (no RST) is noticed in ~25 s instead of the OS default of hours.
TCP_KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
EventSink = Callable[[list[Event]], None]


class Listener:
    """Delivers every committed outbox event once, in id order, to its sinks.

    Sinks are plain callables run in the listener task; they must not block (the hub only
    enqueues, the cache only drops keys, the webhook dispatcher only wakes up).
    """

    def __init__(
        self,
        url: str,
        *,
        poll_interval_s: float = 2.0,
        batch_size: int = 500,
        backoff_min_s: float = 0.05,
        backoff_max_s: float = 5.0,
        start_after: int | None = None,
    ) -> None:
        self._url = make_conninfo(libpq_url(url), connect_timeout=5, **TCP_KEEPALIVE)
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.last_id: int = start_after if start_after is not None else -1
        self.connected = False
        self.backend_pid: int | None = None
        self.reconnects = 0
        self.events_processed = 0
        self.last_error: str | None = None
        self.connected_since: dt.datetime | None = None
        self.last_event_at: dt.datetime | None = None
        self._sinks: list[EventSink] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._advanced = asyncio.Event()  # set (and replaced) after every dispatched batch

    def add_sink(self, sink: EventSink) -> None:
        self._sinks.append(sink)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self, *, wait_ready_s: float = 10.0) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-listener")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._ready.wait(), wait_ready_s)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self.connected = False

    def state(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "last_id": max(self.last_id, 0),
            "backend_pid": self.backend_pid,
            "reconnects": self.reconnects,
            "events_processed": self.events_processed,
            "last_error": self.last_error,
            "connected_since": self.connected_since.isoformat() if self.connected_since else None,
            "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
            "poll_interval_s": self.poll_interval_s,
        }

    # -- the loop ----------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = self.backoff_min_s
        while True:
            started = asyncio.get_running_loop().time()
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}".strip()[:500]
                log.warning("listener connection lost", extra={"error": self.last_error})
            except Exception as exc:  # a bug must not end delivery for good: log, back off
                self.last_error = f"{type(exc).__name__}: {exc}".strip()[:500]
                log.exception("listener failed")
            lived = asyncio.get_running_loop().time() - started
            if self.connected and lived > 5:  # a drop after a healthy session: retry quickly
                delay = self.backoff_min_s
            self.connected = False
            self.backend_pid = None
            self.reconnects += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.backoff_max_s)

    async def _session(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._url, autocommit=True) as conn:
            await listen(conn)
            if self.last_id < 0:  # first start: live from here; history is served by replay
                self.last_id = await max_event_id(conn)
            self.backend_pid = conn.info.backend_pid
            self.connected = True
            self.connected_since = dt.datetime.now(dt.timezone.utc)
            self.last_error = None
            log.info("listener connected", extra={"last_id": self.last_id})
            while True:
                await self._catch_up(conn)
                self._ready.set()
                # Wake-up only: the notification's payload is ignored, the rows are read above.
                async for _ in conn.notifies(timeout=self.poll_interval_s, stop_after=1):
                    pass

    async def _catch_up(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            events = await fetch_after(conn, self.last_id, limit=self.batch_size)
            if not events:
                return
            self._dispatch(events)
            if len(events) < self.batch_size:
                return

    async def wait_for_id(self, event_id: int, timeout_s: float) -> bool:
        """Wait until every sink has seen the event `event_id` (False on timeout, or at once
        while disconnected: the poll after reconnecting catches up anyway)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.last_id < event_id and self.connected:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._advanced.wait(), remaining)
        return self.last_id >= event_id

    def _dispatch(self, events: list[Event]) -> None:
        self.last_id = events[-1].id
        self.events_processed += len(events)
        self.last_event_at = events[-1].occurred_at
        for sink in self._sinks:
            try:
                sink(events)
            except Exception:  # a faulty sink must not stop delivery to the others
                log.exception("event sink failed", extra={"sink": repr(sink)})
        self._advanced.set()
        self._advanced = asyncio.Event()
