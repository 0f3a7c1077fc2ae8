"""The REST channel, minus turns whose caller has already given up.

The web app's chat gateway sends `X-Turn-Deadline: <epoch seconds>` with each turn. When Rasa
is behind, a request can sit in its event loop until after that moment; processing it then
would spend CPU on a reply nobody reads and change the conversation behind the user's back
(the gateway has already answered "busy, retrying", and the widget resends the message). So a
turn that has not begun by its deadline is refused with 503 `turn_deadline_passed` before
anything is parsed or stored; a turn that has begun runs to its end, so no turn is left half
done. Requests without the header (tests, other clients) are handled as before.

credentials.yml: `rasa_ext.channels.DeadlineRestInput:` in place of `rest:`; the channel keeps
the name `rest`, so the URL stays /webhooks/rest/webhook.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response

logger = logging.getLogger(__name__)

DEADLINE_HEADER = "X-Turn-Deadline"
EXPIRED = "turn_deadline_passed"


def deadline_passed(header: str | None, now: float | None = None) -> bool:
    """True when the header holds a moment already past; absent or malformed: False."""
    if not header:
        return False
    try:
        deadline = float(header)
    except ValueError:
        return False
    return (time.time() if now is None else now) > deadline


class DeadlineRestInput(RestInput):
    """`RestInput` whose webhook refuses turns that reach it after their deadline."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def refuse_expired(request: Any) -> Any:
            if request.method == "POST" and deadline_passed(request.headers.get(DEADLINE_HEADER)):
                logger.info("skipped a turn past its deadline (the caller has given up)")
                return response.json({"error": EXPIRED}, status=503)
            return None

        return webhook
