"""What the booking/slot/memory benchmarks share: a throw-away database, percentiles, tokens,
the web app as a child process (`python -m sync`), and demo-like data at scale.

Not a test helper: benchmarks print numbers and never assert timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import psycopg

from chatbot.auth import Principal, issue_token
from chatbot.db import libpq_url, migrate, start_embedded, stop_embedded

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
BERLIN = ZoneInfo("Europe/Berlin")


# --- numbers ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(name: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"{name:<44} no samples"
    return (
        f"{name:<44} n={len(values):>5}  p50={pct(values, 50):8.2f} {unit}  "
        f"p95={pct(values, 95):8.2f} {unit}  max={max(values):8.2f} {unit}"
    )


def paced(rate: float, count: int) -> Iterator[int]:
    """0..count-1, each yielded at its slot of an absolute `rate`/s schedule (no drift)."""
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield i


def machine() -> str:
    return f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}"


# --- a throw-away database -------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A migrated, empty database: on `DATABASE_URL`'s server when set, else on an embedded
    server in a temp dir. Dropped (and the server stopped) afterwards."""
    scratch: Path | None = None
    root = os.environ.get("DATABASE_URL") or ""
    if not root:
        scratch = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        scratch.chmod(0o755)  # the embedded server runs as its own user when we are root
        root = start_embedded(scratch / "pg")
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(libpq_url(root), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = _with_db(root, name)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(libpq_url(root), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if scratch is not None:
            stop_embedded(scratch / "pg")
            shutil.rmtree(scratch, ignore_errors=True)


# --- data at scale ---------------------------------------------------------------------------


def seed_clinic(url: str, dentists: int, patients: int) -> None:
    """The demo clinic (Europe/Berlin, the demo treatments), `dentists` dentists working
    Mon-Fri 08:00-18:00 from yesterday on, and `patients` patients."""
    from sqlalchemy import text

    from chatbot.db import make_engine
    from chatbot.seed import seed_demo

    today = dt.datetime.now(BERLIN).date()
    engine = make_engine(url)
    with engine.begin() as conn:
        seed_demo(conn, today - dt.timedelta(days=1))
        have = conn.execute(text("SELECT count(*) FROM dentist")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO dentist (name) SELECT 'Dentist ' || g"
                " FROM generate_series(CAST(:a AS int), CAST(:b AS int)) g"
            ),
            {"a": have + 1, "b": dentists},
        )
        conn.execute(text("DELETE FROM availability_rule"))
        conn.execute(
            text(
                "INSERT INTO availability_rule"
                " (dentist_id, isodow, start_time, end_time, valid_from)"
                " SELECT d.id, w, '08:00', '18:00', :from FROM dentist d, generate_series(1, 5) w"
            ),
            {"from": today - dt.timedelta(days=1)},
        )
        conn.execute(text("UPDATE dentist SET specialties = '{}'"))
        have_p = conn.execute(text("SELECT count(*) FROM patient")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO patient (name) SELECT 'Patient ' || g"
                " FROM generate_series(CAST(:a AS int), CAST(:b AS int)) g"
            ),
            {"a": have_p + 1, "b": patients},
        )
    engine.dispose()


def weekdays_from(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.isoweekday() <= 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# --- tokens and the web app as a child process -----------------------------------------------


def token(role: str, ident: int | None = None) -> str:
    ids = {"patient": {"patient_id": ident}, "dentist": {"dentist_id": ident}}.get(role, {})
    sub = f"{role}-{ident}" if ident is not None else role
    return issue_token(SECRET, Principal(sub=sub, role=role, **ids), 3600)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_web_app(url: str, port: int, **env: str) -> subprocess.Popen[bytes]:
    """`python -m sync` against `url` on 127.0.0.1:`port` (as the Procfile runs it)."""
    environ = os.environ | {
        "DATABASE_URL": url,
        "APP_PORT": str(port),
        "APP_HOST": "127.0.0.1",
        "APP_JWT_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    return subprocess.Popen([sys.executable, "-m", "sync"], cwd=ROOT, env=environ)


async def wait_healthy(base: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/api/realtime/health") as resp:
                    if resp.status == 200 and (await resp.json())["status"] == "ok":
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"web app at {base} did not become healthy")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def rss_kib(pid: int) -> int:
    """VmRSS of a process from /proc (KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")
