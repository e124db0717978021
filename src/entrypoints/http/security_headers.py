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

from litestar.types import Message, Scope

from src.entrypoints.http.request_id import HEADER, request_id_of

FRAME_ANCESTORS = "frame-ancestors 'none'"
API_POLICY = f"default-src 'none'; {FRAME_ANCESTORS}"
NO_STORE = "no-store"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

# encoded once: this runs on every response, and Litestar's MutableScopeHeaders decodes and lowers every header
# name once per header it sets (it was a quarter of the CPU of a GET /health)
_ALWAYS_RAW = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in ALWAYS.items()]
_REQUEST_ID = HEADER.encode("latin-1")
_SET_HERE = frozenset({name for name, _ in _ALWAYS_RAW} | {_REQUEST_ID})
_CSP = b"content-security-policy"
_CACHE_CONTROL = b"cache-control"
_API_POLICY_RAW = (_CSP, API_POLICY.encode("latin-1"))
_NO_STORE_RAW = (_CACHE_CONTROL, NO_STORE.encode("latin-1"))


async def add_response_headers(message: Message, scope: Scope) -> None:
    """before_send hook: the request id and the protections on every HTTP response start, after the handler or
    error handler built it, in one pass over its headers. `X-Request-ID` and the `ALWAYS` headers replace any the
    response had; a response's own Content-Security-Policy is kept (the docs page's), as is a Cache-Control whose
    first value says `public`; otherwise Cache-Control is `no-store`."""
    if message["type"] != "http.response.start":
        return
    headers: list[tuple[bytes, bytes]] = []
    has_policy = False
    cache_control: list[tuple[bytes, bytes]] = []
    for header in message.get("headers") or ():
        name = bytes(header[0]).lower()
        if name in _SET_HERE:
            continue
        if name == _CACHE_CONTROL:
            cache_control.append(header)
            continue
        has_policy = has_policy or name == _CSP
        headers.append(header)
    headers += _ALWAYS_RAW
    if not has_policy:
        headers.append(_API_POLICY_RAW)
    if cache_control and b"public" in bytes(cache_control[0][1]).lower():
        headers += cache_control
    else:
        headers.append(_NO_STORE_RAW)
    headers.append((_REQUEST_ID, request_id_of(scope).encode("latin-1")))
    message["headers"] = headers
