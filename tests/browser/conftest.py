"""A real server on localhost and real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from servicecenter.db import utcnow
from tests.conftest import make_test_app, require_or_skip, with_demo

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        require_or_skip("Chromium", "install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("Playwright", "pip install playwright (make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True,
                                             env=_without_faketime(os.environ))
        yield browser
        browser.close()


def _without_faketime(environ) -> dict[str, str]:
    """Chromium on the real clock: under libfaketime (`make test-future`) it crashes or crawls, and the app's pages
    do not depend on the browser's clock."""
    return {k: v for k, v in environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


@pytest.fixture
def live_app(sqlite_url):
    return with_demo(make_test_app(sqlite_url), 40)


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not _expected(m.text) else None)
    yield page
    context.close()
    assert external == [], f"requests left the machine: {external}"
    assert errors == [], f"console errors (CSP violations show here): {errors}"


def _expected(message: str) -> bool:
    """Chromium logs a page answered 400/403/404/409 (a refused form, a record outside need-to-know) as an error;
    the tests assert those."""
    return message.startswith("Failed to load resource: the server responded with a status of 4") and any(
        code in message for code in ("400", "403", "404", "409"))


def alone_on_duty(s, username: str):
    """The demo technician with this username on duty every day 07-18 (a test passes on a weekend too) and the only
    active technician, so every stop is theirs. Returns (user, technician); the caller's unit of work saves it."""
    from dispatch.models import Technician
    from dispatch.service import technicians
    from servicecenter.auth.models import User

    user = s.scalar(select(User).where(User.username == username))
    for other in s.scalars(select(Technician).where(Technician.user_id != user.id)):
        other.is_active = False
    tech = s.scalar(select(Technician).where(Technician.user_id == user.id))
    technicians.save_technician(s, tech, user_id=user.id, depot_id=tech.depot_id, van_id=tech.van_id,
                                skills=tech.skills, shifts=[(d, 7 * 60, 18 * 60) for d in range(7)],
                                actor=None, now=utcnow())
    return user, tech


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_label("Adgangskode").press("Enter")
    page.wait_for_url("**/")


def log_out(page) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login**")
