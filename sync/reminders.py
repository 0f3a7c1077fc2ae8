"""The reminder scheduler of the web app, and the senders it hands claimed reminders to.

Exactly once is the database's job (`chatbot.services.reminders.claim_due`: SKIP LOCKED claim,
`sent_at` and the outbox event in one transaction), so any number of web app instances run a
scheduler and a restart just carries on. The outbox event reaches the patient's sockets, the
admin and the webhooks like every other event; the senders here add the channels that live
outside the database (the log, e-mail). A sender runs after the claim commits: a crash between
the two loses that one e-mail rather than ever sending it twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from chatbot.services import reminders
from chatbot.services.reminders import DueReminder
from chatbot.tasks import cancel_and_wait
from sync.metrics import Metrics

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ReminderSender(Protocol):
    name: str

    async def send(self, reminder: DueReminder) -> None: ...


def reminder_text(reminder: DueReminder) -> tuple[str, str]:
    """(subject, body) of a reminder, in the clinic's time zone."""
    when = reminder.local_start.strftime("%A %d %B at %H:%M")
    subject = f"Reminder: {reminder.treatment_name} on {when}"
    body = (
        f"Hello {reminder.patient_name},\n\n"
        f"this is a reminder of your {reminder.treatment_name} with {reminder.dentist_name} "
        f"on {when} ({reminder.clinic_name}).\n\n"
        'Reply in the chat: "yes, I\'ll be there" to confirm, "I can\'t make it" to cancel, '
        'or "can we move it to Friday?" to pick another time.\n'
    )
    return subject, body


class LogSender:
    """The default: one structured log line per reminder (no personal data beyond ids)."""

    name = "log"

    async def send(self, reminder: DueReminder) -> None:
        a = reminder.appointment
        log.info(
            "reminder sent",
            extra={"appointment": a["id"], "patient": a["patient_id"], "starts_at": a["starts_at"]},
        )


class SmtpSender:
    """E-mail through any SMTP server: `smtp://[user:pass@]host[:port][?from=addr&starttls=1]`,
    `smtps://` for implicit TLS."""

    name = "smtp"

    def __init__(self, url: str, *, timeout_s: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("APP_SMTP_URL must look like smtp://host:port or smtps://host:port")
        query = parse_qs(parts.query)
        self.hostname = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.use_tls = parts.scheme == "smtps"
        self.start_tls = query.get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.sender = query.get("from", [f"reminders@{socket.getfqdn() or 'localhost'}"])[0]
        self.timeout_s = timeout_s

    async def send(self, reminder: DueReminder) -> None:
        if not reminder.patient_email:
            log.info("reminder not mailed: no address", extra={"patient": reminder.patient_name})
            return
        subject, body = reminder_text(reminder)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = reminder.patient_email
        message["Subject"] = subject
        message["Message-ID"] = f"<reminder-{reminder.event_id}@{self.hostname}>"
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls or None,
            timeout=self.timeout_s,
        )


def senders_from(smtp_url: str | None) -> list[ReminderSender]:
    """`log` always; SMTP too when `APP_SMTP_URL` is set (webhooks get the outbox event)."""
    chosen: list[ReminderSender] = [LogSender()]
    if smtp_url:
        chosen.append(SmtpSender(smtp_url))
    return chosen


class ReminderScheduler:
    """Polls for due reminders every `poll_s` seconds (claims are cheap: one indexed query)."""

    def __init__(
        self,
        engine: Engine,
        *,
        lead: dt.timedelta,
        senders: Sequence[ReminderSender],
        clock: Clock = system_clock,
        poll_s: float = 15.0,
        batch: int = 100,
        metrics: Metrics | None = None,
    ) -> None:
        self._engine = engine
        self.lead = lead
        self.senders = list(senders)
        self.clock = clock
        self.poll_s = poll_s
        self._batch = batch
        self._metrics = metrics
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="reminder-scheduler")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except OperationalError as exc:  # the database is away: one line, next round
                log.warning("reminder round skipped", extra={"error": str(exc.orig)[:300]})
            except Exception:  # a bug must not stop reminders for good
                log.exception("reminder round failed")
            await asyncio.sleep(self.poll_s)

    async def run_once(self) -> list[DueReminder]:
        """Claim everything due now and hand it to the senders; returns what this call sent."""
        sent: list[DueReminder] = []
        while True:
            due = await asyncio.to_thread(
                reminders.claim_due,
                self._engine,
                now=self.clock(),
                lead=self.lead,
                instance=self.instance,
                limit=self._batch,
            )
            for reminder in due:
                await self._deliver(reminder)
            sent += due
            if len(due) < self._batch:
                return sent

    async def _deliver(self, reminder: DueReminder) -> None:
        for sender in self.senders:
            try:
                await sender.send(reminder)
                outcome = "sent"
            except Exception as exc:  # one channel failing must not stop the others
                outcome = "failed"
                log.warning(
                    "reminder sender failed",
                    extra={"sender": sender.name, "error": f"{type(exc).__name__}: {exc}"[:300]},
                )
            if self._metrics is not None:
                self._metrics.reminders.labels(sender.name, outcome).inc()
