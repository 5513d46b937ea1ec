"""The citizen's own page: her visits moved to a time with room under the booking rules (and the helpdesk sees
it), a cancelled visit with its reason, the cut-off, a problem reported as a portal ticket linked to her device,
who looked at her record, and another citizen's ids in every portal address answered with a 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dispatch.models import CitizenRequest, VisitEvent, VisitStatus
from portal.service import selfservice
from servicecenter.db import utcnow
from support.models import Channel, Ticket
from tests.portal.helpers import Home, sign_in_substantial, sign_in_with_code


@pytest.fixture
def home(session, factory):
    return Home(session, factory)


def english(client) -> None:
    client.post("/language", data={"lang": "en"})


def test_she_moves_a_visit_to_an_offered_time_and_the_helpdesk_sees_it(app, client, session, home):
    english(client)
    sign_in_with_code(client, session)
    page = client.get(f"/portal/visits/{home.service.id}/move").get_data(as_text=True)
    offered = selfservice.slots_for(session, home.visit(home.service.id),
                                    selfservice.DEFAULT_RULES[home.service.kind], now=utcnow())
    assert offered and all(selfservice.slot_value(s) in page for s in offered)
    target = offered[-1]
    answer = client.post(f"/portal/visits/{home.service.id}/move", data={"slot": selfservice.slot_value(target)})
    assert answer.status_code == 302
    moved = home.visit(home.service.id)
    assert (moved.status, moved.scheduled_on.isoformat(), moved.window_start, moved.citizen_request) == (
        VisitStatus.SCHEDULED, target[0], target[1], CitizenRequest.MOVED)
    helpdesk = app.test_client()
    helpdesk.login(home.helpdesk.username)
    english(helpdesk)
    queue = helpdesk.get("/dispatch/?show=scheduled").get_data(as_text=True)
    assert f'data-visit="{home.service.id}"' in queue and "moved by the citizen" in queue


def test_a_time_that_was_not_offered_is_refused_and_nothing_changes(client, session, home):
    sign_in_with_code(client, session)
    before = home.visit(home.service.id).scheduled_on
    answer = client.post(f"/portal/visits/{home.service.id}/move", data={"slot": f"{before.isoformat()}|0|1440"})
    assert answer.status_code == 422 and 'id="move-error"' in answer.get_data(as_text=True)
    assert home.visit(home.service.id).scheduled_on == before


def test_past_the_cut_off_the_visit_cannot_be_moved_or_cancelled_here(client, session, home):
    english(client)
    sign_in_with_code(client, session)
    page = client.get("/portal/home").get_data(as_text=True)
    assert "It is too late to change this visit here" in page  # the setup booked today
    slot = selfservice.slot_value([home.later.isoformat(), 480, 720])
    assert client.post(f"/portal/visits/{home.setup.id}/move", data={"slot": slot}).status_code == 422
    assert client.post(f"/portal/visits/{home.setup.id}/cancel", data={"reason": "away"}).status_code == 422
    assert home.visit(home.setup.id).scheduled_on == home.day.today


def test_she_cancels_a_service_visit_with_a_reason_the_helpdesk_reads(client, session, home):
    sign_in_with_code(client, session)
    assert client.post(f"/portal/visits/{home.service.id}/cancel", data={"reason": ""}).status_code == 422
    assert home.visit(home.service.id).status == VisitStatus.SCHEDULED
    assert client.post(f"/portal/visits/{home.service.id}/cancel",
                       data={"reason": "I am in hospital that week"}).status_code == 302
    assert home.visit(home.service.id).status == VisitStatus.CANCELLED
    notes = session.scalars(select(VisitEvent.note).where(VisitEvent.visit_id == home.service.id)).all()
    assert "cancelled by the citizen: I am in hospital that week" in notes


def test_a_setup_cannot_be_cancelled_by_the_citizen(client, session, home):
    rules = selfservice.DEFAULT_RULES
    assert not rules[home.setup.kind].may_cancel and rules[home.service.kind].may_cancel


def test_another_citizens_visit_is_not_found_at_every_address(client, session, home):
    theirs = home.other_citizen_visit()
    sign_in_with_code(client, session)
    for method, url, data in (("get", f"/portal/visits/{theirs.id}/move", None),
                              ("post", f"/portal/visits/{theirs.id}/move", {"slot": "x"}),
                              ("get", f"/portal/visits/{theirs.id}/cancel", None),
                              ("post", f"/portal/visits/{theirs.id}/cancel", {"reason": "nope nope"}),
                              ("post", f"/portal/visits/{theirs.id}/confirm", {})):
        assert getattr(client, method)(url, data=data).status_code == 404, (method, url)
    assert home.visit(theirs.id).status == VisitStatus.SCHEDULED


def test_a_problem_at_the_code_level_becomes_a_portal_ticket_without_a_device(client, session, home):
    sign_in_with_code(client, session)
    device = home.devices[0]
    refused = client.post("/portal/problem", data={"kind": "device", "text": "Skærmen er sort",
                                                   "device_id": str(device.id)})
    assert refused.status_code == 422  # picking a device shows her devices: that needs MitID
    assert client.post("/portal/problem", data={"kind": "device", "text": "Skærmen er sort"}).status_code == 302
    session.rollback()
    ticket = session.scalars(select(Ticket)).one()
    assert (ticket.channel, ticket.citizen_id, ticket.device_id) == (Channel.PORTAL, home.citizen.id, None)


def test_with_mitid_she_sees_her_devices_and_reports_a_problem_with_one(app, client, session, home):
    """The tablet is in her home once the setup is done; she picks it from her own list."""
    home.day.publish({home.day.anna: [home.setup]})
    home.day.complete_setup(home.setup, home.devices)
    english(client)
    sign_in_substantial(client, session, home.citizen.id)
    page = client.get("/portal/home").get_data(as_text=True)
    tablet = home.devices[0]
    assert 'id="devices"' in page and tablet.tag in page and 'id="step-up"' not in page
    assert client.post("/portal/problem", data={"kind": "device", "text": "The tablet is dead",
                                                "device_id": str(tablet.id)}).status_code == 302
    session.rollback()
    ticket = session.scalars(select(Ticket)).one()
    assert (ticket.channel, ticket.device_id) == (Channel.PORTAL, tablet.id)
    helpdesk = app.test_client()
    helpdesk.login(home.helpdesk.username)
    assert f"/support/tickets/{ticket.id}" in helpdesk.get("/support/?view=unassigned").get_data(as_text=True)


def test_she_sees_that_the_helpdesk_opened_her_record(app, client, session, home):
    helpdesk = app.test_client()
    helpdesk.login(home.helpdesk.username)
    assert helpdesk.get(f"/citizens/{home.citizen.id}").status_code == 200
    english(client)
    sign_in_substantial(client, session, home.citizen.id)
    page = client.get("/portal/access").get_data(as_text=True)
    assert "Opened the record" in page and "Helpdesk" in page
    assert home.helpdesk.full_name not in page  # the role and organisation, not the person


def test_the_problem_form_sent_twice_makes_one_ticket(client, session, home):
    sign_in_with_code(client, session)
    form = {"kind": "connection", "text": "Ingen forbindelse", "form_key": "k" * 32}
    from servicecenter.idempotency import KEY_FIELD

    form[KEY_FIELD] = form.pop("form_key")
    assert client.post("/portal/problem", data=form).status_code == 302
    assert client.post("/portal/problem", data=form).status_code == 302
    session.rollback()
    assert len(session.scalars(select(Ticket)).all()) == 1
