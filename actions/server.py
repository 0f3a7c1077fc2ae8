"""`python -m actions.server`: the action server, as `python -m rasa_sdk --actions actions`
would run it, but safe by default:

- binds `ACTIONS_HOST` (default 127.0.0.1; rasa-sdk itself has no interface flag and binds
  0.0.0.0) on `ACTION_PORT` (default 5055): only Rasa on this machine needs to reach it;
- no CORS: no browser page has any business calling it (rasa-sdk defaults to `*`);
- errors answer with a generic JSON body: rasa-sdk's own handler echoes the exception text
  and the whole request body (which holds the chat's turn token) in its 500 response;
- slot offers come from its own listener-fed slot cache (`chatbot.live_slots`), started and
  stopped with the server in the server's event loop, the one the actions run in. Without a
  listener (no LISTEN possible, or not caught up) searches read the database instead.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from pydantic import ValidationError
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler

from actions import context
from chatbot.config import Settings
from chatbot.live_slots import LiveSlots
from chatbot.logs import configure_logging

log = logging.getLogger(__name__)
KEEP_ALIVE_TIMEOUT_S = 120  # rasa-sdk's default; Rasa reuses the connection between turns


class GenericErrors(ErrorHandler):
    """Every unhandled error: the status of an HTTP error (400 for a malformed body, 404, 405)
    or 500, with a fixed message. The details go to this server's log only."""

    def default(self, request: Any, exception: Exception) -> Any:
        if isinstance(exception, SanicException) and exception.status_code < 500:
            status = exception.status_code
            message = "The request was not understood."
        else:
            log.error("action server error", exc_info=exception)
            status, message = 500, "The action server could not handle this request."
        return response.json({"error": message}, status=status)


async def start_slot_cache(app: Sanic) -> None:
    """Before serving: the slot cache and its listener (never fatal: without them every search
    reads the database)."""
    try:
        live = LiveSlots(
            context.engine(),
            context.db_url(),
            poll_interval_s=Settings.from_env().poll_interval_s,
        )
        await live.start()
    except Exception:
        log.exception("slot cache not started; slot searches read the database")
        return
    context.use_live_slots(live)


async def stop_slot_cache(app: Sanic) -> None:
    live = context.live_slots()
    context.use_live_slots(None)
    if live is not None:
        await live.stop()


def build_app(*, slot_cache: bool = True) -> Sanic:
    """The rasa-sdk app with every action of the `actions` package, no CORS, generic errors,
    and (unless `slot_cache` is False) the listener-fed slot cache."""
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    # Replaces the handler object that holds rasa-sdk's echoing `@app.exception(Exception)`.
    app.error_handler = GenericErrors()
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_TIMEOUT_S
    if slot_cache:
        app.before_server_start(start_slot_cache)
        app.after_server_stop(stop_slot_cache)
    return app


def main() -> None:
    # Rasa 3.6 (its own Python 3.10 venv) talks to this rasa-sdk 3.x server over plain HTTP; the
    # version check warns on every call although the protocol is the same (tests/e2e prove it).
    warnings.filterwarnings(
        "ignore", message="Your versions of rasa and rasa_sdk", category=UserWarning
    )
    try:
        settings = Settings.from_env()
    except ValidationError as exc:
        raise SystemExit(f"action server not started: {exc.errors()[0]['msg']}") from None
    configure_logging(settings.log_level)
    app = build_app(slot_cache=settings.actions_slot_cache)
    log.info(
        "action server listening",
        extra={"host": settings.actions_host, "port": settings.action_port},
    )
    app.run(
        host=settings.actions_host,
        port=settings.action_port,
        single_process=True,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
