"""The database side of the simulated conversations: each conversation gets its own patient
(or an inactive dentist of its own, so blocks never change what patients are offered), the
appointments its goal needs, and a verdict on what it changed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from simulator import Spec, Transcript
from sqlalchemy import Engine, text

from chatbot.auth import Principal
from chatbot.services import availability, booking

TZ = ZoneInfo("Europe/Berlin")  # chatbot/seed.py CLINIC
ADMIN = Principal(sub="admin", role="admin")
TREATMENT_NAMES = {"checkup": "Check-up", "cleaning": "Professional cleaning", "filling": "Filling"}
# seeded appointments: (treatment, dentist) pairs every seed dentist list allows
SEEDABLE = (("checkup", 1), ("checkup", 2), ("cleaning", 3), ("filling", 2), ("cleaning", 1))
Row = dict[str, Any]


def rows(engine: Engine, sql: str, **params: Any) -> list[Row]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def appointments(engine: Engine, patient_id: int) -> list[Row]:
    return rows(
        engine,
        "SELECT a.id, a.dentist_id, t.code AS treatment, a.status, a.starts_at"
        " FROM appointment a JOIN treatment t ON t.id = a.treatment_id"
        " WHERE a.patient_id = :p ORDER BY a.id",
        p=patient_id,
    )


def last_block_id(engine: Engine) -> int:
    return int(rows(engine, "SELECT coalesce(max(id), 0) AS n FROM availability_exception")[0]["n"])


def prepare(engine: Engine, specs: list[Spec], seed: int) -> dict[int, list[Row]]:
    """Create the people and appointments; returns each conversation's rows before it runs."""
    patients = [s for s in specs if s.role == "patient"]
    dentists = [s for s in specs if s.role == "dentist"]
    with engine.begin() as conn:
        ids = conn.execute(
            text(
                "INSERT INTO patient (name) SELECT 'Simulated ' || g"
                " FROM generate_series(1, :n) g RETURNING id"
            ),
            {"n": len(patients)},
        ).scalars()
        for spec, ident in zip(patients, list(ids), strict=True):
            spec.ident = ident
        for spec in dentists:  # inactive: never offered to patients, but may block time
            spec.ident = conn.execute(
                text("INSERT INTO dentist (name, active) VALUES (:n, false) RETURNING id"),
                {"n": f"Sim Dentist {spec.cid}"},
            ).scalar_one()
    rng = random.Random(seed)
    today = dt.datetime.now(TZ).date()
    for spec in specs:
        if spec.goal not in ("cancel", "reschedule", "list"):
            continue
        count = 1 if spec.goal == "reschedule" else rng.choice((1, 1, 2))
        for k in range(count):
            spec.appointments.append(_seed_one(engine, spec.ident, rng, today, k))
        spec.target = rng.choice(spec.appointments)
    return {s.cid: appointments(engine, s.ident) for s in patients}


def _seed_one(engine: Engine, patient_id: int, rng: random.Random, today: dt.date, k: int) -> int:
    """One scheduled appointment 16–40 days ahead (away from the days bookings ask for)."""
    for _ in range(20):
        code, dentist = rng.choice(SEEDABLE)
        day = today + dt.timedelta(days=rng.randint(16, 40) + k)
        start = dt.datetime.combine(day, dt.time(0), TZ)
        free = availability.free_slots(
            engine,
            treatment=code,
            start=start,
            end=start + dt.timedelta(days=1),
            dentist_id=dentist,
            limit=40,
        )
        if free:
            slot = rng.choice(free)
            doc = booking.book(
                engine,
                ADMIN,
                patient_id=patient_id,
                dentist_id=dentist,
                treatment=code,
                starts_at=slot.starts_at,
            )
            return int(doc["id"])
    raise RuntimeError("no free slot to seed an appointment")


def free_up(engine: Engine, spec: Spec) -> None:
    """After judging: cancel what the conversation booked or moved, so the ~150 bookings of
    a run do not fill the next weeks and push later conversations to "Nothing is free"."""
    if spec.goal in ("book", "reschedule"):
        for row in appointments(engine, spec.ident):
            if row["status"] in ("held", "scheduled", "confirmed"):
                booking.cancel(engine, ADMIN, row["id"], reason="simulation done")


def _in_window(spec: Spec, start: dt.datetime) -> bool:
    if spec.settled:
        return True  # the bot said nothing was free then; the patient took the next time
    local = start.astimezone(TZ)
    return (not spec.days or local.date() in spec.days) and (
        spec.hours[0] <= local.hour < spec.hours[1]
    )


def _said(tr: Transcript) -> str:
    return "\n".join(r.get("text") or "" for t in tr.turns for r in t.replies)


def db_faults(engine: Engine, tr: Transcript, before: list[Row], blocks_after: int) -> list[str]:
    """What is wrong with the database after this conversation (empty = right outcome)."""
    spec = tr.spec
    if spec.role == "dentist":
        found = rows(
            engine,
            "SELECT kind, starts_at, ends_at FROM availability_exception WHERE dentist_id = :d",
            d=spec.ident,
        )
        if len(found) != 1:
            return [f"db: {len(found)} blocks written"]
        start, end = found[0]["starts_at"].astimezone(TZ), found[0]["ends_at"].astimezone(TZ)
        if start.date() not in spec.days or (start.hour, end.hour) != spec.hours:
            return [f"db: blocked {start:%a %d %H:%M}-{end:%H:%M}"]
        return []
    now = appointments(engine, spec.ident)
    live = [r for r in now if r["status"] in ("scheduled", "confirmed")]
    if any(r["status"] == "held" for r in now):
        return ["db: a hold was left behind"]
    if spec.goal == "book":
        if len(live) != 1:
            return [f"db: {len(live)} appointments booked"]
        got = live[0]
        wrong = [
            f"treatment {got['treatment']}" if got["treatment"] != spec.treatment else "",
            f"dentist {got['dentist_id']}"
            if spec.dentist and got["dentist_id"] != spec.dentist
            else "",
            f"time {got['starts_at'].astimezone(TZ):%a %d %H:%M}"
            if not _in_window(spec, got["starts_at"])
            else "",
        ]
        return [f"db: wrong {w}" for w in wrong if w]
    old = {r["id"]: r for r in before}
    if spec.goal == "cancel":
        expected = {i: ("cancelled" if i == spec.target else r["status"]) for i, r in old.items()}
        actual = {r["id"]: r["status"] for r in now}
        return [] if actual == expected else [f"db: statuses {actual}, wanted {expected}"]
    if spec.goal == "reschedule":
        moved = {r["id"]: r for r in now}.get(spec.target)
        if len(now) != len(before) or moved is None or moved["status"] != "scheduled":
            return ["db: appointment not kept as one scheduled row"]
        if moved["starts_at"] == old[moved["id"]]["starts_at"]:
            return ["db: appointment not moved"]
        if not _in_window(spec, moved["starts_at"]):
            return [f"db: moved to {moved['starts_at'].astimezone(TZ):%a %d %H:%M}"]
        return []
    faults = [] if now == before else ["db: appointments changed"]
    if spec.goal == "list":
        missing = [
            TREATMENT_NAMES[r["treatment"]]
            for r in before
            if TREATMENT_NAMES[r["treatment"]] not in _said(tr)
        ]
        faults += [f"list: missing {m}" for m in missing]
    if spec.goal == "patient_dentist_cmd":
        blocks = rows(
            engine,
            "SELECT count(*) AS n FROM availability_exception"
            " WHERE id > :after AND dentist_id IN (SELECT id FROM dentist WHERE active)",
            after=blocks_after,
        )
        faults += ["db: a patient blocked time"] if blocks[0]["n"] else []
    return faults
