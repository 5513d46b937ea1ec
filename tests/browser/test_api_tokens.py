"""Issue 16: an admin issues an API token for a municipality's system from the users page, copies it (shown once),
the system calls the API with it over real HTTP, and the admin revokes it (a confirmation first); the pages and
the API documentation pass axe-core and load nothing from elsewhere."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser
ADMIN = ("admin", "Servicecenter-demo-1")


def test_an_admin_issues_a_token_the_system_calls_and_the_admin_revokes_it(page, live_server):
    log_in(page, *ADMIN)
    page.goto("/admin/users")
    page.get_by_role("link", name="API-tokens").click()
    expect(page.get_by_role("heading", name="API-tokens")).to_be_visible()
    page.get_by_role("link", name="Nyt token").click()
    page.get_by_label("Integration").fill("Aarhus omsorgssystem")
    page.get_by_label("Organisation").select_option(label="Aarhus Kommune")
    page.get_by_label("læse udstyr").check()
    page.get_by_label("læse varetægt (hvem havde hvilket udstyr hvornår)").check()
    assert_accessible(page, "the new-token form")
    page.get_by_role("button", name="Udsted token").click()
    expect(page.get_by_role("heading", name="API-token udstedt")).to_be_visible()
    token = page.get_by_label("Token").input_value()
    assert token.startswith("fsc_")
    screenshot(page, "api-token-issued")
    assert_accessible(page, "the issued token")
    answer = requests.get(f"{live_server}/api/v1/devices?limit=5", headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
    assert answer.status_code == 200 and len(answer.json()["items"]) == 5
    page.get_by_role("link", name="Tilbage til tokens").click()
    row = page.get_by_role("row", name="Aarhus omsorgssystem")
    expect(row).to_contain_text("devices:read")
    assert token not in page.content()  # shown once, never again
    screenshot(page, "api-tokens")
    assert_accessible(page, "the token list")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Tilbagekald").click()
    expect(page.get_by_text("Tokenet er tilbagekaldt")).to_be_visible()
    refused = requests.get(f"{live_server}/api/v1/devices", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"


def test_the_api_documentation_is_our_own_page(page):
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="Fælles Servicecenter API")).to_be_visible()
    expect(page.get_by_text("/api/v1/devices/{device_id}/holder")).to_be_visible()
    screenshot(page, "api-docs")
    assert_accessible(page, "the API documentation")
