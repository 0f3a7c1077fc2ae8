"""Front desk, time off and the waitlist in a real Chromium, two browser contexts at a time,
against the web app alone (`python -m sync` on a fresh seeded database: no Rasa needed).

- The admin finds a patient by name, books for them from the slot picker, confirms and checks
  them in; the patient's page shows each status as it happens.
- A patient cancels on their page; the patient waiting for that day (who joined the waitlist
  from their page when the day was full) gets the offer toast and accepts it.
- A dentist removes a block from their calendar; the admin's calendar drops it live.
Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from test_browser_pages import LIVE_TIMEOUT_MS, browser, open_page, screenshot  # noqa: F401
from waitlist_support import day_window, fill

from chatbot.auth import Principal
from chatbot.config import REPO_ROOT
from chatbot.services import availability

pytestmark = [pytest.mark.browser]
BERLIN = ZoneInfo("Europe/Berlin")
ADMIN = Principal(sub="admin", role="admin")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web_app(seeded_engine: Engine, db_url: str, tmp_path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "APP_HOST"} | {
        "DATABASE_URL": db_url,
        "APP_PORT": str(port),
        "APP_JWT_SECRET": "browser-front-desk-secret-0123456789abcdef",
        "APP_DEV_MODE": "1",
        "APP_DATA_DIR": str(tmp_path),
        "RASA_URL": f"http://127.0.0.1:{_free_port()}",  # nobody there: the chat says so
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "web.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/api/realtime/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("web app did not start: " + (tmp_path / "web.log").read_text()[-2000:])
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def next_weekday(days_ahead: int = 2) -> dt.date:
    day = dt.datetime.now(BERLIN).date() + dt.timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def pick(
    page: Page, root: str, day: dt.date, *, dentist: str = "", treatment: str = "checkup"
) -> None:
    page.locator(f"{root} [data-pick-treatment]").select_option(treatment)
    page.locator(f"{root} [data-pick-dentist]").select_option(label=dentist or "Any dentist")
    page.locator(f"{root} [data-pick-day]").fill(day.isoformat())
    page.locator(f"{root} [data-pick-find]").click()


def test_admin_books_and_moves_status_patient_sees_it_live(browser: Browser, web_app: str) -> None:  # noqa: F811
    admin = open_page(browser, web_app, "admin", "/admin")
    patient = open_page(browser, web_app, "patient-1", "/")
    admin.fill("[data-desk-search]", "alice")
    admin.locator("[data-desk-patients] button", has_text="Alice Novak").click()
    expect(admin.locator("[data-desk-mode]")).to_have_text("Booking for Alice Novak")
    pick(admin, "[data-desk-card]", next_weekday(), dentist="Dr Anna Lee")
    admin.locator("[data-desk-picker] .slot").first.click()
    expect(admin.locator("[data-desk-message]")).to_contain_text("Booked Check-up for Alice Novak")

    item = patient.locator("[data-appts] li.appt").first
    expect(item).to_have_attribute("data-status", "scheduled", timeout=LIVE_TIMEOUT_MS)
    admin.locator("[data-feed] li[data-type='appointment.created'] button", has_text="Show").click()
    dialog = admin.locator("[data-appt-dialog]")
    expect(dialog.locator("[data-appt-details]")).to_contain_text("Alice Novak")
    buttons = dialog.locator("[data-status-actions] button")
    expect(buttons).to_have_text(["Confirm", "Arrived", "No-show"])  # only what the table allows
    buttons.filter(has_text="Confirm").click()
    expect(item).to_have_attribute("data-status", "confirmed", timeout=LIVE_TIMEOUT_MS)
    expect(buttons).to_have_text(["Unconfirm", "Arrived", "No-show"])
    buttons.filter(has_text="Arrived").click()
    expect(item).to_have_attribute("data-status", "arrived", timeout=LIVE_TIMEOUT_MS)
    expect(buttons).to_have_text(["Completed", "No-show"])
    expect(dialog.locator("[data-appt-cancel]")).to_be_disabled()
    screenshot(admin, "admin-front-desk")
    screenshot(patient, "patient-status-live")


def test_patient_cancels_waitlisted_patient_gets_the_offer(
    browser: Browser,  # noqa: F811
    web_app: str,
    seeded_engine: Engine,
) -> None:
    day = next_weekday(3)
    start, end = day_window(day)
    booked = fill(seeded_engine, start, end, [1], patient_id=1)
    assert booked and not availability.free_slots(
        seeded_engine, treatment="checkup", start=start, end=end, dentist_id=1
    )
    waiting = open_page(browser, web_app, "patient-2", "/")
    pick(waiting, "[data-picker]", day, dentist="Dr Anna Lee")
    waiting.locator("[data-join-waitlist]").click()
    expect(waiting.locator("[data-waitlist] li")).to_have_count(1)

    cancelling = open_page(browser, web_app, "patient-1", "/")
    first = cancelling.locator(f"[data-appts] li[data-appt-id='{booked[0]['id']}']")
    first.locator("[data-appt-cancel]").click()
    expect(first).to_have_attribute("data-status", "cancelled", timeout=LIVE_TIMEOUT_MS)

    toast = waiting.locator(".toast")
    expect(toast).to_contain_text("A time freed up", timeout=LIVE_TIMEOUT_MS)
    screenshot(waiting, "waitlist-offer")
    toast.locator("[data-offer-accept]").click()
    expect(toast).to_contain_text("Booked")
    expect(waiting.locator("[data-appts] li.appt")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(waiting.locator("[data-waitlist] li")).to_have_count(0)


def test_dentist_removes_time_off_admin_sees_it_go(
    browser: Browser,  # noqa: F811
    web_app: str,
) -> None:
    today = dt.datetime.now(BERLIN).date()
    monday = today + dt.timedelta(days=8 - today.isoweekday())  # always next week's Monday
    dentist = open_page(browser, web_app, "dentist-1", "/dentist")
    token = dentist.evaluate("localStorage.getItem('brightsmile.token')")
    body = (
        f'{{"starts_at": "{monday}T12:00", "ends_at": "{monday}T15:00", "reason": "Training"}}'
    ).encode()
    req = urllib.request.Request(
        f"{web_app}/api/dentists/1/time-off", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
    admin = open_page(browser, web_app, "admin", "/admin")
    for page in (dentist, admin):
        page.get_by_role("button", name="Next").click()
        expect(page.locator(".cal-off")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(dentist.locator(".cal-off")).to_contain_text("Training")
    screenshot(dentist, "dentist-time-off")
    dentist.locator(".cal-off button", has_text="Remove").click()
    expect(dentist.locator(".cal-off")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(admin.locator(".cal-off")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
