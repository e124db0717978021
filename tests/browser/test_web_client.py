"""The web client and the operator console in a real browser (headless Chromium): what a player and an operator
do, through the pages, the API and the WebSocket, with the pages' own Content-Security-Policy in force."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.conftest import ADMIN_SITE_ID
from tests.support.api import ADMIN_PASSWORD, PASSWORD
from tests.support.clocks import wait_clear_of_midnight

pytestmark = pytest.mark.e2e  # a server process and a browser

PHONE = {"width": 390, "height": 844}


class Pages:
    """Opens pages in fresh contexts and collects what the browser complains about (CSP violations included)."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.problems: list[str] = []
        self.expected = ["401"]  # refusals a test provokes on purpose (the browser logs each failed request)

    def open(self, url: str, **options: object) -> Page:
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.goto(url)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(status in message.text for status in self.expected):
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

    console = _console(pages, web_server)
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


def _console(pages: Pages, url: str) -> Page:
    console = pages.open(url + "/admin")
    console.get_by_label("Site id").fill(ADMIN_SITE_ID)
    console.get_by_label("Password").fill(ADMIN_PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    expect(console.get_by_role("link", name="Players")).to_be_visible()
    return console


def _ensure_a_season(url: str) -> None:
    """A running battle pass season: the migrations seed one for this winter; past it, the test starts its own."""
    admin = httpx.post(f"{url}/api/auth/admin/login", json={"site_id": ADMIN_SITE_ID, "password": ADMIN_PASSWORD})
    now = datetime.now(UTC)
    season = {
        "name": "Browser season",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
        "levels": [{"level": 1, "xp": 100, "free": {"coins": 50}}, {"level": 2, "xp": 10_000, "free": {"coins": 500}}],
        "premium_price_gems": 100,
    }
    created = httpx.post(
        f"{url}/api/admin/engagement/battlepass",
        json=season,
        headers={"authorization": f"Bearer {admin.json()['access_token']}"},
    )
    assert created.status_code == 201 or "overlaps" in created.json()["error"]["message"], created.text


def test_a_player_claims_a_mission_and_a_pass_level_checks_a_play_and_takes_limits_and_a_break(
    web_server: str, pages: Pages
) -> None:
    _ensure_a_season(web_server)
    page = pages.open(web_server + "/")
    sign_up(page)
    page.get_by_role("button", name="Spin").click()
    expect(page.get_by_test_id("spin-result")).not_to_be_empty()
    notice = page.locator("#notice")
    page.get_by_role("link", name="Shop").click()
    page.get_by_role("button", name="Buy 100 gems").click()  # a purchase is worth 500 battle pass XP
    expect(page.get_by_test_id("purchase-status")).to_contain_text("+100 gems")

    # the server counts the spin from its own events; the stream's mission_completed redraws the list
    page.get_by_role("link", name="Missions").click()
    claim = page.get_by_role("button", name="Claim Spin the slot for the first time")
    claim.click(timeout=20_000)
    expect(notice).to_contain_text("Claimed Spin the slot for the first time: 500 coins")
    expect(page.get_by_test_id("mission-first_spin")).to_contain_text("✓ Claimed")

    page.get_by_role("link", name="Battle pass").click()
    expect(page.get_by_test_id("pass-level")).to_have_text(re.compile(r"^Level [1-9]\d* / \d+$"), timeout=20_000)
    page.get_by_role("button", name="Claim level 1 (free)").click()
    expect(notice).to_contain_text("Claimed level 1 (free): ")
    expect(page.get_by_role("button", name="Claim level 1 (free)")).to_have_count(0)

    wait_clear_of_midnight(60)  # the tick and the calendar (the server's month) on one day, and so one month
    page.get_by_role("link", name="Daily streak").click()
    page.get_by_role("button", name="Claim today").click()
    expect(page.get_by_test_id("calendar").locator("td.ticked")).to_have_count(1)

    page.get_by_role("link", name="Fairness").click()
    expect(page.get_by_role("button", name="Rotate seeds")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("null")  # no previous pair yet: nothing is drawn for it
    check = page.get_by_role("button", name=re.compile("^Check the slot play"))
    check.click()
    expect(page.get_by_test_id("proof-result")).to_contain_text("still secret: rotate your seeds")
    page.get_by_role("button", name="Rotate seeds").click()
    expect(page.get_by_text("Previous pair (revealed)")).to_be_visible()
    check.click()
    expect(page.get_by_test_id("proof-result")).to_contain_text("✓ Verified")
    page.get_by_label("Client seed").fill("my lucky seed")
    page.get_by_role("button", name="Save client seed").click()
    expect(notice).to_have_text("Client seed saved")
    expect(page.locator("dd", has_text="my lucky seed")).to_have_count(1)

    page.get_by_role("link", name="Limits").click()
    page.get_by_label("Daily limit ($)").fill("50")
    page.get_by_role("button", name="Save limits").click()
    expect(notice).to_have_text("Saved: in force now.")
    expect(page.get_by_test_id("usage-daily_cents")).to_contain_text("of $50.00")
    page.get_by_label("Daily limit ($)").fill("100")  # a higher limit waits 24 hours
    page.get_by_role("button", name="Save limits").click()
    expect(page.get_by_test_id("pending")).to_contain_text(re.compile(r"daily: \$100\.00 from .+"))

    page.get_by_role("button", name="Take a time-out…").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()  # nothing happens
    expect(page.get_by_test_id("restriction")).to_have_count(0)
    page.get_by_role("button", name="Take a time-out…").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, pause for 24 hours").click()
    expect(page.get_by_test_id("restriction")).to_contain_text("Timed out until")
    pages.expected.append("403 (Forbidden)")
    page.get_by_role("link", name="Slot").click()
    page.get_by_role("button", name="Spin").click()
    expect(notice).to_contain_text("TIMED_OUT")


def test_the_console_charts_kpis_and_previews_gacha_odds_before_saving(web_server: str, pages: Pages) -> None:
    console = _console(pages, web_server)
    pages.expected.append("400 (Bad Request)")  # the preview of a draft whose rates do not sum to 1

    console.get_by_role("link", name="KPIs").click()
    for chart in ("Daily active players", "Revenue per day", "Retention of each day's new players"):
        expect(console.get_by_role("img", name=chart)).to_be_visible()
    expect(console.get_by_test_id("chart-dau").locator("rect")).to_have_count(30)  # a bar a day, 30 days
    expect(console.get_by_test_id("chart-retention").locator("rect")).to_have_count(90)  # D1, D7, D30 a day
    expect(console.get_by_test_id("kpi-dau")).to_have_text(re.compile(r"^\d+$"))

    console.get_by_role("link", name="Gacha odds").click()
    effective = console.get_by_test_id("effective-Legendary")
    expect(effective).not_to_be_empty()
    before = effective.inner_text()
    console.get_by_label("Legendary rate").fill("0.016")
    console.get_by_label("Common rate").fill("0.69")
    expect(effective).not_to_have_text(before)  # computed by the server before anything is saved
    proposed = effective.inner_text()
    console.get_by_label("Common rate").fill("0.8")  # the rates no longer sum to 1
    expect(console.get_by_test_id("gacha-preview")).to_have_attribute("data-kind", "error")
    console.get_by_label("Common rate").fill("0.69")
    expect(effective).to_have_text(proposed)
    console.get_by_role("button", name="Save gacha odds").click()
    expect(console.locator("#notice")).to_have_text(f"Saved: Legendary {proposed} effective")


def _signed_up_player(url: str) -> dict[str, Any]:
    """A player made over HTTP: the console tests need one to count, not one to click through the client."""
    site_id = f"web_{uuid.uuid4().hex[:10]}"
    body = {"site_id": site_id, "nickname": site_id[-12:], "password": PASSWORD, "invite_code": "5858"}
    created = httpx.post(f"{url}/api/auth/signup", json=body)
    assert created.status_code == 201, created.text
    tokens: dict[str, Any] = created.json()
    return tokens


def test_the_console_creates_a_segment_recomputes_and_previews_its_members(web_server: str, pages: Pages) -> None:
    player = _signed_up_player(web_server)
    console = _console(pages, web_server)
    pages.expected.append("400 (Bad Request)")  # the rule that does not parse
    notice = console.locator("#notice")
    console.get_by_role("link", name="Segments").click()
    expect(console.get_by_role("heading", name="Segments", level=1)).to_be_focused()
    expect(console.get_by_test_id("count-Whale")).to_have_text(re.compile(r"^\d"))  # the RFM groups come first

    name = f"new_{uuid.uuid4().hex[:8]}"
    console.get_by_label("Name").fill(name)
    console.get_by_label("Rule").fill("days_since_signup >= 0 and")
    console.get_by_role("button", name="Create segment").click()
    expect(notice).to_contain_text("at position")  # the server's parse error, with where the rule stops
    expect(console.get_by_label("Rule")).to_have_attribute("aria-invalid", "true")
    console.get_by_label("Rule").fill("days_since_signup >= 0")
    console.get_by_role("button", name="Create segment").click()
    expect(notice).to_contain_text(re.compile(rf"Created {name}: \d+ players?$"))
    expect(console.get_by_test_id(f"count-{name}")).to_have_text(re.compile(r"^\d"))

    console.get_by_role("button", name="Recompute").click()
    status = console.get_by_test_id("recompute-status")
    expect(status).to_contain_text(re.compile(r"^Done: [1-9]\d* players? profiled"), timeout=60_000)
    expect(status).to_have_attribute("data-kind", "ok")
    expect(console.get_by_test_id(f"count-{name}")).not_to_have_text("0")  # everyone signed up matches

    console.get_by_role("link", name=f"Preview {name}").click()
    expect(console.get_by_role("heading", name=f"Segment {name}", level=1)).to_be_focused()
    expect(console.get_by_test_id("preview-count")).to_have_text(
        re.compile(r"^[1-9][\d,]* (player matches|players match) now$")
    )
    expect(console.get_by_role("link", name=player["user"]["id"])).to_be_visible()
    console.get_by_label("Params (JSON object)").fill('{"discount_percent": 10}')
    console.get_by_role("button", name="Save override").click()
    expect(notice).to_have_text(f"Override saved for {name}")
    console.reload()  # the override is read back from the server
    expect(console.get_by_label("Params (JSON object)")).to_have_value('{"discount_percent":10}')


def test_the_console_creates_an_experiment_reads_its_results_changes_its_split_and_stops_it(
    web_server: str, pages: Pages
) -> None:
    player = _signed_up_player(web_server)
    console = _console(pages, web_server)
    pages.expected.append("400 (Bad Request)")  # the variant params the server refuses
    notice = console.locator("#notice")
    console.get_by_role("link", name="Experiments").click()
    expect(console.get_by_role("heading", name="Experiments", level=1)).to_be_focused()

    key = f"banner_{uuid.uuid4().hex[:8]}"
    console.get_by_label("Key").fill(key)
    console.get_by_label("Goal").select_option("spin")
    console.get_by_role("button", name="Add variant").click()
    expect(console.get_by_label("Variant 3 name")).to_be_focused()
    console.get_by_label("Variant 3 weight").fill("0")
    expect(console.get_by_test_id("variant-shares")).to_have_text(
        "New players split: control 50%, treatment 50%, treatment_2 0%"
    )
    console.get_by_role("button", name="Remove variant 3").click()
    console.get_by_label("Variant 2 params (JSON, optional)").fill('{"discount_percent": 101}')
    console.get_by_role("button", name="Create experiment").click()
    expect(notice).to_contain_text("variants[1].params.discount_percent")  # the server names the field
    console.get_by_label("Variant 2 params (JSON, optional)").fill('{"discount_percent": 10}')
    console.get_by_role("button", name="Create experiment").click()
    expect(notice).to_have_text(f"Created experiment {key} (running)")
    row = console.get_by_test_id("experiments").get_by_role("row", name=re.compile(key))
    expect(row).to_contain_text("control 50 · treatment 50")

    assigned = httpx.post(
        f"{web_server}/api/abtest/assign",
        json={"experiment": key},
        headers={"authorization": f"Bearer {player['access_token']}"},
    )
    assert assigned.status_code == 200, assigned.text
    row.get_by_role("link", name=key).click()
    expect(console.get_by_role("heading", name=f"Experiment {key}", level=1)).to_be_focused()
    expect(console.get_by_test_id("experiment-status")).to_have_text("running")
    results = console.get_by_test_id("results")
    exposed_arm = results.get_by_role("row", name=re.compile(rf"^{assigned.json()['variant']}\b"))
    _refresh_until(console, lambda: exposed_arm.get_by_role("cell").nth(1).inner_text() == "1")  # via the OLAP store
    expect(results.get_by_role("columnheader")).to_have_text(
        [
            "Variant",
            "Exposed",
            "Converted",
            "Conversion rate",
            "Lift",
            "Revenue per exposed",
            "p-value",
            "Revenue p-value",
        ]
    )
    expect(console.get_by_test_id("srm")).to_contain_text("Sample ratio check")

    console.get_by_label("treatment weight", exact=True).fill("0")  # close the arm to new players
    console.get_by_role("button", name="Start the new split").click()
    expect(notice).to_have_text("Phase 2 started: control 50 · treatment 0")
    expect(console.get_by_test_id("experiment-traffic-phase")).to_have_text("2")

    console.get_by_role("button", name="Stop experiment…").click()
    console.get_by_role("dialog").get_by_role("button", name="Cancel").click()  # nothing happens
    expect(console.get_by_test_id("experiment-status")).to_have_text("running")
    console.get_by_role("button", name="Stop experiment…").click()
    console.get_by_role("dialog").get_by_role("button", name="Yes, stop the experiment").click()
    expect(notice).to_have_text(f"Stopped {key}")
    expect(console.get_by_test_id("experiment-status")).to_have_text("stopped")
    expect(console.get_by_role("button", name="Stop experiment…")).to_have_count(0)
    expect(console.get_by_role("main")).not_to_contain_text("null")  # nor the split form it no longer offers

    # a mismatch cannot be provoked with one player: the scorecard of a skewed experiment is served instead
    skewed = {**_scorecard(key), "srm": {"p_value": 2e-9, "flagged": True, "alpha": 0.001, "expected": {"a": 500}}}
    console.route("**/api/admin/experiments/*/results", lambda route: route.fulfill(json=skewed))
    console.get_by_role("button", name="Refresh results").click()
    expect(console.get_by_role("alert")).to_contain_text("Sample ratio mismatch")
    expect(console.get_by_role("alert")).to_contain_text("χ² p < 0.0001")


def _scorecard(key: str) -> dict[str, Any]:
    arm = {"exposed": 600, "converted": 60, "conversion_rate": 0.1, "revenue_cents": 0, "revenue_per_exposed_cents": 0}
    tests = {"conversion_lift": None, "p_value": None, "revenue_difference_cents": None, "revenue_p_value": None}
    return {
        "experiment_id": "x",
        "key": key,
        "goal": "spin",
        "status": "stopped",
        "variants": [{"variant": "a", "is_control": True, **arm, **tests}],
    }


def _refresh_until(console: Page, done: Callable[[], bool], timeout: float = 60) -> None:
    """Results count what reached the OLAP store: refresh them until they show what the test expects."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the results never showed the exposure"
        console.get_by_role("button", name="Refresh results").click()
        console.wait_for_timeout(500)
