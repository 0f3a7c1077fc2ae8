"""The web pages: patient chat `/`, admin dashboard `/admin`, dentist page `/dentist`, the dev
sign-in `/login`, and their assets under `/static/` (plain HTML/CSS/ES modules, no build step).

Pages are static files; they fetch data from the JSON API with the token kept in localStorage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from sync.keys import SETTINGS

STATIC_DIR = Path(__file__).resolve().parent / "static"

PAGES = {
    "/": "patient.html",
    "/admin": "admin.html",
    "/dentist": "dentist.html",
}

# Scripts and styles only from this origin; no inline code, no framing. connect-src 'self'
# also covers the page's own WebSocket (CSP3: 'self' matches ws:/wss: on the same host), and
# nothing else: a script that got in could not send a token to another host.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _page(filename: str) -> Handler:
    path = STATIC_DIR / filename

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers=PAGE_HEADERS)

    return handler


@web.middleware
async def _static_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith("/static/"):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-cache")
    return response


def setup_pages(app: web.Application) -> None:
    """Serve the pages. `/login` is the demo sign-in (pick a seeded user) in dev mode; in
    production it only accepts the identity provider's redirect (`/login#token=<jwt>`)."""
    dev_mode = app[SETTINGS].dev_mode
    for route, filename in PAGES.items():
        app.router.add_get(route, _page(filename))
    app.router.add_get("/login", _page("login.html" if dev_mode else "signin.html"))
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    app.middlewares.append(_static_headers)
