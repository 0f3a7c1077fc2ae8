"""Signed webhook deliveries (Standard Webhooks) with retries for 72 h, then dead-letter.

Headers: `webhook-id` = the outbox event id (receivers dedupe by it), `webhook-timestamp`
(send time, Unix seconds), `webhook-signature` = `v1,<base64 HMAC-SHA256>` over
`{id}.{timestamp}.{body}` with the endpoint's `whsec_…` secret. Body = the event envelope.

Schedule after each failed attempt: immediately (the first attempt), 5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 10 h, … while less than 72 h have passed since the delivery's window started; a
failure after that dead-letters it. `clock` is injectable so tests step through 72 h at once.

CLI: `python -m sync.webhooks redeliver (--all-dead | DELIVERY_ID)`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from standardwebhooks import Webhook

from chatbot.db import libpq_url
from chatbot.events import Event
from chatbot.repositories import webhooks as store
from chatbot.tasks import cancel_and_wait
from sync.metrics import Metrics

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)  # then 10 h, 10 h, …
RETRY_WINDOW = dt.timedelta(hours=72)
LEASE = dt.timedelta(seconds=60)
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def next_attempt_after_failure(
    window_start: dt.datetime, attempts_done: int, now: dt.datetime
) -> dt.datetime | None:
    """When to try again after `attempts_done` attempts failed; None = dead-letter."""
    if now - window_start >= RETRY_WINDOW:
        return None
    delay = RETRY_DELAYS_S[min(attempts_done, len(RETRY_DELAYS_S) - 1)]
    return now + dt.timedelta(seconds=delay)


def signed_request(secret: str, event: Event) -> tuple[str, dict[str, str]]:
    body = event.to_json()
    msg_id = str(event.id)
    sent_at = dt.datetime.now(dt.timezone.utc)  # real time: receivers check it (±5 min)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, sent_at, body),
        "user-agent": "dental-sync-webhooks/1",
    }
    return body, headers


class WebhookDispatcher:
    """Turns outbox events into deliveries and sends what is due. Safe to run in several
    processes (claims use SKIP LOCKED leases)."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        clock: Clock = system_clock,
        poll_s: float = 2.0,
        timeout_s: float = 10.0,
        batch: int = 50,
        concurrency: int = 8,
        metrics: Metrics | None = None,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self.clock = clock
        self.poll_s = poll_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._batch = batch
        self._sem = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def on_events(self, events: list[Event]) -> None:
        """Listener sink: only wakes the loop."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="webhook-dispatcher")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        if self._session:
            await self._session.close()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook dispatch round failed")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
            # lands together with a wake-up, and stop() then hangs (found by tests/test_faults.py
            # web-app-restart under write load; minimal fix added by the reliability helper).
            with contextlib.suppress(asyncio.TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await self._wake.wait()
            self._wake.clear()

    async def run_once(self) -> int:
        """Enqueue new events, then send every delivery due now. Returns attempts made."""
        async with self._pool.connection() as conn:
            await store.enqueue_new(conn, self.clock())
        made = 0
        while True:
            now = self.clock()
            async with self._pool.connection() as conn:
                due = await store.claim_due(conn, now, now + LEASE, self._batch)
            if not due:
                return made
            await asyncio.gather(*(self._attempt(c) for c in due))
            made += len(due)

    async def _attempt(self, claimed: store.Claimed) -> None:
        async with self._sem:
            status, error, ms = await self._post(claimed)
        now = self.clock()
        if status is not None and 200 <= status < 300:
            outcome, nxt = "delivered", None
        else:
            nxt = next_attempt_after_failure(claimed.window_start, claimed.attempts + 1, now)
            outcome = "pending" if nxt else "dead"
        async with self._pool.connection() as conn:
            await store.record_attempt(
                conn,
                claimed,
                at=now,
                status_code=status,
                error=error,
                duration_ms=ms,
                outcome=outcome,
                next_attempt_at=nxt,
            )
        if self._metrics is not None:
            self._metrics.deliveries.labels("failed" if outcome == "pending" else outcome).inc()
            if outcome == "delivered":
                self._metrics.observe_lag("webhook", claimed.event.occurred_at)
        if outcome == "dead":
            log.warning("webhook dead-lettered", extra={"delivery": claimed.delivery_id})

    async def _post(self, claimed: store.Claimed) -> tuple[int | None, str | None, int]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body, headers = signed_request(claimed.secret, claimed.event)
        started = time.perf_counter()
        try:
            async with self._session.post(claimed.url, data=body, headers=headers) as resp:
                await resp.read()
                status, error = resp.status, None if resp.status < 300 else f"HTTP {resp.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"[:500]
        return status, error, int((time.perf_counter() - started) * 1000)

    async def delivery_counts(self) -> dict[str, int]:
        async with self._pool.connection() as conn:
            return await store.delivery_counts(conn)


async def redeliver(url: str, delivery_id: int | None, clock: Clock = system_clock) -> int:
    """Queue one delivery (or every dead one when `delivery_id` is None) at `clock()`: the
    dispatcher that sends it must share that clock, so tests pass their fake one."""
    async with await AsyncConnection.connect(libpq_url(url), autocommit=True) as conn:
        return await store.redeliver(conn, clock(), delivery_id)


def main(argv: list[str] | None = None) -> int:
    from chatbot.config import Settings
    from chatbot.db import database_url

    parser = argparse.ArgumentParser(prog="python -m sync.webhooks")
    sub = parser.add_subparsers(dest="cmd", required=True)
    red = sub.add_parser("redeliver", help="queue dead (or one) deliveries again")
    which = red.add_mutually_exclusive_group(required=True)
    which.add_argument("--all-dead", action="store_true", help="every dead-lettered delivery")
    which.add_argument("delivery_id", nargs="?", type=int, help="one delivery by id")
    args = parser.parse_args(argv)
    url = database_url(Settings.from_env(), shared=True)
    count = asyncio.run(redeliver(url, None if args.all_dead else args.delivery_id))
    print(f"{count} deliver{'y' if count == 1 else 'ies'} queued; the web app sends them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
