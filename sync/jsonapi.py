"""HTTP plumbing shared by the handlers: JSON error bodies, strict body parsing, ids, the error
middleware and the headers every response gets.

Bodies are read in this order, and nothing is written before all of it succeeds: media type
(`application/json`, else 415) → size (`client_max_size`, else 413) → nesting depth, counted on
the raw bytes before any parser recurses (else 400) → pydantic in strict JSON mode (`"2"`,
`2.0`, `true` are not the integer 2; a date-time is an ISO string, never a number; else 422).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from chatbot.errors import BookingError, InvalidInput

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

MAX_JSON_DEPTH = 32
ID_PATTERN = re.compile(r"[0-9]{1,12}")  # ASCII digits only: not '²', '١٢' or '１２'
SERVER_NAME = "brightsmile"  # instead of aiohttp's "Python/3.x aiohttp/3.x"

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
    429: "rate_limited",
}


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str, separators=(",", ":"))


def json_response(obj: Any, status: int = 200) -> web.Response:
    return web.json_response(obj, status=status, dumps=dumps)


def nesting_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does the JSON text open more than `limit` arrays/objects at once? One pass over the
    bytes, skipping strings, so `'[' * 30000` is refused before a parser recurses into it."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def parse_json(raw: bytes, model: type[M]) -> M:
    """Validate raw bytes against `model` in strict JSON mode. Too deep → 400 (HTTPBadRequest);
    not JSON, not an object, or a bad field → InvalidInput (422)."""
    if nesting_depth_exceeds(raw):
        raise web.HTTPBadRequest(reason=f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return model.model_validate_json(raw or b"null", strict=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise InvalidInput("request body is not valid JSON") from exc
        if first["type"] == "model_type":
            raise InvalidInput("request body must be a JSON object") from exc
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvalidInput(f"{where}: {first.get('msg', 'invalid')}") from exc


def require_json_media_type(request: web.Request) -> None:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(reason="Send the body as application/json.")


async def read_json(request: web.Request, model: type[M]) -> M:
    """The body as `model` (see the module docstring for the checks and their statuses)."""
    require_json_media_type(request)
    raw = await request.read()  # raises HTTPRequestEntityTooLarge past client_max_size
    return parse_json(raw, model)


def int_param(value: str | None, name: str, *, required: bool = False) -> int | None:
    """An id from a path or query string: 1-12 ASCII digits, else InvalidInput (422)."""
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{name} is required")
        return None
    if not ID_PATTERN.fullmatch(value):
        raise InvalidInput(f"{name} must be a positive integer")
    return int(value)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """BookingError subclasses and aiohttp's HTTP errors → `{"error", "message"}` JSON; any
    other exception → a generic 500 (the details go to the log, never to the client)."""
    try:
        return await handler(request)
    except BookingError as exc:
        return json_error(exc.http_status, exc.code, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "error")
        message = exc.reason if exc.status != 413 else "request body too large"
        response = json_error(exc.status, code, message)
        if exc.status == 405:
            response.headers["Allow"] = exc.headers.get("Allow", "")
        return response
    except Exception:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            raise  # the socket answer may be under way: aiohttp closes it
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal_error", "Something went wrong on our side.")


async def harden_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: no server version, and API answers are never cached (they carry
    personal data and are only valid for the token that asked)."""
    response.headers["Server"] = SERVER_NAME
    if request.path.startswith("/api/") or request.path == "/ws":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
