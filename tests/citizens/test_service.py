"""Citizen records without HTTP: validation, duplicates, search, the nurse's rule, audit, concurrent edits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicecenter.audit.models import AuditEvent, Outcome
from servicecenter.auth.models import Role
from servicecenter.citizens import service
from servicecenter.citizens.models import Citizen, ContactKind
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import Conflict, DomainError
from servicecenter.organisations.models import OrganisationKind


def audit_count(session, **where) -> int:
    stmt = select(func.count()).select_from(AuditEvent)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    return session.scalar(stmt)


def test_create_normalises_and_audits(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen(helpdesk, cpr="010150 1234", phone="+45 20 30 40 50", first_name="  Ida ")
    assert citizen.cpr == "0101501234" and citizen.first_name == "Ida"
    assert citizen.phone_key == "20304050"
    assert audit_count(session, action="citizen.create", citizen_id=citizen.id) == 1


def test_a_duplicate_cpr_is_refused_and_points_to_the_existing_citizen(session, factory):
    first = factory.citizen(cpr="010150-1234")
    with pytest.raises(service.DuplicateCitizen) as error:
        factory.citizen(cpr="0101501234")
    assert error.value.citizen_id == first.id and error.value.field == "cpr"
    assert session.scalar(select(func.count()).select_from(Citizen)) == 1


@pytest.mark.parametrize("overrides,field", [
    ({"cpr": "3102501234"}, "cpr"),
    ({"postal_code": "80000"}, "postal_code"),
    ({"phone": "123"}, "phone"),
    ({"mobile": "20 30 40 5x"}, "mobile"),
    ({"latitude": 56.1}, "latitude"),
    ({"latitude": 10.2, "longitude": 56.1}, "latitude"),  # swapped
])
def test_invalid_fields_are_refused_at_the_field_and_nothing_is_saved(session, factory, overrides, field):
    with pytest.raises(DomainError) as error:
        factory.citizen(**overrides)
    assert error.value.field == field
    assert session.scalar(select(func.count()).select_from(Citizen)) == 0


def test_the_municipality_must_be_a_municipality(session, factory):
    hospital = factory.organisation(OrganisationKind.HOSPITAL, "H-AARHUS")
    with pytest.raises(DomainError) as error:
        factory.citizen(municipality_id=hospital.id)
    assert error.value.field == "municipality_id"


def search(session, actor, query):
    with unit_of_work(session):
        rows, _more = service.search_citizens(session, query, actor=actor, now=utcnow())
    return rows


def test_search_by_cpr_name_phone_address_and_birth_date(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    target = factory.citizen(helpdesk, cpr="120345-1234", first_name="Grethe", last_name="Østergaard",
                             address="Åboulevarden 12", phone="86 12 34 56")
    factory.citizen(helpdesk, cpr="130345-1234", first_name="Hans", last_name="Olsen", address="Vestergade 1",
                    phone="40 00 00 01")
    for query in ("1203451234", "120345-1234", "østergaard", "GRETHE øster", "grethe", "åboulevarden 12",
                  "86123456", "+45 8612 3456", "8612", "120345"):
        assert [c.id for c in search(session, helpdesk, query)] == [target.id], query
    assert search(session, helpdesk, "nobody") == []


def test_search_treats_like_wildcards_as_text(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    factory.citizen(helpdesk, last_name="Jensen")
    assert search(session, helpdesk, "%en") == []
    assert search(session, helpdesk, "_ensen") == []


def test_a_search_is_audited_without_the_query_text(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    factory.citizen(helpdesk, cpr="120345-1234")
    search(session, helpdesk, "120345-1234")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "citizen.search"))
    assert event.detail == {"kind": "cpr", "results": 1}
    assert "1234" not in str(event.detail) and "120345" not in str(event.purpose)


def test_search_needs_two_characters(session, factory):
    with pytest.raises(DomainError):
        search(session, factory.user(), " a ")


def test_search_pages_do_not_repeat_or_skip(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    made = {factory.citizen(helpdesk, last_name="Madsen").id for _ in range(7)}
    seen = []
    for page in (1, 2, 3):
        with unit_of_work(session):
            rows, more = service.search_citizens(session, "madsen", actor=helpdesk, now=utcnow(), page=page,
                                                 per_page=3)
        seen += [c.id for c in rows]
        assert more == (page < 3)
    assert sorted(seen) == sorted(made)


def test_before_any_course_a_nurse_sees_the_citizens_her_organisation_is_responsible_for(session, factory):
    """Registered, not yet referred: the responsible organisation's nurses (not the municipality she lives in,
    not the nurse who created her once she works elsewhere: see tests/citizens/test_need_to_know.py)."""
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    gp = factory.organisation(OrganisationKind.GP_CLINIC, "GP-1")
    nurse = factory.user(Role.NURSE, organisation=aarhus)
    gp_nurse = factory.user(Role.NURSE, organisation=gp)
    in_aarhus = factory.citizen(municipality_code="751", last_name="Aarhusianer")
    led_by_gp = factory.citizen(municipality_code="730", last_name="Gpborger", responsible_organisation_id=gp.id)
    created = factory.citizen(nurse, municipality_code="730", last_name="Egenborger")

    def visible(user):
        return {c.id for c in session.scalars(select(Citizen).where(service.visible_to(session, user, utcnow())))}

    assert visible(nurse) == {created.id}
    assert visible(gp_nurse) == {led_by_gp.id}
    assert in_aarhus.id not in visible(nurse)
    assert len(visible(factory.user(Role.HELPDESK))) == 3
    assert visible(factory.user(Role.WAREHOUSE)) == set()
    assert visible(factory.user(Role.TECHNICIAN)) == set()


def test_opening_a_citizen_writes_one_audit_row_allowed_or_denied(session, factory):
    nurse = factory.user(Role.NURSE, organisation=factory.organisation(OrganisationKind.MUNICIPALITY, "751"))
    other = factory.citizen(municipality_code="730")
    with unit_of_work(session):
        access = service.open_citizen(session, other.id, actor=nurse, now=utcnow())
    assert not access.allowed and access.citizen is None
    assert audit_count(session, citizen_id=other.id, action="citizen.view", outcome=Outcome.DENIED) == 1


def test_a_nurse_created_citizen_is_led_by_her_organisation(session, factory):
    gp = factory.organisation(OrganisationKind.GP_CLINIC, "GP-2")
    nurse = factory.user(Role.NURSE, organisation=gp)
    assert factory.citizen(nurse).responsible_organisation_id == gp.id


def test_an_edit_based_on_an_old_version_is_refused(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen(helpdesk)
    data = factory.citizen_data(cpr=citizen.cpr, first_name="First")
    with unit_of_work(session):
        service.update_citizen(session, session.get(Citizen, citizen.id), data, actor=helpdesk, now=utcnow(),
                               expected_version=1)
    data.first_name = "Second"
    with pytest.raises(Conflict), unit_of_work(session):
        service.update_citizen(session, session.get(Citizen, citizen.id), data, actor=helpdesk, now=utcnow(),
                               expected_version=1)
    session.expire_all()
    assert session.get(Citizen, citizen.id).first_name == "First"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "citizen.update"))
    assert "first_name" in event.detail["fields"] and "cpr" not in event.detail["fields"]


def only(**changes) -> service.CitizenData:
    """An edit in which the person changed only `changes`: every other field is UNCHANGED."""
    names = service.CitizenData.__dataclass_fields__
    return service.CitizenData(**{name: changes.get(name, service.UNCHANGED) for name in names})


def test_an_edit_changes_only_the_fields_it_changes(session, factory):
    """A municipal nurse's citizen living elsewhere is her municipality's responsibility; the helpdesk changing her
    mobile number keeps that, and with it the access of the municipality's other nurses."""
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    creator, colleague = (factory.user(Role.NURSE, organisation=aarhus) for _ in range(2))
    citizen = factory.citizen(creator, municipality_code="740", access_notes="Nøgleboks\nKode 4711")
    helpdesk = factory.user(Role.HELPDESK)
    with unit_of_work(session):
        service.update_citizen(session, session.get(Citizen, citizen.id), only(mobile="30405060"), actor=helpdesk,
                               now=utcnow(), expected_version=1)
    session.expire_all()
    saved = session.get(Citizen, citizen.id)
    assert (saved.mobile, saved.mobile_key, saved.responsible_organisation_id, saved.access_notes) == (
        "30405060", "30405060", aarhus.id, "Nøgleboks\nKode 4711")
    assert (saved.cpr, saved.first_name, saved.municipality_id) == (citizen.cpr, citizen.first_name,
                                                                    citizen.municipality_id)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "citizen.update"))
    assert event.detail["fields"] == ["mobile"]
    assert service.can_see(session, colleague, citizen.id, utcnow())


def test_a_municipality_can_be_responsible_and_a_changed_field_is_still_checked(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen(helpdesk)
    silkeborg = factory.organisation(OrganisationKind.MUNICIPALITY, "740")
    with unit_of_work(session):
        service.update_citizen(session, session.get(Citizen, citizen.id),
                               only(responsible_organisation_id=silkeborg.id), actor=helpdesk, now=utcnow(),
                               expected_version=1)
    session.expire_all()
    assert session.get(Citizen, citizen.id).responsible_organisation_id == silkeborg.id
    with pytest.raises(DomainError) as refused, unit_of_work(session):
        service.update_citizen(session, session.get(Citizen, citizen.id), only(postal_code="80000"), actor=helpdesk,
                               now=utcnow(), expected_version=2)
    assert refused.value.field == "postal_code"


def test_contacts_are_added_and_removed_with_audit(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen(helpdesk)
    with unit_of_work(session):
        contact = service.add_contact(session, session.get(Citizen, citizen.id), service.ContactData(
            kind=ContactKind.RELATIVE, name="Bo", phone="40 11 22 33", may_contact=True), actor=helpdesk,
            now=utcnow())
    with unit_of_work(session):
        service.remove_contact(session, session.get(Citizen, citizen.id), contact.id, actor=helpdesk, now=utcnow())
    assert audit_count(session, citizen_id=citizen.id, action="citizen.contact_add") == 1
    assert audit_count(session, citizen_id=citizen.id, action="citizen.contact_remove") == 1
    session.expire_all()
    assert session.get(Citizen, citizen.id).contacts == []
