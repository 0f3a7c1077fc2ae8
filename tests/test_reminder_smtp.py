"""The SMTP sender against a real local SMTP server (aiosmtpd), through the scheduler."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from booking_support import ADMIN, weekday_at
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from chatbot.services import booking
from sync.hub import EventHub
from sync.metrics import Metrics
from sync.reminders import ReminderScheduler, senders_from

LEAD = dt.timedelta(hours=24)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_reminder_mail_reaches_the_smtp_server(
    seeded_engine: Engine, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    starts = weekday_at(15, 30, weeks_ahead=2)
    doc = booking.book(
        seeded_engine, ADMIN, patient_id=2, dentist_id=1, treatment="checkup", starts_at=starts
    )
    url = f"smtp://127.0.0.1:{port}?from=reminders@brightsmile.example"
    now = dt.datetime.fromisoformat(doc["starts_at"]) - LEAD + dt.timedelta(minutes=5)
    scheduler = ReminderScheduler(
        seeded_engine, lead=LEAD, senders=senders_from(url), clock=lambda: now
    )
    assert [s.name for s in scheduler.senders] == ["log", "smtp"]
    sent = await scheduler.run_once()
    assert len(sent) == 1 and len(inbox.messages) == 1
    mail_from, rcpt, message = inbox.messages[0]
    assert mail_from == "reminders@brightsmile.example"
    assert rcpt == [sent[0].patient_email] and message["To"] == sent[0].patient_email
    assert "15:30" in message["Subject"]  # clinic local time, whatever the offset
    body = message.get_payload(decode=True).decode()
    assert sent[0].patient_name in body and "can't make it" in body
    assert await scheduler.run_once() == [] and len(inbox.messages) == 1


async def test_a_failing_mail_server_does_not_stop_the_other_senders(
    seeded_engine: Engine,
) -> None:
    doc = booking.book(
        seeded_engine,
        ADMIN,
        patient_id=1,
        dentist_id=2,
        treatment="checkup",
        starts_at=weekday_at(11, weeks_ahead=2),
    )
    now = dt.datetime.fromisoformat(doc["starts_at"]) - LEAD + dt.timedelta(minutes=5)
    metrics = Metrics(EventHub())
    scheduler = ReminderScheduler(
        seeded_engine,
        lead=LEAD,
        senders=senders_from(f"smtp://127.0.0.1:{_free_port()}"),  # nobody listens
        clock=lambda: now,
        metrics=metrics,
    )
    assert len(await scheduler.run_once()) == 1
    samples = {
        (s.labels["sender"], s.labels["outcome"]): s.value
        for f in text_string_to_metric_families(metrics.render().decode())
        if f.name == "reminders"
        for s in f.samples
        if s.name == "reminders_total"
    }
    assert samples == {("log", "sent"): 1.0, ("smtp", "failed"): 1.0}
