"""`make screenshots`: pictures of the main screens for the README, from a fresh embedded server."""

from __future__ import annotations

import re
import sys
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.support.api import ADMIN_PASSWORD, PASSWORD
from tests.support.browser import ensure_chromium
from tests.support.processes import serving

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def _shot(page: Page, directory: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(directory / f"{name}.png"), full_page=False)


def main(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    chromium = ensure_chromium()
    assert chromium, "Chromium is needed"
    env = {
        "VAR_DIR": str(Path(tempfile.mkdtemp()) / "var"),
        "APP_ENV": "development",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CLICKHOUSE_DSN": "",
        "LOG_LEVEL": "WARNING",
        "ADMIN_SITE_ID": "operator",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    with serving(env, "--migrate") as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        # bypass_csp: only so that the script may scroll the page back to the top before each picture
        page = browser.new_page(viewport=DESKTOP, bypass_csp=True)
        page.goto(url + "/#/signup")
        site_id = f"lucky_{uuid.uuid4().hex[:6]}"
        page.get_by_label("Site id").fill(site_id)
        page.get_by_label("Nickname").fill("LuckyLu")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Invite code").fill("5858")
        _shot(page, directory, "signup")
        page.get_by_role("button", name="Sign up").click()
        for _ in range(3):
            page.get_by_role("button", name="Spin").click()
            expect(page.get_by_test_id("spin-result")).not_to_be_empty()
        _shot(page, directory, "slot")
        page.get_by_role("link", name="Shop").click()
        page.get_by_role("button", name="Buy 100 gems").click()
        expect(page.locator("#toasts")).to_contain_text("Purchase complete")
        _shot(page, directory, "shop")
        page.get_by_role("link", name="Gacha").click()
        page.get_by_role("button", name=re.compile(r"^Pull 1 ")).click()
        expect(page.locator(".pulls li")).not_to_have_count(0)
        _shot(page, directory, "gacha")
        page.get_by_role("link", name="Inbox").click()
        expect(page.get_by_test_id("inbox")).to_contain_text("Purchase complete")
        _shot(page, directory, "inbox")
        page.get_by_role("link", name="Missions").click()
        page.get_by_role("button", name="Claim Spin the slot for the first time").click(timeout=20_000)
        expect(page.get_by_test_id("mission-first_spin")).to_contain_text("Claimed")
        _shot(page, directory, "missions")
        page.get_by_role("link", name="Fairness").click()
        page.get_by_role("button", name="Rotate seeds").click()
        expect(page.get_by_text("Previous pair (revealed)")).to_be_visible()
        page.get_by_role("button", name=re.compile("^Check the slot play")).first.click()
        expect(page.get_by_test_id("proof-result")).to_contain_text("Verified")
        _shot(page, directory, "fairness")
        phone = browser.new_page(viewport=PHONE, bypass_csp=True)
        phone.goto(url + "/#/login")
        _shot(phone, directory, "phone-login")
        phone.goto(url + "/#/limits")  # the tab's own session: sign in again
        phone.get_by_label("Site id").fill(site_id)
        phone.get_by_label("Password").fill(PASSWORD)
        phone.get_by_role("button", name="Sign in").click()
        phone.get_by_role("link", name="Limits").click()
        phone.get_by_label("Daily limit ($)").fill("50")
        phone.get_by_role("button", name="Save limits").click()
        expect(phone.get_by_test_id("usage-daily_cents")).to_contain_text("of $50.00")
        _shot(phone, directory, "phone-limits")
        console = browser.new_page(viewport=DESKTOP, bypass_csp=True)
        console.goto(url + "/admin")
        console.get_by_label("Site id").fill("operator")
        console.get_by_label("Password").fill(ADMIN_PASSWORD)
        console.get_by_role("button", name="Sign in").click()
        expect(console.get_by_role("link", name="Players")).to_be_visible()
        _shot(console, directory, "console-players")
        console.get_by_role("link", name="Slot odds").click()
        console.get_by_label("cherry weight").fill("38")
        expect(console.get_by_test_id("rtp-preview")).to_contain_text("RTP if saved")
        _shot(console, directory, "console-odds")
        console.get_by_role("link", name="KPIs").click()
        expect(console.get_by_test_id("chart-dau").locator("rect")).to_have_count(30)
        _shot(console, directory, "console-kpis")
        console.get_by_role("link", name="Segments").click()
        console.get_by_label("Name").fill("lapsed_spenders")
        console.get_by_label("Rule").fill("total_spent_cents > 0 and days_since_last_play >= 0")
        console.get_by_role("button", name="Create segment").click()
        console.get_by_role("button", name="Recompute").click()
        expect(console.get_by_test_id("recompute-status")).to_contain_text("Done", timeout=60_000)
        _shot(console, directory, "console-segments")
        console.get_by_role("link", name="Experiments").click()
        console.get_by_label("Key").fill("featured_banner_test")
        console.get_by_label("Variant 2 params (JSON, optional)").fill('{"featured_banner": "gems_550"}')
        console.get_by_role("button", name="Create experiment").click()
        console.get_by_role("link", name="featured_banner_test").click()
        expect(console.get_by_test_id("srm")).to_be_visible()
        _shot(console, directory, "console-experiment")
        console.goto(url + "/docs")
        console.wait_for_selector(".swagger-ui .info")
        _shot(console, directory, "docs")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
