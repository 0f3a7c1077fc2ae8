"""Commit → admin-socket latency of the sync web app, plus the bare LISTEN/NOTIFY floor.

    .venv/bin/python bench/bench_sync_latency.py [--sockets 50] [--seconds 8]

Runs the web app (`sync.app.create_app`) in a child process on 127.0.0.1, opens N admin
WebSockets here, and a writer process commits one outbox event per transaction at 100/s and
then 1000/s. Latency per received message = receive time − the outbox row's `created_at`
(drawn inside the writing transaction, just before COMMIT). Uses `DATABASE_URL`, else a
throw-away embedded server in a temp dir; works in a database that is dropped afterwards.
Prints percentiles; bounded to about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psycopg

from chatbot.auth import Principal, issue_token
from chatbot.config import Settings
from chatbot.db import libpq_url, migrate, start_embedded, stop_embedded

SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} no samples"
    return (
        f"{name:<34} n={len(values):>6}  p50={pct(values, 50):7.2f} ms  p95={pct(values, 95):7.2f}"
        f" ms  p99={pct(values, 99):7.2f} ms  max={max(values):7.2f} ms"
    )


def with_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def scratch_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    path.chmod(0o755)  # the embedded server runs as its own user
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int) -> None:
    from aiohttp import web

    from sync.app import create_app

    settings = Settings(jwt_secret=SECRET, client_queue_size=100_000, poll_interval_s=2.0)
    web.run_app(create_app(settings, db_url=url), host="127.0.0.1", port=port, print=None)


def write(url: str, rate: float, count: int) -> None:
    """`count` commits paced at `rate` per second (absolute schedule, no drift)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        start = time.perf_counter()
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            conn.execute("INSERT INTO handoff_request (sender, reason) VALUES ('bench', '')")


async def wait_healthy(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"{base}/api/realtime/health") as resp:
                    if resp.status == 200 and (await resp.json())["status"] == "ok":
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("web app did not become healthy")


async def run_phase(base: str, url: str, sockets: int, rate: float, seconds: float) -> list[float]:
    count = int(rate * seconds)
    token = issue_token(SECRET, Principal(sub="bench", role="admin"))
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        conns = [
            await session.ws_connect(f"{base}/ws", headers={"Authorization": f"Bearer {token}"})
            for _ in range(sockets)
        ]
        for ws in conns:
            assert json.loads((await ws.receive()).data)["type"] == "snapshot"

        async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
            for _ in range(count):
                msg = await ws.receive(timeout=30)
                now = time.time()
                occurred = dt.datetime.fromisoformat(json.loads(msg.data)["occurred_at"])
                latencies.append((now - occurred.timestamp()) * 1000)

        writer = mp.get_context("spawn").Process(target=write, args=(url, rate, count))
        readers = [asyncio.create_task(drain(ws)) for ws in conns]
        writer.start()
        await asyncio.wait_for(asyncio.gather(*readers), timeout=seconds + 30)
        writer.join()
        for ws in conns:
            await ws.close()
        async with session.get(
            f"{base}/api/realtime/stats", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            server = (await resp.json())["latency_ms"]
    print(
        f"{'  server side (commit→send)':<34} last {server['samples']} sends: p50={server['p50']}"
        f" ms  p95={server['p95']} ms  p99={server['p99']} ms"
    )
    return latencies


async def notify_floor(url: str, rounds: int = 300) -> list[float]:
    """Bare psycopg: NOTIFY on one connection → received on a LISTENing one."""
    out = []
    async with (
        await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) as listener,
        await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) as sender,
    ):
        await listener.execute("LISTEN bench_floor")
        for _ in range(rounds):
            started = time.perf_counter()
            await sender.execute("NOTIFY bench_floor, '1'")
            async for _n in listener.notifies(stop_after=1):
                pass
            out.append((time.perf_counter() - started) * 1000)
    return out


async def main_async(args: argparse.Namespace) -> None:
    scratch: Path | None = None
    root = os.environ.get("DATABASE_URL") or ""
    if not root:
        scratch = scratch_dir()
        root = start_embedded(scratch / "pg")
    name = f"bench_sync_{os.getpid()}"
    with psycopg.connect(libpq_url(root), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = with_db(root, name)
    server = None
    try:
        migrate(url)
        port = free_port()
        server = mp.get_context("spawn").Process(target=serve, args=(url, port), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        await wait_healthy(base)
        cpus, py = os.cpu_count(), sys.version.split()[0]
        print(f"# {args.sockets} admin sockets, {cpus} CPUs, python {py}")
        print(summary("LISTEN/NOTIFY round trip (floor)", await notify_floor(url)))
        for rate in (100.0, 1000.0):
            lat = await run_phase(base, url, args.sockets, rate, args.seconds)
            print(summary(f"commit→socket @ {rate:.0f} ev/s", lat))
            print(f"{'  mean':<34} {statistics.fmean(lat):.2f} ms")
    finally:
        if server is not None:
            server.terminate()
            server.join(10)
        with psycopg.connect(libpq_url(root), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if scratch is not None:
            stop_embedded(scratch / "pg")
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0, help="per rate")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
