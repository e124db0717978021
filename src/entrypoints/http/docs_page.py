"""The Swagger UI page at /docs, with a Content-Security-Policy that lets it work and nothing more.

The page loads Swagger UI from its CDN and starts it with one inline script (the OpenAPI document inside); that
script is allowed by its hash, not by 'unsafe-inline', so nothing injected into the page could run. Styles may be
inline (Swagger UI sets style attributes as it renders), images may be data: URIs (its icons), and "try it out"
calls only this origin. The page cannot be framed.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import Response

from src.entrypoints.http.security_headers import FRAME_ANCESTORS


class _InlineScripts(HTMLParser):
    """Collects the text of every <script> without a src: what the policy must allow by hash."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not dict(attrs).get("src"):
            self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _script_hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def docs_policy(plugin: SwaggerRenderPlugin, html: str) -> str:
    parser = _InlineScripts()
    parser.feed(html)
    cdn = " ".join(sorted({_origin(plugin.js_url), _origin(plugin.standalone_preset_js_url), _origin(plugin.css_url)}))
    hashes = " ".join(_script_hash(script) for script in parser.scripts)
    return (
        f"default-src 'none'; script-src {cdn} {hashes}; style-src {cdn} 'unsafe-inline'; "
        f"img-src 'self' data: {cdn}; font-src {cdn} data:; connect-src 'self'; "
        f"base-uri 'none'; form-action 'self'; {FRAME_ANCESTORS}"
    )


def swagger_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    plugin = SwaggerRenderPlugin()
    html = plugin.render(request, request.app.openapi_schema.to_schema())
    policy = docs_policy(plugin, html.decode())
    return Response(html, media_type="text/html", headers={"Content-Security-Policy": policy})
