"""The three pages in a real Chromium against the real stack (Postgres, actions, Rasa, web app).

Patient books through the chat widget and the booking shows up in the patient's list and on
an admin dashboard open in a second browser context; the admin cancels and the patient's view
updates; a dentist blocks a day by chat and its slots vanish from the patient's next offer.
Screenshots of the three pages land in docs/screenshots/.

Set E2E_WEB_URL=http://127.0.0.1:8080 to run against an already running `make run` instead of
the `stack` fixture.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BOT_TIMEOUT_MS = 60_000
LIVE_TIMEOUT_MS = 10_000
SLOT_CHOICE = re.compile(r"(\d+)\|(\d{4}-\d{2}-\d{2})T")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_url(request: pytest.FixtureRequest) -> str:
    external = os.environ.get("E2E_WEB_URL")
    if external:
        return external.rstrip("/")
    stack = request.getfixturevalue("stack")
    return str(stack.web_url).rstrip("/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Browser, web_url: str, sub: str, path: str) -> Page:
    """A fresh browser context signed in as `sub` through the demo sign-in page. The browser's
    own zone is deliberately not the clinic's: pages must show clinic time."""
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, timezone_id="America/New_York"
    )
    page = context.new_page()
    page.goto(f"{web_url}/login")
    page.click(f"[data-sub='{sub}']")
    page.wait_for_url(f"{web_url}{path}")
    expect(page.locator("[data-live-status]")).to_have_attribute(
        "data-state", "connected", timeout=LIVE_TIMEOUT_MS
    )
    page.wait_for_load_state("networkidle")  # the page's first lists are in ("known" ids)
    return page


def dev_token(web_url: str, sub: str) -> str:
    return str(_http(web_url, "POST", "/api/dev/login", {"sub": sub})["token"])


def _http(web_url: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    req = urllib.request.Request(
        web_url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --- the chat widget, driven like a user --------------------------------------------------------


class ChatDriver:
    """Types into the widget and clicks the bot's buttons; reads replies from the DOM."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.log = page.locator("[data-chat-log]")

    def _groups(self) -> int:
        return self.page.locator("[data-chat-log] .chat-buttons").count()

    def _bots(self) -> int:
        return self.page.locator("[data-chat-log] .msg-bot").count()

    def _await_reply(self, groups_before: int, bots_before: int) -> list[dict[str, str]]:
        expect(self.log).to_have_attribute("aria-busy", "false", timeout=BOT_TIMEOUT_MS)
        expect(self.page.locator(".chat-error-box")).to_be_hidden()
        assert self._bots() > bots_before or self._groups() > groups_before, "no bot reply"
        self.groups_before, self.bots_before = groups_before, bots_before
        buttons = self.page.locator("[data-chat-log] .chat-buttons").nth(-1)
        if self._groups() == groups_before:
            return []
        return [
            {"title": b.inner_text(), "payload": b.get_attribute("data-payload") or ""}
            for b in buttons.locator("button").all()
        ]

    def say(self, text: str) -> list[dict[str, str]]:
        """Send `text`; returns the buttons of the reply (empty when it has none)."""
        before = self._groups(), self._bots()
        self.page.fill("#chat-input", text)
        self.page.press("#chat-input", "Enter")
        return self._await_reply(*before)

    def click(self, title: str) -> list[dict[str, str]]:
        before = self._groups(), self._bots()
        group = self.page.locator("[data-chat-log] .chat-buttons").nth(-1)
        group.get_by_role("button", name=title, exact=True).click()
        return self._await_reply(*before)

    def last_bot_text(self) -> str:
        return self.page.locator("[data-chat-log] .msg-bot").nth(-1).inner_text()


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def slot_buttons(buttons: list[dict[str, str]]) -> list[dict[str, str]]:
    return [b for b in buttons if "slot_choice" in b["payload"]]


def offered(buttons: list[dict[str, str]]) -> set[tuple[int, str]]:
    """(dentist id, day) of every slot button."""
    found = set()
    for b in slot_buttons(buttons):
        match = SLOT_CHOICE.search(b["payload"])
        if match:
            found.add((int(match.group(1)), match.group(2)))
    return found


def answer_until_slots(
    chat: ChatDriver, buttons: list[dict[str, str]], *, dentist: str, when: str
) -> list[dict[str, str]]:
    """Answer the booking form's questions (treatment, dentist, time) until slots are offered."""
    for _ in range(5):
        if slot_buttons(buttons):
            return buttons
        payloads = " ".join(b["payload"] for b in buttons)
        if '"treatment"' in payloads:
            buttons = chat.click(next(b["title"] for b in buttons if "checkup" in b["payload"]))
        elif '"dentist"' in payloads:
            buttons = chat.click(dentist)
        else:
            buttons = chat.say(when)
    raise AssertionError(f"the bot offered no slots; it said: {chat.last_bot_text()!r}")


def confirm(chat: ChatDriver, buttons: list[dict[str, str]]) -> None:
    yes = [
        b
        for b in buttons
        if re.search(r"affirm|^yes|confirm|book it", b["payload"] + b["title"], re.I)
    ]
    if yes:
        chat.click(yes[0]["title"])
    else:
        chat.say("yes")


def appointment_ids(page: Page) -> set[str]:
    return set(
        page.locator("[data-appts] [data-appt-id]").evaluate_all(
            "nodes => nodes.map(n => n.dataset.apptId)"
        )
    )


def wait_for_new_appointment(page: Page, known: set[str]) -> str:
    page.wait_for_function(
        "known => [...document.querySelectorAll('[data-appts] [data-appt-id]')]"
        ".some(n => !known.includes(n.dataset.apptId) && n.dataset.status !== 'cancelled')",
        arg=sorted(known),
        timeout=LIVE_TIMEOUT_MS,
    )
    return (appointment_ids(page) - known).pop()


# --- the tests ----------------------------------------------------------------------------------


def test_patient_books_in_chat_and_admin_sees_it_live(browser: Browser, web_url: str) -> None:
    admin = open_page(browser, web_url, "admin", "/admin")
    patient = open_page(browser, web_url, "patient-1", "/")
    chat = ChatDriver(patient)
    known = appointment_ids(patient)

    buttons = chat.say("I'd like a checkup next Tuesday afternoon")
    buttons = answer_until_slots(chat, buttons, dentist="Anyone", when="next Tuesday afternoon")
    slot = slot_buttons(buttons)[0]
    expect(patient.locator("#chat-input")).to_be_enabled()
    confirm(chat, chat.click(slot["title"]))

    appt_id = wait_for_new_appointment(patient, known)
    booked = patient.locator(f"[data-appts] [data-appt-id='{appt_id}']")
    expect(booked).to_contain_text("Check-up")
    expect(booked).to_have_attribute("data-status", re.compile("scheduled|confirmed"))
    screenshot(patient, "patient")

    feed_item = admin.locator(
        f"[data-feed] [data-type='appointment.created'][data-appt-id='{appt_id}']"
    )
    expect(feed_item).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    # The stats card shows the same booking counter /metrics exports (polled every 3 s).
    expect(admin.locator("[data-stat='bookings']")).to_have_text(
        re.compile(r"^[1-9]\d* booked"), timeout=LIVE_TIMEOUT_MS
    )
    feed_item.get_by_role("button", name=re.compile("^Show")).click()
    expect(admin.locator(f".cal-appt[data-appt-id='{appt_id}']")).to_be_visible()
    expect(admin.locator("[data-appt-details]")).to_contain_text("Check-up")
    admin.get_by_role("button", name="Close").click()
    screenshot(admin, "admin")
    patient.context.close()
    admin.context.close()


def test_admin_cancels_and_the_patient_view_updates(browser: Browser, web_url: str) -> None:
    admin_token = dev_token(web_url, "admin")
    slot = _http(web_url, "GET", "/api/slots?treatment=checkup&dentist_id=2", token=admin_token)[0]
    patient = open_page(browser, web_url, "patient-1", "/")
    admin = open_page(browser, web_url, "admin", "/admin")
    appt = _http(
        web_url,
        "POST",
        "/api/appointments",
        {"dentist_id": 2, "treatment": "checkup", "starts_at": slot["starts_at"], "patient_id": 1},
        token=admin_token,
    )
    mine = patient.locator(f"[data-appts] [data-appt-id='{appt['id']}']")
    expect(mine).to_have_attribute("data-status", "scheduled", timeout=LIVE_TIMEOUT_MS)

    feed_item = admin.locator(f"[data-feed] [data-appt-id='{appt['id']}']").first
    feed_item.get_by_role("button", name=re.compile("^Show")).click()
    block = admin.locator(f".cal-appt[data-appt-id='{appt['id']}']")
    expect(block).to_be_visible()
    admin.get_by_role("button", name="Close").click()
    block.click()  # the calendar block opens the appointment's details
    admin.get_by_role("button", name="Cancel appointment").click()

    expect(mine).to_have_attribute("data-status", "cancelled", timeout=LIVE_TIMEOUT_MS)
    expect(mine).to_contain_text("Cancelled")
    expect(block).to_have_count(0)
    expect(
        admin.locator(
            f"[data-feed] [data-type='appointment.cancelled'][data-appt-id='{appt['id']}']"
        )
    ).to_be_visible()
    patient.context.close()
    admin.context.close()


def test_dentist_blocks_a_day_and_its_slots_leave_the_patients_offer(
    browser: Browser, web_url: str
) -> None:
    patient = open_page(browser, web_url, "patient-2", "/")
    dentist = open_page(browser, web_url, "dentist-1", "/dentist")
    chat = ChatDriver(patient)

    buttons = chat.say("I need a checkup with Dr Lee next Thursday")
    buttons = answer_until_slots(chat, buttons, dentist="Dr Anna Lee", when="next Thursday")
    days = {day for dentist_id, day in offered(buttons) if dentist_id == 1}
    assert days, f"expected Dr Lee's slots, got {buttons}"
    day = min(days)
    print("offer before the block:", [b["title"] for b in slot_buttons(buttons)])

    dentist_chat = ChatDriver(dentist)
    reply = dentist_chat.say(f"block the {ordinal(int(day[-2:]))} 9am-5pm")
    if any(re.search(r"affirm|^yes", b["payload"] + b["title"], re.I) for b in reply):
        confirm(dentist_chat, reply)
    expect(dentist.locator("[data-chat-log] .msg-bot").last).to_contain_text(
        re.compile("block|off|away|unavailable", re.I)
    )
    screenshot(dentist, "dentist")

    token = dev_token(web_url, "patient-2")
    free = _http(web_url, "GET", f"/api/slots?dentist_id=1&from={day}&to={day}", token=token)
    assert free == [], f"{day} was blocked but the API still has free slots: {free[:3]}"
    # The same request again: the new offer skips the blocked day (later days instead).
    again = answer_until_slots(
        chat,
        chat.say("I need a checkup with Dr Lee next Thursday"),
        dentist="Dr Anna Lee",
        when="next Thursday",
    )
    print("offer after the block:", [b["title"] for b in slot_buttons(again)])
    assert (1, day) not in offered(again), f"blocked {day} still offered: {again}"
    patient.context.close()
    dentist.context.close()


@pytest.mark.parametrize(("sub", "path"), [("patient-1", "/"), ("dentist-1", "/dentist")])
def test_subscribing_to_a_calendar_feed(
    browser: Browser, web_url: str, sub: str, path: str
) -> None:
    """The calendar link button shows a secret URL that works without any token."""
    page = open_page(browser, web_url, sub, path)
    try:
        page.click("[data-feed-button]")
        field = page.locator("[data-feed-url]")
        expect(field).to_be_visible()
        url = field.input_value()
        kind = sub.split("-")[0]
        feed = rf"{re.escape(web_url)}/calendar/{kind}/1\.ics\?key=[0-9a-f]{{64}}"
        assert re.fullmatch(feed, url), url
        with urllib.request.urlopen(url, timeout=30) as resp:  # no Authorization header
            assert resp.headers["Content-Type"].startswith("text/calendar")
            assert resp.read().startswith(b"BEGIN:VCALENDAR")
    finally:
        page.context.close()
