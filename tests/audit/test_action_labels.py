"""Every action the app writes to the audit log has a label: the access-log pages never show a raw code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dispatch.service.visits import VISIT_STATUS
from inventory.transitions import DEVICE_STATUS, SIM_STATE
from servicecenter.audit.service import record_event
from servicecenter.audit.views import ACTION_LABELS
from servicecenter.auth.models import Role
from servicecenter.auth.service import USER_STATUS
from servicecenter.courses.journey import COURSE_STATUS
from servicecenter.courses.service import HANDOVER_STATUS
from servicecenter.db import utcnow
from support.service.tickets import TICKET_STATUS

ROOT = Path(__file__).resolve().parents[2]
ACTION = re.compile(r"""action=["']([a-z_]+\.[a-z_]+)["']""")


def _written_actions() -> set[str]:
    found = set()
    for package in ("servicecenter", "dispatch", "inventory", "support"):
        for path in (ROOT / package).rglob("*.py"):
            found |= set(ACTION.findall(path.read_text(encoding="utf-8")))
    return found


def _status_actions() -> set[str]:
    """statuses.transition writes "<table>.status" for each transition table."""
    tables = (USER_STATUS, HANDOVER_STATUS, COURSE_STATUS, VISIT_STATUS, DEVICE_STATUS, SIM_STATE, TICKET_STATUS)
    return {f"{t.name}.status" for t in tables}


def test_every_action_written_has_a_label(app):
    written = _written_actions() | _status_actions()
    assert len(written) > 60  # the scan finds them
    assert sorted(written - ACTION_LABELS.keys()) == []


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_access_log_shows_labels_not_codes(app, client, factory, session, lang):
    admin = factory.user(Role.COORDINATOR)
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen(actor=helpdesk)
    for action in ("visit.route_sheet_print", "citizen.list_visits", "ticket.link", "course.status"):
        record_event(session, actor=helpdesk, action=action, entity_type="citizen", entity_id=citizen.id,
                     citizen_id=citizen.id, now=utcnow())
    session.commit()
    assert client.login(admin.username).status_code == 302
    if lang == "en":
        client.post("/language", data={"lang": "en"})
    page = client.get(f"/citizens/{citizen.id}/access-log").get_data(as_text=True)
    assert ("Udskrevet på en køreliste" if lang == "da" else "Printed on a route sheet") in page
    assert re.findall(r">\s*([a-z_]+\.[a-z_]+)\s*<", page) == []
