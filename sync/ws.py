"""`GET /ws?since=<id>`: snapshot point, ordered replay, then the live stream: no gap, no duplicate.

Order of operations is what makes it gap-free: subscribe to the hub and read the listener's
`last_id` (the snapshot point N) in one step without awaiting in between, so every event
> N is queued for this socket by the hub; then replay `since < id <= N` from the outbox; then
drain the queue, skipping ids already sent. One sender task per socket; the handler itself
only reads (so pings/close frames are processed). Heartbeat pings come from aiohttp
(`heartbeat=settings.heartbeat_s`): a peer that misses its pong is closed and reaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import weakref

from aiohttp import WSCloseCode, WSMsgType, web

from chatbot.auth import Principal
from chatbot.errors import InvalidInput
from chatbot.events import view_for
from chatbot.repositories.events import fetch_after
from sync.hub import Dropped, Outgoing, Subscriber
from sync.keys import HUB, LISTENER, METRICS, POOL, SETTINGS, STATS, principal_from_request

log = logging.getLogger(__name__)

SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("sockets")
REPLAY_PAGE = 500
WRITE_BUFFER_HIGH = 256 * 1024  # bytes the kernel has not taken yet: the peer is behind
DRAIN_POLL_S = 0.01
SINCE_PATTERN = re.compile(r"[0-9]{1,18}")  # ASCII digits only
_closers: set[asyncio.Task[bool]] = set()


def _since(request: web.Request) -> int | None:
    raw = request.query.get("since")
    if raw is None or raw == "":
        return None
    if not SINCE_PATTERN.fullmatch(raw):
        raise InvalidInput("since must be a non-negative integer event id")
    return int(raw)


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    principal = principal_from_request(request, allow_query=True)  # 401 before the upgrade
    since = _since(request)
    app = request.app
    listener = app[LISTENER]
    ws = web.WebSocketResponse(heartbeat=app[SETTINGS].heartbeat_s, compress=False)
    await ws.prepare(request)
    if listener.last_id < 0:
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"listener not ready")
        return ws

    def on_drop(why: Dropped) -> None:  # the sender may be stuck writing: close from outside
        task = asyncio.ensure_future(ws.close(code=why.code, message=why.reason.encode()))
        _closers.add(task)
        task.add_done_callback(_closers.discard)

    sub = app[HUB].subscribe(principal, on_drop=on_drop)
    snapshot = listener.last_id  # taken together with subscribe: no await in between
    app[SOCKETS].add(ws)
    sender = asyncio.create_task(_send(request, ws, sub, since, snapshot), name="ws-sender")
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data.strip() == '{"type":"ping"}':
                await ws.send_str('{"type":"pong"}')
    finally:
        app[HUB].unsubscribe(sub)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
    return ws


async def _send(
    request: web.Request,
    ws: web.WebSocketResponse,
    sub: Subscriber,
    since: int | None,
    snapshot: int,
) -> None:
    stats, metrics = request.app[STATS], request.app[METRICS]
    await ws.send_str(json.dumps({"type": "snapshot", "last_id": snapshot}))
    last_sent = snapshot if since is None else since
    if since is not None and since < snapshot:
        last_sent = await _replay(request, ws, sub.principal, since, snapshot)
    while True:
        burst = [await sub.queue.get()]
        while not sub.queue.empty():  # everything queued meanwhile goes out in one write
            burst.append(sub.queue.get_nowait())
        live = [i for i in burst if isinstance(i, Outgoing) and i.id > last_sent]
        if live:  # ids <= last_sent were already replayed (or precede `since`)
            if not await _write_frames(request, ws, live):
                return
            last_sent = live[-1].id
            for item in live:
                stats.record_send(item.occurred_at)
                metrics.observe_lag("ws", item.occurred_at)
        if isinstance(burst[-1], Dropped):  # the hub empties the queue before queuing it
            await ws.close(code=burst[-1].code, message=burst[-1].reason.encode())
            return


async def _write_frames(
    request: web.Request, ws: web.WebSocketResponse, items: list[Outgoing]
) -> bool:
    """Write pre-built frames straight to the connection: one frame per event shared by all
    sockets, one write (one syscall) per burst instead of one per frame, which is what keeps
    1,000 events/s x 50 admins within one core. Frames are whole, so aiohttp's own pings and
    close frames interleave safely. Then wait while the peer lags (its queue fills meanwhile
    and the hub drops it). False when the socket is going away."""
    transport = request.transport
    if transport is None or transport.is_closing() or ws.closed:
        return False
    transport.write(b"".join(item.frame for item in items))
    while transport.get_write_buffer_size() > WRITE_BUFFER_HIGH:
        await asyncio.sleep(DRAIN_POLL_S)
        if transport.is_closing():
            return False
    return True


async def _replay(
    request: web.Request, ws: web.WebSocketResponse, principal: Principal, since: int, upto: int
) -> int:
    cursor = since
    stats, pool = request.app[STATS], request.app[POOL]
    while cursor < upto:
        async with pool.connection() as conn:  # released before sending: slow peers hold none
            events = await fetch_after(
                conn, cursor, limit=REPLAY_PAGE, upto=upto, principal=principal
            )
        if not events:
            break
        for event in events:
            text = view_for(principal, event)
            if text is not None:
                await ws.send_str(text)
                stats.incr("events_replayed")
        cursor = events[-1].id
    return upto


async def close_all_sockets(app: web.Application) -> None:
    """on_shutdown: every socket is closed with 1001 GOING_AWAY."""
    app[HUB].close_all(int(WSCloseCode.GOING_AWAY), "server shutting down")
    live = app[SOCKETS]
    sockets = list(live)
    await asyncio.gather(
        *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down") for ws in sockets),
        return_exceptions=True,
    )


def setup_ws(app: web.Application) -> None:
    app[SOCKETS] = weakref.WeakSet()
    app.router.add_get("/ws", ws_handler)
    app.on_shutdown.append(close_all_sockets)
