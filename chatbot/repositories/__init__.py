"""Every SQL statement of the application, one module per aggregate.

Synchronous (SQLAlchemy `Connection`, inside `unit.transaction`): `catalog` (clinic, dentists,
treatments), `availability` (rules, exceptions, time off, busy intervals), `appointments`
(holds and appointments), `patients`, `handoffs`, `calendar` (feeds), `reminders`, `waitlist`.
Asynchronous (psycopg `AsyncConnection`, for the web app and the listener): `events` (the
outbox), `webhooks`, `users`. `unit` opens transactions and maps database errors to domain
errors once.
"""
