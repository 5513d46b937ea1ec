"""Need to know, one rule per role in the services (servicecenter/citizens/access.py): a nurse sees her care
relationships while they run and a set time after; a technician the citizens of his visits a few days either side;
the warehouse none; the helpdesk and coordinators all. Then the same rule over HTTP: search, page, timeline, PDF,
CSV, recall, and the access note on the stop only on the visit's day."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest
from sqlalchemy import select

from dispatch.models import Visit
from dispatch.service import visits
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.citizens import service as citizens
from servicecenter.citizens.access import AccessPolicy, policy_of
from servicecenter.courses.models import EndReason
from servicecenter.courses.service import end_course, get_course, offer_lead, open_course
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from servicecenter.organisations.models import OrganisationKind
from tests.dispatch.test_field import Day, login

DAY = dt.timedelta(days=1)


@pytest.fixture
def day(session, factory):
    return Day(session, factory)


def sees(session, user, citizen_id, at=None) -> bool:
    session.rollback()
    return citizens.can_see(session, user, citizen_id, now=at or utcnow())


def refer(session, nurse, citizen, programme) -> int:
    with unit_of_work(session):
        return open_course(session, citizen_id=citizen.id, programme_id=programme.id, actor=nurse, now=utcnow()).id


# --- nurse ------------------------------------------------------------------------------------------------------


def test_a_nurse_sees_the_courses_her_organisation_leads_referred_or_is_offered(session, factory, day):
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    gp = factory.organisation(OrganisationKind.GP_CLINIC, "gp-need")
    odense = factory.organisation(OrganisationKind.MUNICIPALITY, "461")
    gp_nurse, aarhus_nurse, odense_nurse = (factory.user(Role.NURSE, organisation=o) for o in (gp, aarhus, odense))
    citizen = factory.citizen()
    assert not any(sees(session, n, citizen.id) for n in (gp_nurse, aarhus_nurse, odense_nurse))
    course_id = refer(session, gp_nurse, citizen, day.world.copd)  # referred and led by the clinic
    assert sees(session, gp_nurse, citizen.id) and not sees(session, aarhus_nurse, citizen.id)
    with unit_of_work(session):
        offer_lead(session, get_course(session, course_id), to_organisation_id=aarhus.id, actor=gp_nurse,
                   now=utcnow())
    assert sees(session, aarhus_nurse, citizen.id)  # offered: she must be able to decide
    assert not sees(session, odense_nurse, citizen.id)


def test_a_nurse_keeps_an_ended_course_for_the_set_time_only(session, factory, day):
    gp = factory.organisation(OrganisationKind.GP_CLINIC, "gp-end")
    nurse = factory.user(Role.NURSE, organisation=gp)
    citizen = factory.citizen()
    course_id = refer(session, nurse, citizen, day.world.copd)
    with unit_of_work(session):
        end_course(session, get_course(session, course_id), reason=EndReason.COMPLETED, exclusion_reason=None,
                   actor=nurse, now=utcnow())
    kept = policy_of(session).nurse_days_after_end
    assert kept == AccessPolicy().nurse_days_after_end  # the configured default (ACCESS_NURSE_DAYS_AFTER_END)
    assert sees(session, nurse, citizen.id, utcnow() + (kept - 1) * DAY)
    assert not sees(session, nurse, citizen.id, utcnow() + (kept + 1) * DAY)


def test_a_nurse_moved_to_another_organisation_no_longer_sees_the_old_ones_citizens(session, factory, day):
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    randers = factory.organisation(OrganisationKind.MUNICIPALITY, "730")
    nurse = factory.user(Role.NURSE, organisation=aarhus)
    created = factory.citizen(actor=nurse)  # registered by her, before any course
    referred = factory.citizen()
    refer(session, nurse, referred, day.world.copd)
    assert sees(session, nurse, created.id) and sees(session, nurse, referred.id)
    with unit_of_work(session):
        session.merge(nurse).organisation_id = randers.id
    assert not sees(session, nurse, created.id) and not sees(session, nurse, referred.id)


def test_registered_but_not_yet_referred_is_seen_by_the_responsible_organisation_only(session, factory):
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    nurse = factory.user(Role.NURSE, organisation=aarhus)
    hers = factory.citizen(responsible_organisation_id=aarhus.id)
    lives_here = factory.citizen(municipality_code="751")  # living in the municipality is no care relationship
    assert sees(session, nurse, hers.id) and not sees(session, nurse, lives_here.id)


# --- technician, warehouse, helpdesk --------------------------------------------------------------------------


def test_a_technician_sees_a_citizen_from_a_few_days_before_his_visit_to_a_few_days_after(session, day):
    tech = day.world.technician
    visit, _members = day.setup_visit()
    citizen_id = visit.citizen_id
    assert not sees(session, tech, citizen_id)  # booked, not yet his
    day.publish({day.anna: [visit]})
    policy = policy_of(session)
    assert sees(session, tech, citizen_id)
    assert sees(session, tech, citizen_id, utcnow() - policy.technician_days_before * DAY)
    assert not sees(session, tech, citizen_id, utcnow() - (policy.technician_days_before + 1) * DAY)
    assert sees(session, tech, citizen_id, utcnow() + policy.technician_days_after * DAY)
    assert not sees(session, tech, citizen_id, utcnow() + (policy.technician_days_after + 1) * DAY)


def test_a_cancelled_visit_is_no_longer_the_technicians(session, day):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    assert sees(session, day.world.technician, visit.citizen_id)
    with unit_of_work(session):
        visits.cancel(session, session.get(Visit, visit.id), note="Borgeren har meldt afbud",
                      actor=day.helpdesk, now=utcnow())
    assert not sees(session, day.world.technician, visit.citizen_id)


def test_another_technician_does_not_see_a_colleagues_citizen(session, factory, day):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    assert not sees(session, factory.user(Role.TECHNICIAN), visit.citizen_id)


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.ADMIN])
def test_the_warehouse_and_admins_see_no_citizen(session, factory, role):
    citizen = factory.citizen()
    assert not sees(session, factory.user(role), citizen.id)


@pytest.mark.parametrize("role", [Role.HELPDESK, Role.COORDINATOR])
def test_the_helpdesk_and_coordinators_see_every_citizen(session, factory, role):
    assert sees(session, factory.user(role), factory.citizen().id)


# --- breaking the glass -----------------------------------------------------------------------------------------


def test_a_technician_breaks_the_glass_with_a_reason_until_the_end_of_the_day(session, factory, day):
    helper = factory.user(Role.TECHNICIAN)
    citizen = factory.citizen()
    with pytest.raises(DomainError, match="at least 10"), unit_of_work(session):
        citizens.break_glass(session, citizen.cpr, "hjælp", actor=helper, now=utcnow())
    assert not sees(session, helper, citizen.id)
    with unit_of_work(session):
        citizens.break_glass(session, citizen.cpr, "Hjælper Anna med en tablet der ikke starter",
                             actor=helper, now=utcnow())
    assert sees(session, helper, citizen.id)
    assert not sees(session, helper, citizen.id, utcnow() + DAY)  # until the end of today only
    with unit_of_work(session):
        rows = citizens.list_glass_breaks(session, actor=day.coordinator, now=utcnow())
    assert [(r.user_id, r.citizen_id) for r in rows] == [(helper.id, citizen.id)]
    audit = session.scalars(select(AuditEvent.action).where(AuditEvent.citizen_id == citizen.id)).all()
    assert "citizen.break_glass" in audit


def test_breaking_the_glass_over_http_is_shown_to_the_coordinator(client, session, factory, day):
    helper = factory.user(Role.TECHNICIAN)
    citizen = factory.citizen(first_name="Glasbrud")
    login(client, helper)
    assert client.get(f"/citizens/{citizen.id}").status_code == 404
    short = client.post("/citizens/break-glass", data={"cpr": citizen.cpr, "reason": "kort"})
    assert short.status_code == 400 and client.get(f"/citizens/{citizen.id}").status_code == 404
    done = client.post("/citizens/break-glass", data={"cpr": citizen.cpr, "reason": "Hjælper en kollega i døren"})
    assert done.status_code == 302 and client.get(f"/citizens/{citizen.id}").status_code == 200
    login(client, day.coordinator)
    review = client.get("/citizens/glass-breaks").get_data(as_text=True)
    assert "Hjælper en kollega i døren" in review and helper.full_name in review
    login(client, day.helpdesk)
    assert client.get("/citizens/glass-breaks").status_code == 403  # the coordinators review them


# --- the acceptance over HTTP -------------------------------------------------------------------------------------


def shift_clock(monkeypatch, delta: dt.timedelta) -> None:
    """The web's clock (every view's `now()`) moved by `delta`: the same request a few days later."""
    import servicecenter.web

    real = servicecenter.db.utcnow
    monkeypatch.setattr(servicecenter.web, "utcnow", lambda: real() + delta)


def finds(client, citizen) -> bool:
    by_name = client.post("/citizens/search", data={"q": citizen.last_name}).get_data(as_text=True)
    by_cpr = client.post("/citizens/search", data={"q": citizen.cpr}).get_data(as_text=True)
    return f"/citizens/{citizen.id}" in by_name or f"/citizens/{citizen.id}" in by_cpr


def reached(client, citizen) -> dict[str, int]:
    return {path: client.get(path).status_code for path in (
        f"/citizens/{citizen.id}", f"/citizens/{citizen.id}/timeline", f"/citizens/{citizen.id}/timeline.pdf",
        f"/citizens/{citizen.id}/access-log.csv", f"/citizens/{citizen.id}/edit")}


def no_way_in(statuses: dict[str, int]) -> bool:
    """The page, timeline and PDF answer as for a citizen who does not exist; the CSV and edit form are not his
    role's at all (403 whoever the citizen)."""
    return all(status == 404 or (status == 403 and path.endswith(("csv", "edit")))
               for path, status in statuses.items())


def pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(io.BytesIO(data))
    return "".join(page.get_textpage().get_text_range() for page in pdf)


def test_a_technician_sees_his_citizen_only_around_his_visit_and_her_key_box_on_the_stop_that_day(
        client, session, day, monkeypatch):
    visit, _members = day.setup_visit()
    citizen = visit.citizen
    login(client, day.world.technician)
    # Without a visit: no search, id, timeline, PDF, CSV or recall.
    assert not finds(client, citizen)
    assert no_way_in(reached(client, citizen))
    assert citizen.last_name not in client.get("/citizens/").get_data(as_text=True)  # recall: recently opened
    # A visit today on his published route: he sees her, her key box on the stop only, and each showing is logged.
    day.publish({day.anna: [visit]})
    assert finds(client, citizen)
    page = client.get(f"/citizens/{citizen.id}")
    assert page.status_code == 200 and "4711" not in page.get_data(as_text=True)
    stop = client.get(f"/dispatch/my-day/visits/{visit.id}").get_data(as_text=True)
    assert "Nøgleboks ved døren, kode 4711" in stop
    sheet = client.get(f"/dispatch/plan/{day.today.isoformat()}/sheet/{day.anna.id}.pdf")
    assert sheet.status_code == 200 and "4711" in pdf_text(sheet.data)
    session.rollback()
    shown = session.scalars(select(AuditEvent.detail).where(AuditEvent.citizen_id == citizen.id,
                                                            AuditEvent.action == "citizen.access_notes")).all()
    assert sorted(d["where"] for d in shown) == ["route sheet", "stop"]
    assert citizen.last_name in client.get("/citizens/").get_data(as_text=True)  # he opened her: in his recall
    # Three days after the visit: gone again, everywhere.
    shift_clock(monkeypatch, 3 * DAY)
    assert not finds(client, citizen)
    assert no_way_in(reached(client, citizen))
    assert citizen.last_name not in client.get("/citizens/").get_data(as_text=True)


def test_the_key_box_is_not_on_the_stop_the_day_before(client, session, day, monkeypatch):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    shift_clock(monkeypatch, -DAY)  # preparing the day before: he sees the stop, not the code
    stop = client.get(f"/dispatch/my-day/visits/{visit.id}")
    assert stop.status_code == 200 and "4711" not in stop.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "citizen.access_notes")) is None


def test_a_nurse_whose_course_ended_beyond_the_set_time_no_longer_finds_the_citizen(
        client, session, factory, day, monkeypatch):
    gp = factory.organisation(OrganisationKind.GP_CLINIC, "gp-http")
    nurse = factory.user(Role.NURSE, organisation=gp)
    citizen = factory.citizen(first_name="Afsluttet")
    course_id = refer(session, nurse, citizen, day.world.copd)
    with unit_of_work(session):
        end_course(session, get_course(session, course_id), reason=EndReason.COMPLETED, exclusion_reason=None,
                   actor=nurse, now=utcnow())
    login(client, nurse)
    assert finds(client, citizen) and client.get(f"/citizens/{citizen.id}").status_code == 200
    shift_clock(monkeypatch, (policy_of(session).nurse_days_after_end + 1) * DAY)
    assert not finds(client, citizen)
    statuses = reached(client, citizen)
    assert {statuses[p] for p in statuses if not p.endswith(".csv")} == {404}
    assert client.get(f"/courses/{course_id}").status_code == 404


def test_a_warehouse_worker_sees_a_home_without_its_citizen(client, session, factory, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    login(client, day.world.warehouse)
    device = client.get(f"/inventory/devices/{members[0].tag}").get_data(as_text=True)
    assert f"Borgerhjem {visit.course_id} (" in device  # the place, then its kind: "(Citizen's home)"
    assert f"({day.world.copd.code})" not in device and visit.citizen.last_name not in device  # no programme, no name
    assert "/citizens/" not in device


def test_the_recent_list_and_the_handovers_page_write_an_audit_row_for_each_citizen_they_name(
        client, session, factory, day):
    gp = factory.organisation(OrganisationKind.GP_CLINIC, "gp-list")
    aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    gp_nurse, aarhus_nurse = factory.user(Role.NURSE, organisation=gp), factory.user(Role.NURSE, organisation=aarhus)
    citizen = factory.citizen(first_name="Listet")
    course_id = refer(session, gp_nurse, citizen, day.world.copd)
    with unit_of_work(session):
        offer_lead(session, get_course(session, course_id), to_organisation_id=aarhus.id, actor=gp_nurse,
                   now=utcnow())
    login(client, aarhus_nurse)
    assert citizen.last_name in client.get("/courses/handovers").get_data(as_text=True)
    client.get(f"/citizens/{citizen.id}")
    assert citizen.last_name in client.get("/citizens/").get_data(as_text=True)
    session.rollback()
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.citizen_id == citizen.id,
                                                              AuditEvent.actor_id == aarhus_nurse.id)).all()
    assert {"citizen.list_handovers", "citizen.list_recent"} <= set(actions)
