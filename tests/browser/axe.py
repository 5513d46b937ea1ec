"""axe-core (bundled by axe-playwright-python) run in the page under test: WCAG 2.0 and 2.1, levels A and AA. It is
injected with Playwright's page.evaluate, which the page's strict CSP does not govern, so the app's CSP stays as
it is in production while the check runs."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}
_AXE = Axe()


def serious_violations(page) -> list[dict]:
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


def assert_accessible(page, what: str) -> None:
    found = serious_violations(page)
    lines = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}" for v in found]
    assert not found, f"axe-core on {what}:\n" + "\n".join(lines)
