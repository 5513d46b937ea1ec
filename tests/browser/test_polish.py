"""Polish users notice (issue 13, item 4), in real Chromium: the navigation on one line, dates, labels, plurals."""

from __future__ import annotations

import pytest

from servicecenter.demo import demo_logins
from tests.browser.conftest import log_in, log_out, screenshot


def _to_english(page) -> None:
    page.evaluate("document.querySelector('button[name=lang][value=en]').click()")
    page.wait_for_selector("button[name=lang][value=da]", state="attached")
    page.wait_for_load_state()


def _nav_lines(page) -> tuple[set[int], int]:
    """The tops of the bar's items (links, the "More" button, the language switch, the user, log out) and the
    bar's height."""
    tops = page.eval_on_selector_all(
        "#nav > ul > li > .nav-link, #nav button, #nav .navbar-text",
        "els => els.filter(e => e.offsetParent !== null).map(e => { const r = e.getBoundingClientRect();"
        " return Math.round(r.top + r.height / 2); })")
    return set(tops), page.eval_on_selector("nav.navbar", "e => e.offsetHeight")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_navigation_fits_one_line_at_1280_for_every_role(page, lang):
    page.set_viewport_size({"width": 1280, "height": 800})
    for username, password, role in demo_logins():
        log_in(page, username, password)
        if lang == "en":
            _to_english(page)
        middles, height = _nav_lines(page)
        screenshot(page, f"nav-{username}-{lang}-1280")
        assert max(middles) - min(middles) <= 4, f"{username} ({role}) {lang}: nav on several lines {middles}"
        assert height <= 60, f"{username} ({role}) {lang}: navbar {height} px high"
        link_count = page.locator("#nav .nav-link:visible").count()
        assert link_count >= 1, f"{username}: no navigation"
        if page.locator("#nav .dropdown-toggle").count():
            assert page.locator("#nav .dropdown-toggle").inner_text().strip() == ("Mere" if lang == "da" else "More")
            page.locator("#nav .dropdown-toggle").click()
            assert page.locator("#nav .dropdown-menu .dropdown-item:visible").count() >= 2
            screenshot(page, f"nav-{username}-{lang}-1280-more")
        log_out(page)
        if page.locator("button[name=lang][value=da]").count():
            page.locator("button[name=lang][value=da]").click()
            page.wait_for_selector("button[name=lang][value=en]", state="attached")


def test_the_menu_opens_at_390_for_every_role(page):
    page.set_viewport_size({"width": 390, "height": 844})
    for username, password, _role in demo_logins():
        log_in(page, username, password)
        page.locator(".navbar-toggler").click()
        page.locator("#nav.show").wait_for()
        if page.locator("#nav .dropdown-toggle").count():
            page.locator("#nav .dropdown-toggle").click()
        screenshot(page, f"nav-{username}-da-390")
        assert page.locator("#nav .nav-link:visible").count() >= 1
        page.locator("form[action='/logout'] button").click()
        page.wait_for_url("**/login**")


RAW_CODES = ("spirometry", "interpreter_da_ar", "heavy_lifting", "COPD", "WOUND", "PREG", ">HF<", " HF<")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_pages_show_labels_not_codes(page, lang):
    """Skills and programmes by their names: the demo technician with spirometry, the visit queue's programmes."""
    log_in(page, "koordinator", "Servicecenter-demo-2")
    if lang == "en":
        _to_english(page)
    page.goto("/dispatch/technicians")
    assert page.get_by_text("Spirometri" if lang == "da" else "Spirometry", exact=True).count() >= 1
    page.goto("/dispatch/")
    assert page.get_by_text("Hjertesvigt").count() + page.get_by_text("KOL (kronisk").count() >= 1
    for path in ("/dispatch/technicians", "/dispatch/", "/dispatch/pickups/overdue", "/inventory/"):
        page.goto(path)
        html = page.content()
        screenshot(page, f"labels-{path.strip('/').replace('/', '-') or 'index'}-{lang}")
        assert [code for code in RAW_CODES if code in html] == [], path
