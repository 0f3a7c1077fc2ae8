"""Booking throughput with 64 concurrent writers, sync listener on vs off.

    .venv/bin/python bench/bench_booking.py [--writers 64] [--seconds 6] [--sockets 50]

Each writer thread books check-ups through `chatbot.services.booking.book` (the path REST and
chat take: slot check + insert + outbox trigger, one transaction), its own dentist and patient,
so no booking conflicts and the numbers show pure write throughput.

- off:      nothing consumes the outbox.
- listener: the web app (`python -m sync`: listener + slot cache + hub + webhook dispatcher)
            runs in its own process, no sockets.
- on:       the web app plus a third process keeping `--sockets` admin WebSockets draining
            (all on the same cores as the writers and Postgres).
After a 3 s warm-up, phases run off, on, listener, listener, on, off (linear drift cancels);
the sync cost is 1 - on/off. Then off, nolock, nolock, off measures the outbox's
commit-serialising advisory lock (`sync_event_emit` replaced without the lock in this
throw-away database, then restored): what ordering costs.
Target: sync costs <= 10 %.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import statistics
import threading
import time
from typing import Any

import aiohttp
from common import (
    BERLIN,
    free_port,
    machine,
    scratch_database,
    seed_clinic,
    start_web_app,
    stop_process,
    summary,
    token,
    wait_healthy,
    weekdays_from,
)
from sqlalchemy import Engine, text

from chatbot.auth import Principal
from chatbot.db import make_engine
from chatbot.services import booking

DAYS_PER_PHASE = 5  # 11 blocks (warm-up + 10 phases) of weekdays fit the 90-day horizon
SLOTS_PER_DAY = 12  # 08:00, 08:45, ... (check-up 30 min + 10 min buffer)

NO_LOCK_EMIT = """
CREATE OR REPLACE FUNCTION sync_event_emit(p_type text, p_dentist integer, p_patient integer,
                                           p_data jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE new_id bigint;
BEGIN
    INSERT INTO sync_event (type, dentist_id, patient_id, data)
    VALUES (p_type, p_dentist, p_patient, p_data) RETURNING id INTO new_id;
    PERFORM pg_notify('sync_events', new_id::text);
    RETURN new_id;
END $$;
"""


def slots_for(phase: int) -> list[dt.datetime]:
    first = dt.datetime.now(BERLIN).date() + dt.timedelta(days=2)
    days = weekdays_from(first, DAYS_PER_PHASE * (phase + 1))[DAYS_PER_PHASE * phase :]
    return [
        dt.datetime.combine(day, dt.time(8), BERLIN) + dt.timedelta(minutes=45 * k)
        for day in days
        for k in range(SLOTS_PER_DAY)
    ]


def run_writers(engine: Engine, writers: int, seconds: float, phase: int) -> dict[str, Any]:
    starts = slots_for(phase)
    barrier = threading.Barrier(writers + 1)
    deadline: list[float] = []
    done: list[int] = [0] * writers
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def writer(i: int) -> None:
        who = Principal(sub=f"patient-{i + 1}", role="patient", patient_id=i + 1)
        mine: list[float] = []
        barrier.wait()
        for start in starts:
            if time.perf_counter() >= deadline[0]:
                break
            t0 = time.perf_counter()
            try:
                booking.book(
                    engine, who, patient_id=i + 1, dentist_id=i + 1, treatment="checkup",
                    starts_at=start,
                )  # fmt: skip
            except Exception as exc:  # counted, shown; a conflict here would be a bench bug
                with lock:
                    errors.append(type(exc).__name__)
                continue
            mine.append((time.perf_counter() - t0) * 1000)
            done[i] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    deadline.append(time.perf_counter() + seconds)
    began = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {"per_s": sum(done) / elapsed, "n": sum(done), "errors": errors, "lat": latencies}


def drain_sockets(base: str, n: int, ready: Any, stop: Any, result: Any) -> None:
    """Child process: n admin sockets that read everything; reports per-socket counts."""

    async def main() -> None:
        counts = [0] * n
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            auth = {"Authorization": f"Bearer {token('admin')}"}
            sockets = [await session.ws_connect(f"{base}/ws", headers=auth) for _ in range(n)]
            for ws in sockets:
                assert json.loads((await ws.receive()).data)["type"] == "snapshot"

            async def read(i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        counts[i] += 1

            tasks = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            last = -1
            while sum(counts) != last:  # until the stream is quiet
                last = sum(counts)
                await asyncio.sleep(1.0)
            result.put((min(counts), max(counts)))
            for t in tasks:
                t.cancel()
            for ws in sockets:
                await ws.close()

    asyncio.run(main())


def phase(engine: Engine, url: str, args: argparse.Namespace, n: int, mode: str) -> float:
    """mode: off | listener (web app, no sockets) | on (web app + sockets) | nolock (off,
    outbox function without its advisory lock)."""
    web = drainer = None
    ctx = mp.get_context("spawn")
    stop, ready, result = ctx.Event(), ctx.Event(), ctx.Queue()
    if mode in ("listener", "on"):
        port = free_port()
        web = start_web_app(url, port)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_healthy(base))
    if mode == "on":
        drainer = ctx.Process(target=drain_sockets, args=(base, args.sockets, ready, stop, result))
        drainer.start()
        ready.wait(60)
    try:
        out = run_writers(engine, args.writers, args.seconds, n)
    finally:
        seen = ""
        if drainer is not None:
            stop.set()
            lo, hi = result.get(timeout=120)
            seen = f"; every socket got {lo}..{hi} events"
            drainer.join(10)
        if web is not None:
            stop_process(web)
    label = f"phase {n + 1:>2} {mode:<8}"
    errs = f"; errors {dict((e, out['errors'].count(e)) for e in set(out['errors']))}"
    print(
        f"{label}: {out['per_s']:7.1f} bookings/s ({out['n']} in {args.seconds:.0f} s)"
        + (errs if out["errors"] else "")
        + seen
    )
    print(summary(f"  {label} booking latency", out["lat"]))
    return float(out["per_s"])


def set_lock(engine: Engine, original: str, locked: bool) -> None:
    with engine.begin() as conn:
        conn.execute(text(original if locked else NO_LOCK_EMIT))


def run_schedule(
    engine: Engine, url: str, args: argparse.Namespace, modes: list[str], first: int
) -> dict[str, float]:
    """Mean bookings/s per mode over a symmetric schedule (ABBA...: linear drift cancels)."""
    with engine.connect() as conn:
        original = conn.execute(
            text("SELECT pg_get_functiondef('sync_event_emit'::regproc)")
        ).scalar_one()
    rates: dict[str, list[float]] = {}
    for i, mode in enumerate(modes):
        set_lock(engine, original, mode != "nolock")
        rates.setdefault(mode, []).append(phase(engine, url, args, first + i, mode))
    set_lock(engine, original, True)
    return {mode: statistics.fmean(values) for mode, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--sockets", type=int, default=50)
    args = parser.parse_args()
    with scratch_database("bench_booking") as url:
        seed_clinic(url, dentists=args.writers, patients=args.writers)
        engine = make_engine(url, pool_size=args.writers, max_overflow=8)
        print(f"# {args.writers} writers, {args.sockets} sockets when on, {machine()}, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        run_writers(engine, args.writers, 3.0, 10)  # warm-up: connections, caches (not counted)
        sync = run_schedule(
            engine, url, args, ["off", "on", "listener", "listener", "on", "off"], 0
        )
        off = sync["off"]
        print(
            f"sync off {off:.1f}/s; listener only {sync['listener']:.1f}/s "
            f"(cost {(1 - sync['listener'] / off) * 100:.1f} %); listener + {args.sockets} "
            f"sockets {sync['on']:.1f}/s: on/off = {sync['on'] / off:.3f}, "
            f"sync cost = {(1 - sync['on'] / off) * 100:.1f} % (target <= 10 %)"
        )
        lock = run_schedule(engine, url, args, ["off", "nolock", "nolock", "off"], 6)
        print(
            f"advisory lock in sync_event_emit: {lock['off']:.1f}/s with, "
            f"{lock['nolock']:.1f}/s without → ordering costs "
            f"{(1 - lock['off'] / lock['nolock']) * 100:.1f} %"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
