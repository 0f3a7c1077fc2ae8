"""Cancellation → waitlist offer on the waiting patient's socket (target p95 <= 1 s).

    .venv/bin/python bench/bench_waitlist.py [--rounds 50] [--waiting 100]

The web app runs as `python -m sync` (listener + waitlist matcher) on a throw-away database.
`--waiting` patients are in line first with windows that never fit (background load the
matcher walks past every time). Each round: a check-up is booked for dentist 1, a fresh
patient joins the waitlist for exactly that start and opens a WebSocket; the clock starts
before the cancel request is sent and stops when `waitlist.offered` arrives on that socket
(request + commit + NOTIFY + listener + matching pass + hold + outbox + socket).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time

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

SLOTS_PER_DAY = 12  # 08:00, 08:45, ... (check-up 30 min + 10 min buffer)


def starts(rounds: int) -> list[dt.datetime]:
    today = dt.datetime.now(BERLIN).date()
    out = []
    for day in weekdays_from(today + dt.timedelta(days=2), rounds // SLOTS_PER_DAY + 1):
        first = dt.datetime.combine(day, dt.time(8), BERLIN)
        out += [first + dt.timedelta(minutes=45 * k) for k in range(SLOTS_PER_DAY)]
    return out[:rounds]


async def post(session: aiohttp.ClientSession, base: str, path: str, body: dict, who: str) -> dict:
    async with session.post(
        f"{base}{path}", json=body, headers={"Authorization": f"Bearer {who}"}
    ) as resp:
        if resp.status >= 300:
            raise RuntimeError(f"{path}: {resp.status} {await resp.text()}")
        return await resp.json() if resp.status != 204 else {}


async def one_round(
    session: aiohttp.ClientSession, base: str, start: dt.datetime, patient: int
) -> float:
    admin = token("admin")
    appt = await post(session, base, "/api/appointments",
                      {"dentist_id": 1, "treatment": "checkup", "starts_at": start.isoformat(),
                       "patient_id": 1}, admin)  # fmt: skip
    window = {"treatment": "checkup", "dentist_id": 1, "from": start.isoformat(),
              "to": (start + dt.timedelta(minutes=1)).isoformat()}  # fmt: skip
    await post(session, base, "/api/waitlist", window, token("patient", patient))
    ws = await session.ws_connect(
        f"{base}/ws", headers={"Authorization": f"Bearer {token('patient', patient)}"}
    )
    assert json.loads((await ws.receive(timeout=10)).data)["type"] == "snapshot"
    started = time.perf_counter()
    await post(session, base, f"/api/appointments/{appt['id']}/cancel", {}, admin)
    while True:
        doc = json.loads((await ws.receive(timeout=30)).data)
        if doc["type"] == "waitlist.offered":
            elapsed = (time.perf_counter() - started) * 1000
            break
    await ws.close()
    return elapsed


async def background_line(session: aiohttp.ClientSession, base: str, first: int, n: int) -> None:
    """Patients waiting for Sunday mornings (the clinic is closed): walked past, never served."""
    today = dt.datetime.now(BERLIN).date()
    sunday = today + dt.timedelta(days=(7 - today.isoweekday()) % 7 + 7)
    body = {"treatment": "checkup", "from": f"{sunday}T08:00", "to": f"{sunday}T12:00"}
    for patient in range(first, first + n):
        await post(session, base, "/api/waitlist", body, token("patient", patient))


async def main(rounds: int, waiting: int) -> None:
    print(f"machine: {machine()}; rounds={rounds}, waiting in line={waiting}")
    with scratch_database("bench_waitlist") as url:
        seed_clinic(url, dentists=3, patients=rounds + waiting + 10)
        port = free_port()
        proc = start_web_app(url, port, APP_WRITE_RATE_LIMIT="100000")
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_healthy(base)
            async with aiohttp.ClientSession() as session:
                await background_line(session, base, rounds + 5, waiting)
                latencies = [
                    await one_round(session, base, start, patient=3 + i)
                    for i, start in enumerate(starts(rounds))
                ]
        finally:
            stop_process(proc)
    print(summary("cancel → waitlist.offered on socket", latencies))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--waiting", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.waiting))
