"""Browser fixtures: one `casino-club serve` on the embedded defaults (as `make run` starts it) with an admin, and
one headless Chromium (Debian's, driven by Playwright); each test gets fresh contexts. Module-scoped, not session:
Playwright's sync API keeps an event loop running in the thread while it is open, and the asyncio tests that a
pytest-xdist worker runs after this module need that thread free again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.support.api import ADMIN_PASSWORD
from tests.support.browser import HINT, ensure_chromium
from tests.support.processes import serving

ADMIN_SITE_ID = "console_admin"


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("browser") / "var"
    env = {
        "VAR_DIR": str(var),
        "APP_ENV": "development",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CLICKHOUSE_DSN": "",
        "LOG_LEVEL": "WARNING",
        "ADMIN_SITE_ID": ADMIN_SITE_ID,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "TEST_CHEAP_PASSWORD_HASHES": "true",
    }
    # migrating SQLite from scratch and starting take a while on a loaded machine (the suite runs beside helpers)
    with serving(env, "--migrate", startup_timeout=180) as url:
        yield url


# how long an assertion or an action waits for the page (Playwright's default is 5 s): on two cores shared with the
# rest of the suite, a live update can take longer than that to reach the page; a wait ends as soon as it holds
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium: Path | None = ensure_chromium()
    if chromium is None:
        pytest.fail(f"the browser tests need Chromium: {HINT}")
    # --no-sandbox: the suite may run as root (CI does), where Chromium's sandbox refuses to start
    launched = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=["--no-sandbox"])
    yield launched
    launched.close()
