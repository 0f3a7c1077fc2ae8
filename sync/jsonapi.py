"""HTTP plumbing shared by the handlers: JSON error bodies, body parsing, the error middleware."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from chatbot.errors import BookingError, InvalidInput

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str, separators=(",", ":"))


def json_response(obj: Any, status: int = 200) -> web.Response:
    return web.json_response(obj, status=status, dumps=dumps)


async def read_json(request: web.Request, model: type[M]) -> M:
    """Parse and validate the body; malformed JSON or bad fields → InvalidInput (422),
    over `client_max_size` → 413. Nothing is written before this succeeds."""
    raw = await request.read()  # raises HTTPRequestEntityTooLarge past client_max_size
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidInput("request body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvalidInput(f"{where}: {first.get('msg', 'invalid')}") from exc


def int_param(value: str | None, name: str, *, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{name} is required")
        return None
    if not value.isdigit() or len(value) > 12:
        raise InvalidInput(f"{name} must be a positive integer")
    return int(value)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """BookingError subclasses and aiohttp's HTTP errors → `{"error", "message"}` JSON."""
    try:
        return await handler(request)
    except BookingError as exc:
        return json_error(exc.http_status, exc.code, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "error")
        message = exc.reason if exc.status != 413 else "request body too large"
        return json_error(exc.status, code, message)
