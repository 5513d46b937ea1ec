"""Issue 13: every role's start page in Chromium at a desk (1280 × 800) and on a phone (390 × 844): screenshots to
look at in test-artifacts/, nothing wider than the screen, and the field the role types into first has the cursor."""

from __future__ import annotations

import pytest

from servicecenter.demo import demo_logins
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

FIRST_FIELD = {"helpdesk": "q", "sygeplejerske": "q", "praksis": "q"}
SIZES = {"desk": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_role_start_page_fits_and_focuses_its_first_task(browser, live_server, size):
    width, height = SIZES[size]
    for username, password, role in demo_logins():
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height})
        page = context.new_page()
        log_in(page, username, password)
        assert page.locator("main h1").count() == 1
        if role.value != "admin":
            assert page.locator(".start-panels section").count() >= 1, username
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{username} at {size}: {overflow}px wider than the screen"
        focused = page.evaluate("() => document.activeElement.id")
        assert focused == FIRST_FIELD.get(username, focused), (username, focused)
        screenshot(page, f"start-{username}-{size}")
        context.close()
