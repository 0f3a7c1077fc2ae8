"""Commit → admin-socket latency of the sync web app, plus the bare LISTEN/NOTIFY floor.

    .venv/bin/python bench/bench_sync_latency.py [--sockets 50] [--seconds 8]

Runs the web app (`sync.app.create_app`) in a child process on 127.0.0.1, opens N admin
WebSockets here (`raw_ws`: a lean client, so the client does not set the tail), and a writer
process commits one outbox event per transaction at 100/s and
then 1000/s. Latency per received message = receive time − the outbox row's `created_at`
(drawn inside the writing transaction, just before COMMIT). Uses `DATABASE_URL`, else a
throw-away embedded server in a temp dir; works in a database that is dropped afterwards.
Prints percentiles; bounded to about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import psycopg
from common import paced
from raw_ws import connect, occurred_at

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
        started = time.perf_counter()
        for _ in paced(rate, count):
            conn.execute("INSERT INTO handoff_request (sender, reason) VALUES ('bench', '')")
        took = time.perf_counter() - started
        print(
            f"{'  writer':<34} {count} commits in {took:.1f} s = {count / took:.0f}/s", flush=True
        )


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


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_phase(
    port: int, url: str, sockets: int, rate: float, seconds: float, server_pid: int
) -> list[float]:
    count = int(rate * seconds)
    token = issue_token(SECRET, Principal(sub="bench", role="admin"))
    latencies: list[float] = []
    received = [0] * sockets
    total = [0]
    done = asyncio.get_running_loop().create_future()

    def on_text(i: int) -> Callable[[bytes, float], None]:
        def handle(payload: bytes, now: float) -> None:
            if payload.startswith(b'{"type": "snapshot"'):
                return
            latencies.append((now - occurred_at(payload)) * 1000)
            received[i] += 1
            total[0] += 1
            if total[0] == count * sockets and not done.done():
                done.set_result(None)

        return handle

    conns = [
        await connect("127.0.0.1", port, "/ws", on_text(i), Authorization=f"Bearer {token}")
        for i in range(sockets)
    ]
    await asyncio.sleep(0.5)  # every snapshot frame is in
    writer = mp.get_context("spawn").Process(target=write, args=(url, rate, count))
    cpu_before, client_before = cpu_s(server_pid), time.process_time()
    writer.start()
    try:
        await asyncio.wait({done}, timeout=seconds + 30)  # short of it: reported below
    finally:
        server_cpu, client_cpu = cpu_s(server_pid) - cpu_before, time.process_time() - client_before
        writer.join()
        for ws in conns:
            ws.close()
    frames = max(1, sum(received))
    print(
        f"{'  CPU per delivered frame':<34} web app {server_cpu / frames * 1e6:.1f} µs,"
        f" bench client {client_cpu / frames * 1e6:.1f} µs ({frames} frames)"
    )
    print(f"{'  events per socket':<34} min {min(received)} max {max(received)} (sent {count})")
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{port}/api/realtime/stats",
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
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
            lat = await run_phase(port, url, args.sockets, rate, args.seconds, server.pid)
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
