"""One web app process, 10,000 patient sockets + 10 admin sockets, 100 events/s: admin
latency, exact per-patient delivery (zero misses, zero leaks) and memory.

    .venv/bin/python bench/bench_ws_fanout.py [--patients 10000] [--admins 10] [--rate 100]
                                              [--seconds 20]

Starts `python -m sync` (as the Procfile does) against a throw-away database seeded with
`--patients` patients, opens one socket per patient (its own patient token) and `--admins`
admin sockets (`raw_ws`, a lean client; the patients in `--client-procs` child processes,
the admins in this one, as they would be on other machines). A writer process commits
handoff requests for patients picked across the whole range at `--rate`/s, plus an
availability change every `--broadcast-every` s (every patient page is told, redacted).
Afterwards the outbox rows of the run decide what each patient should have received (its
own handoffs and every availability event): any missing id is a miss, any other id a leak.
Admin latency is receive time − the row's `created_at`. RSS of the web app from /proc.
Raises this process's open-file limit (inherited by the web app) when it is below what the
sockets need.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import time
from collections import defaultdict
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import psycopg
from common import (
    free_port,
    machine,
    paced,
    pct,
    rss_kib,
    scratch_database,
    seed_clinic,
    start_web_app,
    stop_process,
    token,
    wait_healthy,
)
from raw_ws import RawSocket, TextCallback, connect, occurred_at, raise_fd_limit

from chatbot.db import libpq_url


def write(url: str, patient_ids: list[int], rate: float, count: int, every_s: float) -> None:
    """`count` handoffs paced at `rate`/s (absolute schedule), an availability change every
    `every_s` seconds instead of one of them (0: none)."""
    every = max(1, int(rate * every_s)) if every_s > 0 else count + 1
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for i in paced(rate, count):
            if i % every == every - 1:
                conn.execute(
                    "INSERT INTO availability_exception (dentist_id, kind, starts_at, ends_at)"
                    " VALUES (1, 'off', now() + interval '1 day', now() + interval '25 hours')"
                )
                continue
            patient = patient_ids[(i * 7919) % len(patient_ids)]
            conn.execute(
                "INSERT INTO handoff_request (patient_id, sender) VALUES (%s, 'bench')", (patient,)
            )
    took = time.perf_counter() - started
    print(f"writer: {count} commits in {took:.1f} s = {count / took:.0f}/s", flush=True)


def patient_client(port: int, patient_ids: list[int], pipe: Connection) -> None:
    """A child process holding one socket per patient (patients are elsewhere, not in the
    admin's process): says "ready", waits for "stop", sends back what each patient got."""
    got: dict[int, list[int]] = defaultdict(list)

    def on_text(patient_id: int) -> TextCallback:
        def handle(payload: bytes, now: float) -> None:
            doc = json.loads(payload)
            if "id" in doc:  # the snapshot message has none
                got[patient_id].append(doc["id"])

        return handle

    async def main() -> None:
        paths = [(f"/ws?token={token('patient', p)}", on_text(p)) for p in patient_ids]
        sockets = await open_all(port, paths)
        pipe.send("ready")
        await asyncio.to_thread(pipe.recv)
        closed = sum(1 for s in sockets if s.closed.done())
        for s in sockets:
            s.close()
        pipe.send((dict(got), closed))

    asyncio.run(main())


async def open_all(
    port: int, paths: list[tuple[str, TextCallback]], batch: int = 200
) -> list[RawSocket]:
    sockets: list[RawSocket] = []
    for first in range(0, len(paths), batch):
        chunk = paths[first : first + batch]
        sockets += await asyncio.gather(
            *(connect("127.0.0.1", port, path, cb) for path, cb in chunk)
        )
    return sockets


class Admins:
    def __init__(self) -> None:
        self.latency_ms: list[float] = []
        self.received = 0

    def on_text(self, payload: bytes, now: float) -> None:
        if b'"occurred_at"' in payload:
            self.latency_ms.append((now - occurred_at(payload)) * 1000)
            self.received += 1


async def run(url: str, args: argparse.Namespace) -> None:
    with psycopg.connect(libpq_url(url)) as conn:
        patient_ids = [r[0] for r in conn.execute("SELECT id FROM patient ORDER BY id")]
    patient_ids = patient_ids[: args.patients]
    port = free_port()
    proc = start_web_app(url, port)
    admins = Admins()
    ctx = mp.get_context("spawn")
    clients: list[tuple[BaseProcess, Connection]] = []
    try:
        await wait_healthy(f"http://127.0.0.1:{port}")
        rss_idle = rss_kib(proc.pid)
        started = time.perf_counter()
        for k in range(args.client_procs):
            mine, theirs = ctx.Pipe()
            child = ctx.Process(
                target=patient_client, args=(port, patient_ids[k :: args.client_procs], theirs)
            )
            child.start()
            clients.append((child, mine))
        for _, pipe in clients:
            assert await asyncio.to_thread(pipe.recv) == "ready"
        admin_path = f"/ws?token={token('admin')}"
        sockets = await open_all(port, [(admin_path, admins.on_text)] * args.admins)
        opened_s = time.perf_counter() - started
        await asyncio.sleep(2.0)  # every snapshot is in
        rss_open = rss_kib(proc.pid)
        with psycopg.connect(libpq_url(url)) as conn:
            row = conn.execute("SELECT coalesce(max(id), 0) FROM sync_event").fetchone()
            first_id = row[0] if row else 0
        count = int(args.rate * args.seconds)
        writer = ctx.Process(
            target=write, args=(url, patient_ids, args.rate, count, args.broadcast_every)
        )
        writer.start()
        await asyncio.to_thread(writer.join)
        deadline = time.monotonic() + 30
        while admins.received < count * args.admins and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # patients' last frames
        rss_after = rss_kib(proc.pid)
        got: dict[int, list[int]] = {}
        closed = sum(1 for s in sockets if s.closed.done())
        for child, pipe in clients:
            pipe.send("stop")
            part, part_closed = await asyncio.to_thread(pipe.recv)
            got |= part
            closed += part_closed
            child.join()
        for s in sockets:
            s.close()
        with psycopg.connect(libpq_url(url)) as conn:
            rows = conn.execute(
                "SELECT id, type, patient_id FROM sync_event WHERE id > %s ORDER BY id",
                (first_id,),
            ).fetchall()
    finally:
        stop_process(proc)
        for child, _ in clients:
            child.kill()
    report(args, admins, got, rows, patient_ids, opened_s, closed, (rss_idle, rss_open, rss_after))


def report(
    args: argparse.Namespace,
    admins: Admins,
    patient_got: dict[int, list[int]],
    rows: list[tuple[int, str, int | None]],
    patient_ids: list[int],
    opened_s: float,
    closed: int,
    rss: tuple[int, int, int],
) -> None:
    broadcast = [i for i, kind, _ in rows if kind == "availability.updated"]
    own: dict[int, list[int]] = defaultdict(list)
    for ident, kind, patient_id in rows:
        if kind != "availability.updated" and patient_id is not None:
            own[patient_id].append(ident)
    misses = leaks = exact = 0
    for patient_id in patient_ids:
        expected = sorted(own.pop(patient_id, []) + broadcast)
        got = patient_got.pop(patient_id, [])
        misses += len(set(expected) - set(got))
        leaks += len(set(got) - set(expected)) + (len(got) - len(set(got)))  # or twice
        exact += got == expected
    stray = sum(len(v) for v in own.values())  # rows for patients without a socket
    patients = len(patient_ids)
    lat = admins.latency_ms
    print(f"# {patients} patient + {args.admins} admin sockets, one web app, {machine()}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}; sockets opened in {opened_s:.1f} s")
    print(f"events committed: {len(rows)} ({len(broadcast)} availability broadcasts)")
    print(
        f"admin latency  n={len(lat)} (expected {len(rows) * args.admins})"
        f"  p50={pct(lat, 50):.2f} ms"
        f"  p95={pct(lat, 95):.2f} ms  p99={pct(lat, 99):.2f} ms  max={max(lat):.2f} ms"
    )
    print(
        f"patients: misses {misses}, leaks {leaks}; streams exactly as expected and in order"
        f" {exact}/{patients}; events for patients without a socket {stray}"
    )
    print(f"sockets closed by the server during the run: {closed}")
    print(
        f"web app VmRSS: idle {rss[0] / 1024:.1f} MiB, {patients + args.admins} sockets"
        f" {rss[1] / 1024:.1f} MiB, after the run {rss[2] / 1024:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--admins", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--broadcast-every", type=float, default=5.0, help="seconds; 0: none")
    parser.add_argument("--client-procs", type=int, default=2, help="processes for patients")
    args = parser.parse_args()
    limit = raise_fd_limit(2 * (args.patients + args.admins) + 1024)
    print(f"open-file limit (this process and the web app): {limit}")
    with scratch_database("bench_ws_fanout") as url:
        seed_clinic(url, dentists=3, patients=args.patients)
        asyncio.run(run(url, args))


if __name__ == "__main__":
    main()
