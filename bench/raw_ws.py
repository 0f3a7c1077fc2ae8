"""A minimal WebSocket client for benchmarks: thousands of sockets, tens of thousands of frames
per second, in one Python process.

aiohttp's client costs ~20-30 µs of CPU per received message; at 50 sockets x 1,000 events/s
that is more than the one core the bench client gets on a 2-core box, so the client, not the
server, would set the measured tail. This protocol reads whole TCP chunks, splits the
(unmasked, unfragmented) server frames itself, stamps the arrival time once per chunk and
hands each text payload (bytes) to a callback. It answers pings (so the server's heartbeat
never reaps it) and sends a masked close frame on `close()`. Real sockets, real frames; only
the client-side bookkeeping is lean.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import resource
import time
from collections.abc import Callable

TextCallback = Callable[[bytes, float], None]

OP_TEXT, OP_CLOSE, OP_PING = 0x1, 0x8, 0x9


def _masked(opcode: int, payload: bytes) -> bytes:
    """A client frame (RFC 6455: client frames are masked)."""
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + body


class RawSocket(asyncio.Protocol):
    def __init__(self, on_text: TextCallback) -> None:
        self.on_text = on_text
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed before the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self._buf
        buf += data
        if not self.upgraded.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.upgraded.set_result(None)
        pos, size = 0, len(buf)
        while size - pos >= 2:
            opcode, length, head = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            if opcode == OP_TEXT:
                self.on_text(payload, now)
            elif opcode == OP_PING and self.transport is not None:
                self.transport.write(_masked(0xA, payload))
            elif opcode == OP_CLOSE and not self.closed.done():
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self.closed.set_result(code)
        del buf[:pos]

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_masked(OP_CLOSE, (1000).to_bytes(2, "big")))
            self.transport.close()


async def connect(
    host: str, port: int, path: str, on_text: TextCallback, **headers: str
) -> RawSocket:
    """Open `ws://host:port/path` (HTTP/1.1 upgrade) and return once the server said 101."""
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(lambda: RawSocket(on_text), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    assert proto.transport is not None
    proto.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await asyncio.wait_for(proto.upgraded, 30)
    return proto


def occurred_at(payload: bytes) -> float:
    """The event's `occurred_at` as a UNIX time, read without parsing the whole JSON."""
    start = payload.index(b'"occurred_at":"') + 15
    return dt.datetime.fromisoformat(
        payload[start : payload.index(b'"', start)].decode()
    ).timestamp()


def raise_fd_limit(needed: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft
