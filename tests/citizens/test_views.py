"""Citizen pages over HTTP: search without CPR in URLs, audited views, masking, escaping, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicecenter.audit.models import AuditEvent, Outcome
from servicecenter.auth.models import Role
from servicecenter.citizens.cpr import normalise_cpr
from servicecenter.citizens.models import Citizen
from servicecenter.db import unit_of_work
from servicecenter.organisations.models import Organisation, OrganisationKind
from tests.html_form import form_as_shown


def audit_rows(session, citizen_id=None, action=None) -> int:
    session.rollback()
    stmt = select(func.count()).select_from(AuditEvent)
    if citizen_id is not None:
        stmt = stmt.where(AuditEvent.citizen_id == citizen_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return session.scalar(stmt)


def citizen_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Citizen))


def form_for(factory, **overrides):
    data = factory.citizen_data(**overrides)
    form = {k: ("" if v is None else v) for k, v in vars(data).items()}
    form["responsible_organisation_id"] = form["responsible_organisation_id"] or 0
    return form


@pytest.fixture
def helpdesk(client, factory):
    user = factory.user(Role.HELPDESK)
    client.login(user.username)
    return user


def test_search_is_a_post_and_the_cpr_never_appears_in_a_url(client, factory, helpdesk):
    citizen = factory.citizen(cpr="120345-1234", last_name="Østergaard")
    response = client.post("/citizens/search", data={"q": "120345-1234"})
    assert response.status_code == 200
    assert f"/citizens/{citizen.id}".encode() in response.data
    assert b"120345-XXXX" in response.data and b"1203451234" not in response.data
    assert client.get("/citizens/search").status_code == 405


def test_the_htmx_search_returns_only_the_results_fragment(client, factory, helpdesk):
    factory.citizen(last_name="Fragmentsen")
    response = client.post("/citizens/search", data={"q": "fragmentsen"}, headers={"HX-Request": "true"})
    assert response.data.lstrip().startswith(b'<section id="results"') and b"<html" not in response.data


def test_each_view_of_a_citizen_writes_exactly_one_audit_row(client, factory, session, helpdesk):
    citizen = factory.citizen()
    before = audit_rows(session, citizen.id)
    assert client.get(f"/citizens/{citizen.id}").status_code == 200
    assert audit_rows(session, citizen.id) == before + 1
    assert client.get(f"/citizens/{citizen.id}").status_code == 200
    assert audit_rows(session, citizen.id, "citizen.view") == 2


def test_the_cpr_is_masked_and_revealing_it_is_audited(client, factory, session, helpdesk):
    citizen = factory.citizen(cpr="120345-1234")
    page = client.get(f"/citizens/{citizen.id}").data
    assert b"120345-XXXX" in page and b"1234" not in page.replace(b"120345-XXXX", b"")
    response = client.post(f"/citizens/{citizen.id}/reveal-cpr")
    assert b"120345-1234" in response.data
    assert audit_rows(session, citizen.id, "citizen.cpr_reveal") == 1


def test_the_edit_form_shows_the_cpr_masked_and_saving_it_unchanged_keeps_it(client, factory, session, helpdesk):
    citizen = factory.citizen(cpr="120345-1234")
    form_page = client.get(f"/citizens/{citizen.id}/edit").get_data(as_text=True)
    assert 'value="120345-XXXX"' in form_page and "120345-1234" not in form_page
    assert audit_rows(session, citizen.id, "citizen.cpr_reveal") == 0
    assert edit_as_shown(client, citizen.id, first_name="Karin").status_code == 302
    session.rollback()
    stored = session.get(Citizen, citizen.id)
    assert (stored.cpr, stored.first_name) == (normalise_cpr("120345-1234"), "Karin")  # the mask saved nothing
    assert "cpr" not in fields_of_last_update(session, citizen.id)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TECHNICIAN])
def test_roles_without_the_need_cannot_reveal_the_cpr(client, factory, role):
    citizen = factory.citizen(cpr="120345-1234")
    client.login(factory.user(role).username)
    page = client.get(f"/citizens/{citizen.id}").data
    assert b"reveal-cpr" not in page
    response = client.post(f"/citizens/{citizen.id}/reveal-cpr")
    assert response.status_code == 403 and b"120345-1234" not in response.data


@pytest.mark.parametrize("role,sees", [(Role.HELPDESK, True), (Role.COORDINATOR, False)])
def test_access_notes_show_on_the_citizen_page_only_to_the_helpdesk(client, factory, role, sees):
    # A technician reads them on the stop of his visit on its day (tests/citizens/test_need_to_know.py).
    citizen = factory.citizen(access_notes="Nøgleboks kode 4711")
    client.login(factory.user(role).username)
    page = client.get(f"/citizens/{citizen.id}").get_data(as_text=True)
    assert ("Nøgleboks kode 4711" in page) == sees


def test_a_nurse_cannot_open_a_citizen_of_another_organisation(client, factory, session):
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    nurse = factory.user(Role.NURSE, organisation=aarhus)
    own = factory.citizen(actor=nurse, municipality_code="751")
    other = factory.citizen(municipality_code="730", first_name="Skjult")
    client.login(nurse.username)
    assert client.get(f"/citizens/{own.id}").status_code == 200
    response = client.get(f"/citizens/{other.id}")
    assert response.status_code == 404 and b"Skjult" not in response.data  # as for a citizen who does not exist
    assert client.get(f"/citizens/{other.id}/edit").status_code == 404
    assert client.post(f"/citizens/{other.id}/reveal-cpr").status_code == 404
    session.rollback()
    denied = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.citizen_id == other.id, AuditEvent.outcome == Outcome.DENIED))
    assert denied == 3
    search = client.post("/citizens/search", data={"q": "skjult"}).data
    assert f"/citizens/{other.id}".encode() not in search


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.ADMIN])
def test_roles_without_citizen_access_are_refused(client, factory, role):
    citizen = factory.citizen()
    client.login(factory.user(role).username)
    assert client.get("/citizens/").status_code == 403
    assert client.get(f"/citizens/{citizen.id}").status_code == 403


def test_create_a_citizen(client, factory, session, helpdesk):
    response = client.post("/citizens/new", data=form_for(factory, cpr="120345-1234"))
    assert response.status_code == 302
    session.rollback()
    created = session.scalar(select(Citizen))
    assert response.headers["Location"] == f"/citizens/{created.id}"


def test_an_invalid_cpr_is_shown_at_the_field_and_nothing_is_saved(client, factory, session, helpdesk):
    response = client.post("/citizens/new", data=form_for(factory, cpr="310250-1234"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="cpr-err"' in html and 'name="cpr"' in html
    assert citizen_count(session) == 0


def test_a_duplicate_cpr_links_to_the_existing_citizen(client, factory, session, helpdesk):
    existing = factory.citizen(cpr="120345-1234")
    response = client.post("/citizens/new", data=form_for(factory, cpr="1203451234"))
    assert f'href="/citizens/{existing.id}"'.encode() in response.data
    assert citizen_count(session) == 1


@pytest.mark.parametrize("field", ["first_name", "last_name", "address", "city", "postal_code"])
def test_missing_required_fields_are_refused(client, factory, session, helpdesk, field):
    response = client.post("/citizens/new", data={**form_for(factory), field: ""})
    assert response.status_code == 400 and f'id="{field}-err"'.encode() in response.data
    assert citizen_count(session) == 0


@pytest.mark.parametrize("field,length", [("first_name", 101), ("address", 201), ("special_needs", 2001),
                                          ("access_notes", 5000)])
def test_over_long_strings_are_refused_not_cut(client, factory, session, helpdesk, field, length):
    response = client.post("/citizens/new", data={**form_for(factory), field: "x" * length})
    assert response.status_code == 400 and f'id="{field}-err"'.encode() in response.data
    assert citizen_count(session) == 0


def test_script_in_a_name_is_rendered_escaped(client, factory, helpdesk):
    citizen = factory.citizen(first_name="<script>alert(1)</script>", last_name='"><img src=x onerror=alert(1)>')
    html = client.get(f"/citizens/{citizen.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    listing = client.post("/citizens/search", data={"q": "<script>"}).get_data(as_text=True)
    assert "<script>alert" not in listing


def test_editing_saves_and_a_stale_form_is_refused(client, factory, session, helpdesk):
    citizen = factory.citizen()
    form = form_for(factory, cpr=citizen.cpr, first_name="Opdateret")
    assert client.post(f"/citizens/{citizen.id}/edit", data={**form, "version": 1}).status_code == 302
    stale = client.post(f"/citizens/{citizen.id}/edit", data={**form, "first_name": "Gammel", "version": 1})
    assert stale.status_code == 409
    session.rollback()
    assert session.get(Citizen, citizen.id).first_name == "Opdateret"


def test_contact_persons_are_added_and_removed(client, factory, session, helpdesk):
    citizen = factory.citizen()
    response = client.post(f"/citizens/{citizen.id}/contacts", data={
        "kind": "relative", "name": "Bo Jensen", "relation": "søn", "phone": "40 11 22 33", "may_contact": "y"})
    assert response.status_code == 302
    session.rollback()
    contact = session.get(Citizen, citizen.id).contacts[0]
    assert contact.may_contact and contact.name == "Bo Jensen"
    bad = client.post(f"/citizens/{citizen.id}/contacts", data={"kind": "relative", "name": "", "phone": "1"})
    assert bad.status_code == 400
    client.post(f"/citizens/{citizen.id}/contacts/{contact.id}/delete")
    session.rollback()
    assert session.get(Citizen, citizen.id).contacts == []


def test_a_nurse_neither_sees_nor_overwrites_access_notes_when_editing(client, factory, session):
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    nurse = factory.user(Role.NURSE, organisation=aarhus)
    citizen = factory.citizen(actor=nurse, municipality_code="751", access_notes="Dørkode 1948")
    client.login(nurse.username)
    form_page = client.get(f"/citizens/{citizen.id}/edit").get_data(as_text=True)
    assert "Dørkode 1948" not in form_page and 'name="access_notes"' not in form_page
    form = form_for(factory, cpr=citizen.cpr, first_name="Ny", municipality_code="751")
    form.pop("access_notes")
    assert client.post(f"/citizens/{citizen.id}/edit", data={**form, "version": 1}).status_code == 302
    session.rollback()
    assert session.get(Citizen, citizen.id).access_notes == "Dørkode 1948"


def edit_as_shown(client, citizen_id: int, **changes):
    """Open the edit form and save it as a browser would, with only `changes` typed in."""
    form = form_as_shown(client.get(f"/citizens/{citizen_id}/edit").get_data(as_text=True))
    return client.post(f"/citizens/{citizen_id}/edit", data={**form, **changes})


def fields_of_last_update(session, citizen_id: int) -> list[str]:
    session.rollback()
    return session.scalars(select(AuditEvent.detail).where(AuditEvent.citizen_id == citizen_id,
                                                           AuditEvent.action == "citizen.update")
                           .order_by(AuditEvent.id.desc())).first()["fields"]


def stored(session, citizen_id: int) -> dict:
    session.rollback()
    citizen = session.get(Citizen, citizen_id)
    return {c.key: getattr(citizen, c.key) for c in Citizen.__table__.columns if c.key not in ("updated_at", "version")}


def test_the_helpdesk_editing_a_phone_keeps_the_municipality_responsible_and_its_nurses_access(
        app, client, factory, session, helpdesk):
    """Found in use: the responsible organisation's select held no municipalities, so saving the form cleared it, and
    the nurses of the municipality looking after the citizen lost her."""
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    creator, colleague = (factory.user(Role.NURSE, organisation=aarhus) for _ in range(2))
    citizen = factory.citizen(creator, municipality_code="740")  # lives in Silkeborg; Aarhus looks after her
    assert citizen.responsible_organisation_id == aarhus.id
    assert edit_as_shown(client, citizen.id, mobile="30 40 50 60").status_code == 302
    assert stored(session, citizen.id)["responsible_organisation_id"] == aarhus.id
    assert fields_of_last_update(session, citizen.id) == ["mobile"]
    nurse_client = app.test_client()
    nurse_client.login(colleague.username)
    assert nurse_client.get(f"/citizens/{citizen.id}").status_code == 200


def test_saving_the_form_as_shown_changes_nothing(client, factory, session, helpdesk):
    """Whatever is stored comes back unchanged: an inactive municipality and clinic (shown, marked inactive), a
    language not in the list, and multi-line notes (a browser sends their line breaks as CR LF)."""
    clinic = factory.organisation(OrganisationKind.GP_CLINIC, "GP-LUKKET")
    citizen = factory.citizen(responsible_organisation_id=clinic.id, language="fa", latitude=56.15, longitude=10.2,
                              access_notes="Nøgleboks ved døren\nKode 4711", special_needs="Hører dårligt\nTal højt")
    with unit_of_work(session):  # the clinic closed and the municipality merged: nobody has decided for her yet
        for org_id in (clinic.id, citizen.municipality_id):
            session.get(Organisation, org_id).is_active = False
    before = stored(session, citizen.id)
    page = client.get(f"/citizens/{citizen.id}/edit").get_data(as_text=True)
    assert f"{clinic.name} (inaktiv)" in page
    assert edit_as_shown(client, citizen.id).status_code == 302
    assert stored(session, citizen.id) == before
    assert fields_of_last_update(session, citizen.id) == []


def test_there_is_no_list_of_all_citizens_only_those_you_opened(client, factory, helpdesk):
    opened, other = factory.citizen(last_name="Åbnetsen"), factory.citizen(last_name="Uåbnetsen")
    client.get(f"/citizens/{opened.id}")
    page = client.get("/citizens/?page=2").get_data(as_text=True)
    assert f"/citizens/{opened.id}" in page and f"/citizens/{other.id}" not in page


def test_every_citizen_in_a_search_result_gets_an_audit_row(client, factory, session, helpdesk):
    shown = [factory.citizen(last_name="Resultatsen") for _ in range(3)]
    client.post("/citizens/search", data={"q": "resultatsen"})
    for citizen in shown:
        assert audit_rows(session, citizen.id, "citizen.search_result") == 1


def test_a_nurse_cannot_probe_the_register_with_a_cpr(client, factory, session):
    nurse = factory.user(Role.NURSE, organisation=factory.organisation(OrganisationKind.MUNICIPALITY, "751"))
    hidden = factory.citizen(cpr="120345-1234", municipality_code="730")
    client.login(nurse.username)
    client.post("/language", data={"lang": "en"})
    response = client.post("/citizens/new", data=form_for(factory, cpr="120345-1234", municipality_code="751"))
    answer = response.get_data(as_text=True)
    assert response.status_code == 409 and f"/citizens/{hidden.id}" not in answer
    assert "already" not in answer and "cannot be registered from here" in answer  # no "enrolled" for her to learn
    session.rollback()
    denied = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.citizen_id == hidden.id, AuditEvent.action == "citizen.duplicate_check",
        AuditEvent.outcome == Outcome.DENIED))
    assert denied == 1


def test_a_phone_number_with_country_code_is_not_taken_for_a_cpr(client, factory, helpdesk):
    citizen = factory.citizen(phone="12 34 56 78")
    page = client.post("/citizens/search", data={"q": "45 12 34 56 78"}).get_data(as_text=True)
    assert f"/citizens/{citizen.id}" in page


def test_an_expired_session_sends_htmx_and_posts_to_the_login_page_properly(client, factory):
    response = client.post("/citizens/search", data={"q": "jensen"}, headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"
    response = client.post("/citizens/search", data={"q": "jensen"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_admins_do_not_get_the_citizen_access_log(client, factory):
    citizen = factory.citizen()
    client.login(factory.user(Role.ADMIN).username)
    assert client.get(f"/citizens/{citizen.id}/access-log").status_code == 403
