"""Pages and static assets for browsers, each page with a Content-Security-Policy of its own.

Every page loads scripts from this origin only (no inline script, no eval), so nothing injected into a page can run:
- the web client and the console: styles from this origin too, images from this origin or data: URIs, calls
  (fetch, WebSocket) to this origin only;
- the Swagger UI page: the same, except that styles may be inline (Swagger UI sets style attributes as it renders);
- the realtime reference: no script at all.
Static assets may be cached briefly (`public, max-age`), pages are not (they name the current assets).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from litestar import Controller, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.response import Response
from litestar.static_files import create_static_files_router

from src.entrypoints.http.security import PUBLIC
from src.entrypoints.http.security_headers import FRAME_ANCESTORS
from src.entrypoints.web import PAGES_DIR, STATIC_DIR

STATIC_MAX_AGE_SECONDS = 300
APP_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    f"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; {FRAME_ANCESTORS}"
)
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    f"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; {FRAME_ANCESTORS}"
)
REFERENCE_POLICY = f"default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; {FRAME_ANCESTORS}"


@cache
def _page(name: str) -> bytes:
    return (PAGES_DIR / name).read_bytes()


def page(name: str, policy: str) -> Response[bytes]:
    return Response(_page(name), media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": policy})


class PagesController(Controller):
    """The web client and the operator console: static shells; all data comes from the API with the player's or
    the operator's token, and every /api/admin route is refused to anyone but an admin by the server."""

    include_in_schema = False
    opt = {PUBLIC: True}  # noqa: RUF012 - Litestar reads it as a plain class attribute

    @get("/", operation_id="web_client")
    async def client(self) -> Response[bytes]:
        return page("index.html", APP_POLICY)

    @get("/admin", operation_id="operator_console")
    async def console(self) -> Response[bytes]:
        return page("admin.html", APP_POLICY)


class DocsController(Controller):
    include_in_schema = False
    opt = {PUBLIC: True}  # noqa: RUF012 - Litestar reads it as a plain class attribute

    @get("/docs", operation_id="docs")
    async def docs(self) -> Response[bytes]:
        return page("docs.html", DOCS_POLICY)

    @get("/docs/realtime", operation_id="docs_realtime")
    async def realtime(self) -> Response[bytes]:
        return page("realtime.html", REFERENCE_POLICY)


def static_files() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        opt={PUBLIC: True},
        include_in_schema=False,
        cache_control=CacheControlHeader(public=True, max_age=STATIC_MAX_AGE_SECONDS),
    )


def web_handlers() -> list[Any]:
    return [PagesController, DocsController, static_files()]
