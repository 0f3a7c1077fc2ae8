"""`python -m sync`: the web app on APP_HOST:APP_PORT (default 127.0.0.1:8080; migrates the
database on start-up). Refuses to start with the demo sign-in on a non-loopback address."""

from __future__ import annotations

import gc
import logging

from aiohttp import web
from pydantic import ValidationError

from chatbot.config import Settings, ensure_jwt_secret
from chatbot.db import database_url, migrate
from chatbot.logs import configure_logging
from sync.app import create_app

log = logging.getLogger("sync")
# Collect young objects after 20,000 allocations (default 700) and older generations less
# often. With 10,000 sockets the process holds millions of long-lived container objects, and
# the default thresholds ran a full collection (a pause of 0.5-2 s on a loaded 2-core box,
# freeing nothing) every few seconds, stalling every socket; see docs/benchmarks.md.
GC_THRESHOLDS = (20_000, 10, 100)


def tune_gc() -> None:
    """Freeze what start-up allocated (modules, app) and space out collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main() -> None:
    try:
        settings = Settings.from_env()
    except ValidationError as exc:
        raise SystemExit(f"web app not started: {exc.errors()[0]['msg']}") from None
    configure_logging(settings.log_level)
    if not settings.jwt_secret:
        settings = settings.model_copy(update={"jwt_secret": ensure_jwt_secret()})
    url = database_url(settings, shared=True)
    migrate(url)
    app = create_app(settings, db_url=url)
    tune_gc()
    log.info("web app listening", extra={"host": settings.app_host, "port": settings.app_port})
    web.run_app(app, host=settings.app_host, port=settings.app_port, print=None, shutdown_timeout=5)


if __name__ == "__main__":
    main()
