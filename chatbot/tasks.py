"""Small asyncio helpers shared by the long-running loops (listener, webhooks, reminders,
waitlist matcher)."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Stop a background loop: cancel it and wait until it has unwound (no-op for None)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
