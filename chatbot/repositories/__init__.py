"""The SQL of the booking core, web app and listener, one module per aggregate (the demo seed
and the migration runner keep their own).

Synchronous (SQLAlchemy `Connection`, inside `unit.transaction`): `catalog` (clinic, dentists,
treatments), `availability` (rules, exceptions, time off, busy intervals), `appointments`
(holds and appointments), `patients`, `handoffs`, `calendar` (feeds), `reminders`, `waitlist`.
Asynchronous (psycopg `AsyncConnection`, for the web app and the listener): `events` (the
outbox), `webhooks`, `users`. `unit` opens transactions and maps database errors to domain
errors once. Every statement names its parameters `:name`; the async modules convert theirs
for psycopg at import time (`placeholders`, which says why).
"""
