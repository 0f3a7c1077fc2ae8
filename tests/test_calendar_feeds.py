"""Calendar feeds: secret URLs (stable, rotated, revoked, never stored), RFC 5545 content parsed
back with `icalendar` and expanded with `recurring-ical-events`, DST weeks in the clinic zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import Engine, text
from sync_support import auth, future_weekday, settings

from sync.app import create_app

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))


async def _link(client: Any, headers: dict[str, str], query: str = "", rotate: bool = False) -> str:
    if rotate:
        resp = await client.post(f"/api/calendar/link/rotate{query}", headers=headers)
    else:
        resp = await client.get(f"/api/calendar/link{query}", headers=headers)
    assert resp.status == 200, await resp.text()
    parts = urlsplit((await resp.json())["url"])
    return f"{parts.path}?{parts.query}"


async def _feed(client: Any, path: str) -> icalendar.Calendar:
    resp = await client.get(path)  # no Authorization header: calendar apps have none
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(await resp.read())


def _events(cal: icalendar.Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


async def _book(client: Any, starts: dt.datetime, patient: int = 1) -> dict[str, Any]:
    body = {"dentist_id": 1, "treatment": "checkup", "starts_at": starts.isoformat()}
    resp = await client.post("/api/appointments", json=body, headers=auth("patient", patient))
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_patient_feed_follows_reschedule_and_cancel(client: Any) -> None:
    doc = await _book(client, future_weekday(5, 10))
    other = await _book(client, future_weekday(5, 14), patient=2)  # not in patient 1's feed
    path = await _link(client, auth("patient", 1))
    assert path.startswith("/calendar/patient/1.ics?key=")
    assert await _link(client, auth("patient", 1)) == path  # stable until rotated

    events = _events(await _feed(client, path))
    assert len(events) == 1
    uid, event = next(iter(events.items()))
    assert str(doc["id"]) in uid and str(other["id"]) not in uid
    assert event.decoded("DTSTART") == dt.datetime.fromisoformat(doc["starts_at"])
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Berlin"
    assert event["STATUS"] == "CONFIRMED" and int(event["SEQUENCE"]) == 0
    assert "Dr" in str(event["SUMMARY"])

    moved = future_weekday(6, 11)
    url = f"/api/appointments/{doc['id']}"
    r = await client.post(f"{url}/reschedule", json={"starts_at": moved.isoformat()},
                          headers=auth("patient", 1))  # fmt: skip
    assert r.status == 200
    event = _events(await _feed(client, path))[uid]  # same UID, higher SEQUENCE
    assert event.decoded("DTSTART") == moved and int(event["SEQUENCE"]) == 1

    assert (await client.post(f"{url}/cancel", headers=auth("patient", 1))).status == 200
    event = _events(await _feed(client, path))[uid]
    assert event["STATUS"] == "CANCELLED" and int(event["SEQUENCE"]) == 2


async def test_dentist_feed_lists_the_patients(client: Any) -> None:
    await _book(client, future_weekday(4, 9))
    await _book(client, future_weekday(4, 11), patient=2)
    cal = await _feed(client, await _link(client, auth("dentist", 1)))
    summaries = sorted(str(e["SUMMARY"]) for e in cal.walk("VEVENT"))
    assert len(summaries) == 2 and summaries == ["Check-up: Alice Novak", "Check-up: Ben Okafor"]
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"


async def test_rotate_and_revoke_kill_the_old_url(client: Any, seeded_engine: Engine) -> None:
    old = await _link(client, auth("patient", 1))
    new = await _link(client, auth("patient", 1), rotate=True)
    assert new != old
    assert (await client.get(old)).status == 404
    await _feed(client, new)
    key = new.split("key=")[1]
    with seeded_engine.connect() as conn:  # the URL's key is not in the database
        dump = conn.execute(text("SELECT row_to_json(f)::text FROM calendar_feed f")).scalars()
        assert all(key not in row for row in dump)
    assert (await client.delete("/api/calendar/link", headers=auth("patient", 1))).status == 204
    assert (await client.get(new)).status == 404


async def test_keys_do_not_open_other_feeds(client: Any) -> None:
    mine = await _link(client, auth("patient", 1))
    key = mine.split("key=")[1]
    tampered = key[:-1] + ("1" if key.endswith("0") else "0")  # never the key itself
    await _link(client, auth("patient", 2))
    for path in (
        f"/calendar/patient/2.ics?key={key}",  # my key, someone else's feed
        f"/calendar/dentist/1.ics?key={key}",
        "/calendar/patient/1.ics",
        "/calendar/patient/1.ics?key=",
        f"/calendar/patient/1.ics?key={tampered}",
        f"/calendar/patient/1.ics?key={'a' * 5000}",
    ):
        resp = await client.get(path)
        assert resp.status == 404, path
        assert (await resp.json())["error"] == "not_found"


async def test_who_may_get_which_link(client: Any) -> None:
    assert (await client.get("/api/calendar/link")).status == 401
    statuses = {}
    for name, headers, query in [
        ("patient asks for a dentist feed", auth("patient", 1), "?kind=dentist&id=1"),
        ("patient asks for another patient", auth("patient", 1), "?kind=patient&id=2"),
        ("dentist asks for another dentist", auth("dentist", 1), "?kind=dentist&id=2"),
        ("the bot", auth("chatbot", 1), ""),
        ("admin without naming one", auth("admin"), ""),
        ("admin, bad kind", auth("admin"), "?kind=clinic&id=1"),
        ("admin, bad id", auth("admin"), "?kind=dentist&id=x"),
        ("admin, unknown dentist", auth("admin"), "?kind=dentist&id=99"),
        ("admin, dentist 2", auth("admin"), "?kind=dentist&id=2"),
    ]:
        statuses[name] = (await client.get(f"/api/calendar/link{query}", headers=headers)).status
    assert statuses == {
        "patient asks for a dentist feed": 403,
        "patient asks for another patient": 403,
        "dentist asks for another dentist": 403,
        "the bot": 403,
        "admin without naming one": 422,
        "admin, bad kind": 422,
        "admin, bad id": 422,
        "admin, unknown dentist": 404,
        "admin, dentist 2": 200,
    }


def _dst_changes(after: dt.date, count: int = 2) -> list[dt.date]:
    """The next `count` days on which Berlin's UTC offset changes (derived from today)."""
    found, day = [], after
    while len(found) < count:
        noon = dt.datetime.combine(day, dt.time(12), BERLIN)
        if noon.utcoffset() != (noon - dt.timedelta(days=1)).utcoffset():
            found.append(day)
        day += dt.timedelta(days=1)
    return found


async def test_dst_weeks_keep_local_times(client: Any, seeded_engine: Engine) -> None:
    """10:00 Berlin on the Friday before and the Monday after each of the next two DST changes
    (one spring, one autumn) stays 10:00 Berlin, with the right UTC instant on each side."""
    starts = [
        dt.datetime.combine(change + dt.timedelta(days=delta), dt.time(10), BERLIN)
        for change in _dst_changes(dt.datetime.now(BERLIN).date() + dt.timedelta(days=1))
        for delta in (-2, 1)
    ]
    with seeded_engine.begin() as conn:  # direct rows: the feed, not the booking rules, is tested
        for start in starts:
            conn.execute(
                text(
                    "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                    " ends_at, blocks_until, status) SELECT 2, 1, t.id, :s, :e, :e, 'scheduled'"
                    " FROM treatment t WHERE t.code = 'checkup'"
                ),
                {"s": start, "e": start + dt.timedelta(minutes=30)},
            )
    cal = await _feed(client, await _link(client, auth("admin"), "?kind=dentist&id=2"))
    ics = cal.to_ical().decode()
    assert "BEGIN:VTIMEZONE" in ics and "TZID=Europe/Berlin" in ics
    parsed = sorted(e.decoded("DTSTART") for e in cal.walk("VEVENT"))
    assert parsed == starts
    assert [p.astimezone(BERLIN).hour for p in parsed] == [10, 10, 10, 10]
    offsets = {p.utcoffset() for p in parsed}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    # A client-side expansion (what calendar apps do) finds the same instants.
    expanded = recurring_ical_events.of(cal).between(starts[0] - dt.timedelta(days=1),
                                                     starts[-1] + dt.timedelta(days=1))  # fmt: skip
    assert sorted(e.decoded("DTSTART") for e in expanded) == starts
