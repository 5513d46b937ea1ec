"""Relatives' access ("fuldmagt"): given by the helpdesk on the citizen's behalf (audited) or by the citizen; a
relative with "visits only" sees the visits and not the devices, even with MitID; every read by her is shown to
the citizen; withdrawn, she sees nothing and gets no code; the rules of a grant; and its FHIR RelatedPerson."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.relatedperson import RelatedPerson
from sqlalchemy import select

from portal.models import GrantScope, ProxyGrant
from portal.service import grants
from servicecenter.audit.models import AuditEvent
from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import ContactKind
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.outbox.models import OutboxMessage
from tests.portal.helpers import Home, sign_in_substantial, sign_in_with_code

DAUGHTER_NUMBER, DAUGHTER_CPR = "40506070", "0203804321"


@pytest.fixture
def home(session, factory):
    home = Home(session, factory)
    with unit_of_work(session):
        citizens.add_contact(session, session.get(type(home.citizen), home.citizen.id), citizens.ContactData(
            kind=ContactKind.RELATIVE, name="Karen Datter", relation="datter", phone="+45 40 50 60 70",
            may_contact=True), actor=home.helpdesk, now=utcnow())
    home.daughter = next(c for c in session.get(type(home.citizen), home.citizen.id).contacts)
    return home


def english(client) -> None:
    client.post("/language", data={"lang": "en"})


def give(app, home, scope: str = "visits", until: dt.date | None = None):
    helpdesk = app.test_client()
    helpdesk.login(home.helpdesk.username)
    until = until or local_date(utcnow()) + dt.timedelta(days=90)
    return helpdesk, helpdesk.post(f"/portal/staff/citizens/{home.citizen.id}/access", data={
        "contact_id": str(home.daughter.id), "cpr": DAUGHTER_CPR, "scope": scope, "until": until.isoformat()})


def test_a_relative_with_visits_only_sees_the_visits_and_not_the_devices(app, client, session, home):
    helpdesk, answer = give(app, home)
    assert answer.status_code == 302
    session.rollback()
    grant = session.scalars(select(ProxyGrant)).one()
    assert (grant.scope, grant.granted_by_id, grant.relative_cpr) == (GrantScope.VISITS, home.helpdesk.id,
                                                                     DAUGHTER_CPR)
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "citizen.grant_access")).one().actor_id \
        == home.helpdesk.id
    english(client)
    sign_in_with_code(client, session, DAUGHTER_NUMBER)
    page = client.get("/portal/home").get_data(as_text=True)
    assert f'id="visit-{home.service.id}"' in page and 'id="relative-note"' in page and 'id="devices"' not in page
    # With MitID too, her grant still says visits only
    sign_in_substantial(client, session, home.citizen.id, grant.id)
    page = client.get("/portal/home").get_data(as_text=True)
    assert 'id="visits"' in page and 'id="devices"' not in page and 'id="contacts"' not in page
    assert client.get("/portal/access").status_code == 404 and client.get("/portal/relatives").status_code == 404
    # The citizen sees the relative's reads
    citizen = app.test_client()
    english(citizen)
    sign_in_substantial(citizen, session, home.citizen.id)
    log = citizen.get("/portal/access").get_data(as_text=True)
    assert "Relative: Karen Datter" in log and "Read in the portal" in log
    # The staff panel shows the grant with who gave it
    staff_page = helpdesk.get(f"/citizens/{home.citizen.id}").get_data(as_text=True)
    assert 'id="relatives-access"' in staff_page and "Karen Datter" in staff_page


def test_withdrawn_the_relative_sees_nothing_and_gets_no_code(app, client, session, home):
    give(app, home, "everything")
    session.rollback()
    grant = session.scalars(select(ProxyGrant)).one()
    sign_in_with_code(client, session, DAUGHTER_NUMBER)
    assert client.get("/portal/home").status_code == 200
    citizen = app.test_client()
    sign_in_substantial(citizen, session, home.citizen.id)
    assert citizen.post("/portal/relatives", data={"withdraw": str(grant.id)}).status_code == 302
    assert client.get("/portal/home").status_code == 302  # her open session ended with the grant
    sent_before = len(session.scalars(select(OutboxMessage)).all())
    client.post("/portal/code", data={"number": DAUGHTER_NUMBER})
    session.rollback()
    assert len(session.scalars(select(OutboxMessage)).all()) == sent_before  # no one has this number now
    events = session.scalars(select(AuditEvent.action).where(AuditEvent.citizen_id == home.citizen.id)).all()
    assert "portal.withdraw_access" in events


def test_a_relative_sees_only_the_citizen_she_was_granted(app, client, session, home):
    give(app, home, "everything")
    theirs = home.other_citizen_visit()
    sign_in_with_code(client, session, DAUGHTER_NUMBER)
    assert client.get(f"/portal/visits/{theirs.id}/move").status_code == 404
    assert client.get(f"/portal/visits/{home.service.id}/move").status_code == 200


def test_the_citizen_gives_access_herself_within_a_year_and_not_to_herself(app, client, session, home):
    english(client)
    sign_in_substantial(client, session, home.citizen.id)
    today = local_date(utcnow())
    too_long = client.post("/portal/relatives", data={
        "contact_id": str(home.daughter.id), "cpr": DAUGHTER_CPR, "scope": "devices",
        "until": (today + dt.timedelta(days=400)).isoformat()})
    assert too_long.status_code == 422 and "within the coming year" in too_long.get_data(as_text=True)
    herself = client.post("/portal/relatives", data={
        "contact_id": str(home.daughter.id), "cpr": home.citizen.cpr, "scope": "devices",
        "until": (today + dt.timedelta(days=30)).isoformat()})
    assert herself.status_code == 422
    session.rollback()
    assert session.scalars(select(ProxyGrant)).all() == []
    assert client.post("/portal/relatives", data={
        "contact_id": str(home.daughter.id), "cpr": DAUGHTER_CPR, "scope": "devices",
        "until": (today + dt.timedelta(days=30)).isoformat()}).status_code == 302
    # Renewed: the old grant ends ("renewed"), the new one holds
    renewal = {"contact_id": str(home.daughter.id), "cpr": DAUGHTER_CPR, "scope": "everything",
               "until": (today + dt.timedelta(days=300)).isoformat()}
    client.post("/portal/relatives", data=renewal)
    session.rollback()
    rows = session.scalars(select(ProxyGrant).order_by(ProxyGrant.id)).all()
    assert [(g.scope, g.withdrawn_reason, g.granted_by_id) for g in rows] == [
        (GrantScope.DEVICES, "renewed", None), (GrantScope.EVERYTHING, None, None)]


def test_a_grant_exports_as_a_fhir_related_person_with_power_of_attorney(app, session, home):
    give(app, home, "devices")
    session.rollback()
    grant = session.scalars(select(ProxyGrant)).one()
    resource = grants.as_related_person(grant, today=local_date(utcnow()))
    parsed = RelatedPerson.model_validate(resource)  # R4B's model: R4 payloads of RelatedPerson fit it
    assert parsed.relationship[0].coding[0].code == "POWATT" and parsed.active is True
    assert parsed.patient.identifier.value == home.citizen.cpr and parsed.identifier[0].value == DAUGHTER_CPR
    assert parsed.identifier[0].system == "urn:oid:1.2.208.176.1.2"
    with unit_of_work(session):
        grants.withdraw(session, session.get(ProxyGrant, grant.id), actor=None, now=utcnow())
    assert grants.as_related_person(session.get(ProxyGrant, grant.id), today=local_date(utcnow()))["active"] is False
