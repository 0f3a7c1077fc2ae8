"""Offer freed time to the waitlist: the first patient in line whose wish fits gets a hold.

`match_dentist` runs one offer per transaction until nothing more fits. Each transaction takes
the dentist's matching lock (so two passes for one dentist never compute the same slot), walks
the line in order, claims an entry with FOR UPDATE SKIP LOCKED (a pass for another dentist may
be serving it), and places a hold on the earliest free slot in the entry's window that was
not offered to it before (a declined or expired slot passes on to the next patient). The
database has the last word: the exclusion constraint refuses a second hold on the same time,
the unique open-offer index a second offer to the same patient; either failure only rolls
back a savepoint and the walk goes on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from chatbot.domain import slots as slot_rules
from chatbot.domain.models import Slot, Treatment
from chatbot.domain.status import Status
from chatbot.repositories import appointments, catalog, unit, waitlist
from chatbot.services.availability import load_day_inputs

UTC = dt.timezone.utc
MAX_OFFERS_PER_PASS = 200
Doc = dict[str, Any]


def match_dentist(engine: Engine, dentist_id: int, *, ttl_s: int) -> list[Doc]:
    """Offers made (waitlist.offered payloads), in the order they were made."""
    made: list[Doc] = []
    while len(made) < MAX_OFFERS_PER_PASS:
        offer = _offer_next(engine, dentist_id, ttl_s)
        if offer is None:
            break
        made.append(offer)
    return made


def expire_offers(engine: Engine) -> int:
    """Expire unanswered offers whose hold ran out; returns how many."""
    with unit.transaction(engine) as conn:
        return waitlist.expire_offer_holds(conn)


def dentists_with_waiting(engine: Engine) -> list[int]:
    """Every active dentist (any-dentist entries make each of them a candidate)."""
    with unit.transaction(engine) as conn:
        return [d.id for d in catalog.fetch_dentists(conn) if d.active]


def _offer_next(engine: Engine, dentist_id: int, ttl_s: int) -> Doc | None:
    with unit.transaction(engine) as conn:
        waitlist.lock_matching(conn, dentist_id)
        line = waitlist.candidates(conn, dentist_id)
        dentists = catalog.fetch_dentists(conn, [dentist_id])
        if not line or not dentists or not dentists[0].active:
            return None
        dentist = dentists[0]
        clinic = catalog.fetch_clinic(conn)
        treatments = {t.code: t for t in catalog.fetch_treatments(conn)}
        appointments.sweep_expired_holds(conn, dentist_id)
        now = unit.db_now(conn)
        start = max(min(e["window_start"] for e in line), now)
        end = min(max(e["window_end"] for e in line), now + dt.timedelta(days=clinic.horizon_days))
        if end <= start:
            return None
        rules, exceptions, busy = load_day_inputs(conn, [dentist_id], start, end)
        tried = waitlist.offered_starts(conn, [e["id"] for e in line], dentist_id)
        for entry in line:  # the walk itself is pure computation: no query per waiting entry
            treatment = treatments[entry["treatment"]]
            if not dentist.offers(treatment.code):
                continue
            offered = tried.get(entry["id"], set())
            slots = slot_rules.free_slots(
                rules, exceptions, busy, treatment, clinic, max(entry["window_start"], now),
                entry["window_end"], now, dentist_ids=[dentist_id], limit=len(offered) + 1,
            )  # fmt: skip
            slot = next((s for s in slots if s.starts_at not in offered), None)
            if slot is None or not waitlist.claim(conn, entry["id"]):
                continue
            offer = _place(conn, entry, treatment, slot, ttl_s)
            if offer is not None:
                return offer
    return None


def _place(
    conn: Connection, entry: dict[str, Any], treatment: Treatment, slot: Slot, ttl_s: int
) -> Doc | None:
    """Hold `slot` for the entry's patient and record the offer, in a savepoint: a concurrent
    writer that took the slot or gave this patient an offer first only skips this entry."""
    try:
        with conn.begin_nested():
            hold = appointments.insert_appointment(
                conn,
                dentist_id=slot.dentist_id,
                patient_id=entry["patient_id"],
                treatment=treatment,
                starts_at=slot.starts_at,
                status=Status.HELD.value,
                hold_ttl_s=ttl_s,
                notes="Offered from the waitlist",
            )
            return waitlist.insert_offer(
                conn,
                entry_id=entry["id"],
                hold=hold,
                starts_at=slot.starts_at,
                expires_at=dt.datetime.fromisoformat(hold["hold_expires_at"]),
            )
    except DBAPIError as exc:
        if unit.translate(exc) is None:
            raise
        return None
