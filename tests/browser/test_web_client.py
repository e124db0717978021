"""The web client and the operator console in a real browser (headless Chromium): what a player and an operator
do, through the pages, the API and the WebSocket, with the pages' own Content-Security-Policy in force."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.conftest import ADMIN_SITE_ID
from tests.support.api import ADMIN_PASSWORD, PASSWORD

pytestmark = pytest.mark.e2e  # a server process and a browser

PHONE = {"width": 390, "height": 844}


class Pages:
    """Opens pages in fresh contexts and collects what the browser complains about (CSP violations included)."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.problems: list[str] = []

    def open(self, url: str, **options: object) -> Page:
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.goto(url)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "401" not in message.text:
            self.problems.append(message.text)


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    opened = Pages(browser)
    yield opened
    for context in opened.contexts:
        context.close()
    assert opened.problems == []  # no script error, no blocked resource, no CSP violation


def sign_up(page: Page) -> str:
    site_id = f"web_{uuid.uuid4().hex[:10]}"
    page.get_by_role("link", name="Create an account with an invite code").click()
    page.get_by_label("Site id").fill(site_id)
    page.get_by_label("Nickname").fill(site_id[-12:])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Invite code").fill("5858")
    page.get_by_label("Invite code").press("Enter")  # the keyboard submits the form
    expect(page.get_by_test_id("coins")).to_contain_text("1,000")
    return site_id


def test_a_new_player_signs_up_spins_buys_gems_and_sees_the_purchase_notification_live(
    web_server: str, pages: Pages
) -> None:
    page = pages.open(web_server + "/", viewport=PHONE)  # at phone width
    sign_up(page)
    expect(page.locator(".live")).to_have_text("● live")  # the WebSocket is up

    page.get_by_role("button", name="Spin").click()
    expect(page.get_by_test_id("spin-result")).not_to_be_empty()
    expect(page.get_by_test_id("reel-0")).not_to_have_text("?")
    expect(page.get_by_test_id("coins")).not_to_contain_text("1,000", timeout=15_000)  # the bet left the wallet

    page.get_by_role("link", name="Shop").click()
    expect(page.get_by_label("Card (sandbox)")).to_have_value("tok_visa")
    page.get_by_role("button", name="Buy 100 gems").click()
    expect(page.get_by_test_id("purchase-status")).to_contain_text("+100 gems")
    expect(page.get_by_test_id("gems")).to_have_text("100 gems", timeout=15_000)

    # the receipt is a notification the server pushes over the WebSocket: the inbox badge counts it, no reload
    # (it is also shown as a toast for a few seconds: not asserted, a loaded machine could outlast it)
    expect(page.get_by_test_id("unread")).to_have_text(re.compile(r"[1-9]"), timeout=15_000)
    page.get_by_role("link", name=re.compile("^Inbox")).click()
    expect(page.get_by_test_id("inbox")).to_contain_text("100 gems were added to your balance")


def test_an_admin_changes_a_slot_weight_and_the_players_paytable_shows_the_new_rtp(
    web_server: str, pages: Pages
) -> None:
    player = pages.open(web_server + "/")
    sign_up(player)
    before = player.get_by_test_id("rtp").inner_text()

    console = pages.open(web_server + "/admin")
    console.get_by_label("Site id").fill(ADMIN_SITE_ID)
    console.get_by_label("Password").fill(ADMIN_PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_role("link", name="Slot odds").click()
    weight = console.get_by_label("cherry weight")
    weight.fill(str(int(weight.input_value()) + 6))
    preview = console.get_by_test_id("rtp-preview")
    expect(preview).not_to_contain_text(before)  # the RTP the change would publish, computed before saving
    expect(preview).to_have_attribute("data-kind", "ok")
    proposed = re.search(r"RTP if saved: ([\d.]+%)", preview.inner_text())
    assert proposed
    console.get_by_role("button", name="Save odds").click()
    expect(console.locator("#notice")).to_contain_text(f"Saved: RTP {proposed.group(1)}")

    player.get_by_role("link", name="Gacha").click()
    player.get_by_role("link", name="Slot").click()
    expect(player.get_by_test_id("rtp")).to_have_text(proposed.group(1))
