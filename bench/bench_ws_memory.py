"""Memory of the web app with 1,000 idle authenticated WebSockets.

    .venv/bin/python bench/bench_ws_memory.py [--sockets 1000]

Starts `python -m sync` (as the Procfile does) on a free port against a throw-away database,
reads its VmRSS from /proc/<pid>/status, opens the sockets (patient tokens, each gets its
snapshot message), lets them idle, reads VmRSS again, and then once more after one event
has been fanned out to every socket.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import aiohttp
import psycopg
from common import (
    free_port,
    machine,
    rss_kib,
    scratch_database,
    seed_clinic,
    start_web_app,
    stop_process,
    wait_healthy,
)
from common import token as make_token

from chatbot.db import libpq_url

Socket = aiohttp.ClientWebSocketResponse


async def open_sockets(base: str, n: int, session: aiohttp.ClientSession) -> list[Socket]:
    async def one(i: int) -> Socket:
        ws = await session.ws_connect(f"{base}/ws?token={make_token('patient', i + 1)}")
        assert json.loads((await ws.receive(timeout=30)).data)["type"] == "snapshot"
        return ws

    sockets: list[Socket] = []
    for first in range(0, n, 100):
        sockets += await asyncio.gather(*(one(i) for i in range(first, min(n, first + 100))))
    return sockets


async def measure(url: str, n: int) -> None:
    port = free_port()
    proc = start_web_app(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base)
        await asyncio.sleep(1.0)
        idle = rss_kib(proc.pid)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            sockets = await open_sockets(base, n, session)
            await asyncio.sleep(2.0)
            loaded = rss_kib(proc.pid)
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:  # seen by every patient
                conn.execute(
                    "INSERT INTO availability_exception (dentist_id, kind, starts_at, ends_at)"
                    " VALUES (1, 'off', now() + interval '1 day', now() + interval '25 hours')"
                )
            await asyncio.sleep(2.0)
            after_event = rss_kib(proc.pid)
            for ws in sockets:
                await ws.close()
        print(f"# web app pid {proc.pid}, {n} idle patient sockets, {machine()}")
        print(f"VmRSS before sockets          {idle / 1024:8.1f} MiB")
        print(f"VmRSS with {n} sockets      {loaded / 1024:8.1f} MiB")
        print(f"VmRSS after one fan-out event {after_event / 1024:8.1f} MiB")
        print(f"per socket                    {(loaded - idle) / n:8.1f} KiB")
    finally:
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    args = parser.parse_args()
    with scratch_database("bench_ws_memory") as url:
        seed_clinic(url, dentists=3, patients=2)
        asyncio.run(measure(url, args.sockets))


if __name__ == "__main__":
    main()
