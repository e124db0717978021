"""Browser-facing protections on every response: errors, 404s and 405s included (a `before_send` hook sees
every message the app sends, whoever produced it).

- no MIME sniffing, no Referer to other sites, no framing (`X-Frame-Options` for old browsers, CSP
  `frame-ancestors` for the rest);
- the API serves data, never pages: its policy lets nothing load (`default-src 'none'`); a route that serves
  HTML sets its own policy (the docs page), which is kept;
- `Cache-Control: no-store` on every response, because almost every one carries tokens or personal data; a
  route that is safe to cache says so with a `public` Cache-Control of its own.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

FRAME_ANCESTORS = "frame-ancestors 'none'"
API_POLICY = f"default-src 'none'; {FRAME_ANCESTORS}"
NO_STORE = "no-store"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """before_send hook: runs for every HTTP response start, after the handler or error handler built it."""
    if message["type"] != "http.response.start":
        return
    message.setdefault("headers", [])
    headers = MutableScopeHeaders.from_message(message)
    for name, value in ALWAYS.items():
        headers[name] = value
    if "content-security-policy" not in headers:
        headers["Content-Security-Policy"] = API_POLICY
    if "public" not in headers.get("cache-control", "").lower():
        headers["Cache-Control"] = NO_STORE
