"""Every response carries the browser protections, errors included; the docs page's policy lets it work."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from src.entrypoints.http.security import PUBLIC
from tests.support.api import bearer, log_in, sign_up

EVERY_RESPONSE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


@get("/test/crash", sync_to_thread=False, opt={PUBLIC: True})
def crash() -> None:
    raise RuntimeError("a bug")


@pytest.fixture(scope="module")
def module_app(module_app: Litestar) -> Litestar:
    """The module's app with a route that fails, registered before it starts."""
    module_app.register(crash)
    return module_app


@pytest.fixture
def sut(client: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    return client


def _policy(response: Any) -> dict[str, list[str]]:
    directives = [part.split() for part in response.headers["content-security-policy"].split(";") if part.strip()]
    return {directive[0]: directive[1:] for directive in directives}


async def test_every_kind_of_response_carries_the_protections(sut: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(sut)
    responses = {
        "public 200": await sut.get("/health"),
        "tokens": await log_in(sut, player["user"]["site_id"]),
        "wrong password": await log_in(sut, player["user"]["site_id"], "not-the-password"),
        "personal 200": await sut.get("/api/auth/sessions", headers=bearer(player)),
        "refused by the auth middleware": await sut.get("/api/auth/sessions"),
        "validation error": await sut.post(
            "/api/auth/login", content=b"{", headers={"content-type": "application/json"}
        ),
        "unknown route": await sut.get("/api/no-such-thing"),
        "wrong method": await sut.delete("/health"),
        "server error": await sut.get("/test/crash"),
        "metrics": await sut.get("/metrics"),
        "schema": await sut.get("/schema/openapi.json"),
    }

    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {
        "public 200": 200,
        "tokens": 200,
        "wrong password": 401,
        "personal 200": 200,
        "refused by the auth middleware": 401,
        "validation error": 400,
        "unknown route": 404,
        "wrong method": 405,
        "server error": 500,
        "metrics": 200,
        "schema": 200,
    }
    for name, response in responses.items():
        assert {key: response.headers.get(key) for key in EVERY_RESPONSE} == EVERY_RESPONSE, name
        assert _policy(response) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}, name


class _PageResources(HTMLParser):
    """What a browser would load or run for the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.script_urls: list[str] = []
        self.stylesheet_urls: list[str] = []
        self.image_urls: list[str] = []
        self.inline_scripts: list[str] = []
        self.inline_styles = 0
        self._inline: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.script_urls.append(str(attributes["src"]))
        elif tag == "script":
            self._inline = []
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheet_urls.append(str(attributes["href"]))
        elif tag == "link" and attributes.get("rel") == "icon":
            self.image_urls.append(str(attributes["href"]))
        elif tag == "style":
            self.inline_styles += 1

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline is not None:
            self.inline_scripts.append("".join(self._inline))
            self._inline = None


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/")


@pytest.mark.parametrize("path", ["/docs", "/docs/realtime"])
async def test_the_docs_pages_load_only_local_assets_run_no_inline_script_and_cannot_be_framed(
    sut: AsyncTestClient[Litestar], path: str
) -> None:
    response = await sut.get(path)
    page = _PageResources()
    page.feed(response.text)
    policy = _policy(response)
    assets = [*page.script_urls, *page.stylesheet_urls, *page.image_urls]

    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    assert page.stylesheet_urls
    assert page.inline_scripts == []  # nothing inline: the policy can say 'self' and nothing else
    assert policy.get("script-src", ["'self'"]) == ["'self'"]
    assert all(_same_origin(url) for url in assets), assets  # no CDN
    for url in assets:
        asset = await sut.get(url)
        assert asset.status_code == 200, url
        assert "public" in asset.headers["cache-control"]
    assert policy["style-src"][0] == "'self'"


async def test_swagger_ui_starts_on_the_api_document_and_links_the_realtime_reference(
    sut: AsyncTestClient[Litestar],
) -> None:
    page = (await sut.get("/docs")).text
    policy = _policy(await sut.get("/docs"))

    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert 'data-spec-url="/schema/openapi.json"' in page
    assert 'href="/docs/realtime"' in page
    assert "data:" in policy["img-src"]  # Swagger UI's icons are data: URIs in its stylesheet
    assert policy["connect-src"] == ["'self'"]  # it fetches the document, and "try it out" calls this API only


@pytest.mark.parametrize("path", ["/", "/admin"])
async def test_the_web_client_and_console_run_only_their_own_scripts_and_styles(
    sut: AsyncTestClient[Litestar], path: str
) -> None:
    response = await sut.get(path)
    page = _PageResources()
    page.feed(response.text)
    policy = _policy(response)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert page.inline_scripts == []
    assert page.inline_styles == 0
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]  # the API and its WebSocket, nothing else
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["cache-control"] == "no-store"
    for url in [*page.script_urls, *page.stylesheet_urls, *page.image_urls]:
        assert _same_origin(url), url
        asset = await sut.get(url)
        assert asset.status_code == 200, url
    module = await sut.get(page.script_urls[0])
    assert module.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "innerHTML" not in module.text  # text is always text: nothing a player typed can become markup


async def test_the_console_data_is_refused_to_a_player(sut: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(sut)

    page = await sut.get("/admin")  # the shell holds no data
    users = await sut.get("/api/admin/users", headers=bearer(player))
    odds = await sut.post("/api/admin/slot/config/preview", json={"symbols": []}, headers=bearer(player))

    assert page.status_code == 200
    assert (users.status_code, users.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert odds.status_code == 403
