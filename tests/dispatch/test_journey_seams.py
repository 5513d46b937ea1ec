"""The seams of the journey found by trying it as a new user: the door accepts only what is reserved for the visit,
what is stored about a visit follows what really happened (published, withdrawn, stranded, sensitive), and visits
arise where the work does (a course, a ticket, a follow-up). Over HTTP where the person works on a page, through the
services where the rule lives."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from dispatch.models import PlanStatus, Visit, VisitKind, VisitStatus
from dispatch.service import allocation, door, planning, visits
from inventory import service as inventory
from inventory.models import Device, DeviceCategory, DeviceStatus, KitMembership
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import ContactKind
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, CourseStatus, EndReason
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from servicecenter.training.models import TrainingRecord
from tests.dispatch.test_field import Day, fresh, login, scan


@pytest.fixture
def day(session, factory):
    return Day(session, factory)


def _published_pair(day):
    """Citizen A's and citizen B's setups, each with its kit, published to Anna: A first."""
    a, a_members = day.setup_visit(day.citizen(first_name="Agnes"))
    b, b_members = day.setup_visit(day.citizen(first_name="Bodil"))
    day.publish({day.anna: [a, b]})
    return a, a_members, b, b_members


def _sheet_text(client, day, technician_id: int) -> str:
    pdf = client.get(f"/dispatch/plan/{day.today.isoformat()}/sheet/{technician_id}.pdf")
    assert pdf.status_code == 200, pdf.status_code
    return "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(io.BytesIO(pdf.data)))


# --- the door accepts only the right devices -------------------------------------------------------------------


def test_a_device_reserved_for_another_citizen_is_refused_at_the_door_and_her_kit_stays_whole(client, session, day):
    a, _a_members, b, b_members = _published_pair(day)
    login(client, day.world.technician)
    answer = scan(client, a, b_members[0].tag, htmx=True).get_data(as_text=True)
    assert 'data-scan-result="error"' in answer and "another citizen" in answer
    device = fresh(session, Device, b_members[0].id)
    assert (device.status, device.kit_id) == (DeviceStatus.RESERVED, fresh(session, Visit, b.id).kit_id)
    assert device.reserved_for_id == inventory.course_holder(session, fresh(session, Visit, b.id).course).id
    login(client, day.helpdesk)
    assert b_members[0].tag in _sheet_text(client, day, day.anna.id)  # B's route sheet still has it, rightly
    kit = inventory.get_kit(session, fresh(session, Visit, b.id).kit_id)
    assert {d.id for d in kit.members} == {d.id for d in b_members}
    assert inventory.verify_ledger(session) == []


def test_a_same_model_replacement_with_a_reason_moves_the_reservation_and_the_kit(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    scale = next(d for d in members if d.model.category == DeviceCategory.SCALE)
    spare = day.world.device(DeviceCategory.SCALE)
    oximeter = day.world.device(DeviceCategory.PULSE_OXIMETER)
    day.world.scan("load", spare.tag, day.world.van)
    login(client, day.world.technician)
    # scanned as an ordinary delivery it is refused, with the way to do it
    assert "Deliver a replacement" in scan(client, visit, spare.tag, htmx=True).get_data(as_text=True)
    url = f"/dispatch/my-day/visits/{visit.id}/replacement"
    refused = client.post(url, data={"replace-replaces": scale.tag, "replace-code": oximeter.tag,
                                     "replace-reason": "faulty"}, headers={"HX-Request": "true"})
    assert "not the same model" in refused.get_data(as_text=True)
    no_reason = client.post(url, data={"replace-replaces": scale.tag, "replace-code": spare.tag,
                                       "replace-reason": "other"})
    assert no_reason.status_code == 400 and fresh(session, Device, spare.id).status == DeviceStatus.IN_VAN
    done = client.post(url, data={"replace-replaces": scale.tag, "replace-code": spare.tag,
                                  "replace-reason": "faulty"}, headers={"HX-Request": "true"})
    assert 'data-scan-result="ok"' in done.get_data(as_text=True)
    session.rollback()
    home = inventory.course_holder(session, fresh(session, Visit, visit.id).course)
    new, old = session.get(Device, spare.id), session.get(Device, scale.id)
    assert (new.status, new.holder_id, new.kit_id, new.reserved_for_id) == (DeviceStatus.AT_CITIZEN, home.id,
                                                                           fresh(session, Visit, visit.id).kit_id,
                                                                           None)
    assert (old.status, old.kit_id, old.reserved_for_id) == (DeviceStatus.READY, None, None)  # back to stock
    assert session.scalar(select(KitMembership.removed_at).where(KitMembership.device_id == old.id)) is not None
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "reservation.replace"))
    assert audit.detail == {"out": scale.tag, "in": spare.tag, "reason": "the reserved device does not work"}
    assert inventory.verify_ledger(session) == []


def test_a_kit_of_another_programme_is_refused(session, day):
    """A heart-failure kit handed over to a COPD course: refused at the door and outside a visit alike."""
    from servicecenter.courses.models import Programme

    hf = session.scalar(select(Programme).where(Programme.code == "HF"))
    with unit_of_work(session):
        template = inventory.set_kit_template(session, actor=day.world.warehouse, now=utcnow(), programme_id=hf.id,
                                              name="HF", items=[(DeviceCategory.TABLET, 1),
                                                                (DeviceCategory.BLOOD_PRESSURE, 1)])
        kit = inventory.create_kit(session, template=template, actor=day.world.warehouse, now=utcnow())
    for category in (DeviceCategory.TABLET, DeviceCategory.BLOOD_PRESSURE):
        device = day.world.device(category)
        with unit_of_work(session):
            inventory.pack(session, inventory.get_kit(session, kit.id), device.tag, actor=day.world.warehouse,
                           now=utcnow())
    home, _members = day.world.set_up_home()  # a set-up COPD course: outside a visit would be allowed
    with pytest.raises(DomainError, match="another programme"):
        day.world.scan("handover", kit.tag, home, note="walk-in", visit_id=None)
    loose = day.world.device(DeviceCategory.BLOOD_PRESSURE)
    with pytest.raises(DomainError, match="not part of this programme"):
        day.world.scan("handover", loose.tag, home, note="walk-in", visit_id=None)
    assert {d.status for d in inventory.get_kit(session, kit.id).members} == {DeviceStatus.READY}


def test_collecting_at_the_door_takes_only_this_homes_devices(session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    elsewhere, _ = day.world.set_up_home()
    other = session.scalars(select(Device).where(Device.holder_id == elsewhere.id)).first()
    pickup = day.end_with_pickup(visit.course_id)
    with pytest.raises(DomainError, match="not in this citizen's home"), unit_of_work(session):
        door.scan_at_door(session, session.get(Visit, pickup.id), "collect", other.tag, actor=day.world.technician,
                          now=utcnow())
    assert fresh(session, Device, other.id).holder_id == elsewhere.id


def test_report_lost_needs_a_reason_even_for_a_device_in_a_home(session, day):
    home, members = day.world.set_up_home()
    with pytest.raises(DomainError) as refused:
        day.world.scan("lose", members[0].tag, note="  ")
    assert refused.value.field == "note"
    day.world.scan("lose", members[0].tag, note="The citizen cannot find it after the move")
    assert fresh(session, Device, members[0].id).status == DeviceStatus.LOST


# --- dispatch seams --------------------------------------------------------------------------------------------


def test_a_setup_with_no_kit_is_flagged_and_publishing_asks_for_it_or_leaves_it_out(client, session, day):
    kitted, _members = day.setup_visit(day.citizen(first_name="Agnes"))
    with unit_of_work(session):
        bare = visits.request_setup(session, citizen_id=day.citizen(first_name="Bodil").id,
                                    programme_id=day.world.copd.id, request=day.request(), actor=day.helpdesk,
                                    now=utcnow(), today=day.today)
        day._book(bare)
    login(client, day.helpdesk)
    page = client.get(f"/dispatch/plan?day={day.today.isoformat()}").get_data(as_text=True)
    assert 'id="kit-needed"' in page and "flag-kit-needed" in page
    with pytest.raises(DomainError, match="Nothing is reserved"):
        day.publish({day.anna: [kitted, bare]})
    run = planning.latest_run(session, day.today)
    with unit_of_work(session):
        planning.publish(session, planning.get_run(session, run.id), actor=day.helpdesk, now=utcnow(),
                         confirmation=lambda v: ("text", []), leave_out_unreserved=True)
    left, published = fresh(session, Visit, bare.id), fresh(session, Visit, kitted.id)
    assert (left.status, left.scheduled_on, left.technician_id) == (VisitStatus.REQUESTED, None, None)
    assert published.published_at is not None and published.technician_id == day.anna.id


def test_a_hand_assigned_visit_is_on_the_technicians_day_and_sheet_and_must_fit_its_window(client, session, day):
    visit, _members = day.setup_visit()
    with unit_of_work(session):
        visits.book(session, session.get(Visit, visit.id), day=day.today, window=(12 * 60, 16 * 60),
                    actor=day.helpdesk, now=utcnow(), today=day.today)
    login(client, day.helpdesk)
    outside = client.post(f"/dispatch/visits/{visit.id}/assign",
                          data={"assign-technician_id": day.anna.id, "assign-start": "10:00"})
    assert outside.status_code == 400 and "outside the visit&#39;s window 12:00" in outside.get_data(as_text=True)
    assert client.post(f"/dispatch/visits/{visit.id}/assign",
                       data={"assign-technician_id": day.anna.id, "assign-start": "13:00"}).status_code == 302
    assigned = fresh(session, Visit, visit.id)
    assert assigned.published_at is not None and assigned.confirmation_text  # the citizen's text is ready too
    assert assigned.citizen.full_name in _sheet_text(client, day, day.anna.id)
    login(client, day.world.technician)
    assert f"/my-day/visits/{visit.id}" in client.get("/dispatch/my-day").get_data(as_text=True)


def test_an_absence_strands_its_stops_back_to_the_planner_and_an_old_plan_cannot_publish_to_it(client, session,
                                                                                               day):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    old_link = f"/dispatch/c/{planning_token(client, fresh(session, Visit, visit.id))}"
    with unit_of_work(session):  # a new plan of the day, made before the absence
        run = planning.start_run(session, day.today, actor=day.helpdesk, now=utcnow())
        run.status, run.result = PlanStatus.DONE, {"unplanned": [], "distance_m": 0, "seconds": 0.0, "routes": [
            {"technician_id": day.anna.id, "distance_m": 0, "driving_minutes": 0, "leaves_at": 480, "returns_at": 960,
             "stops": [{"visit_id": visit.id, "arrival": 600, "start": 600, "end": 660}]}]}
        run_id = run.id
    login(client, day.coordinator)
    response = client.post(f"/dispatch/technicians/{day.anna.id}/absences", follow_redirects=True,
                           data={"absence-first_day": day.today.isoformat(), "absence-last_day": day.today.isoformat(),
                                 "absence-reason": "Syg"})
    page = response.get_data(as_text=True)
    stranded = fresh(session, Visit, visit.id)
    assert "went back to the planner" in page and stranded.citizen.full_name in page
    assert (stranded.status, stranded.technician_id, stranded.published_at, stranded.confirmation_text) == (
        VisitStatus.SCHEDULED, None, None, None)
    assert client.get(old_link).status_code == 410  # the citizen's old link is withdrawn with its text
    with pytest.raises(DomainError, match="No longer on duty"), unit_of_work(session):
        planning.publish(session, planning.get_run(session, run_id), actor=day.helpdesk, now=utcnow(),
                         confirmation=lambda v: ("", []))
    login(client, day.world.technician)
    assert f"/my-day/visits/{visit.id}" not in client.get("/dispatch/my-day").get_data(as_text=True)


def planning_token(client, visit) -> str:
    from dispatch.service.confirm import make_token

    return make_token(client.application.config["SECRET_KEY"], visit)


def test_a_stop_locked_to_a_technician_can_be_unlocked_from_the_plan_page(client, session, day):
    visit, _members = day.setup_visit()
    with unit_of_work(session):
        planning.lock(session, session.get(Visit, visit.id), technician_id=day.anna.id, day=day.today,
                      actor=day.helpdesk, now=utcnow())
    login(client, day.helpdesk)
    page = client.get(f"/dispatch/plan?day={day.today.isoformat()}").get_data(as_text=True)
    assert "unlock" in page
    client.post(f"/dispatch/plan/visits/{visit.id}/lock", data={"technician_id": ""})
    assert fresh(session, Visit, visit.id).locked is False


def test_requeueing_withdraws_the_confirmation_and_its_link(client, session, day):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    link = f"/dispatch/c/{planning_token(client, fresh(session, Visit, visit.id))}"
    assert client.get(link).status_code == 200
    with unit_of_work(session):
        visits.fail(session, session.get(Visit, visit.id), reason=visits.FailureReason.NOT_HOME, note="",
                    actor=day.world.technician, now=utcnow())
    failed = fresh(session, Visit, visit.id)
    assert (failed.status, failed.confirmation_text, failed.offered_slots) == (VisitStatus.REQUEUED, None, None)
    assert client.get(link).status_code == 410
    assert any("withdrawn" in (event.note or "") for event, _who in visits.history(session, visit.id))


def test_a_pickup_after_a_death_is_marked_everywhere_and_gets_no_confirmation_text(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    course = courses.get_course(session, visit.course_id)
    with unit_of_work(session):
        citizens.add_contact(session, course.citizen, citizens.ContactData(
            kind=ContactKind.RELATIVE, name="Lone Datter", phone="41223344", may_contact=True),
            actor=day.helpdesk, now=utcnow())
    pickup = day.end_with_pickup(visit.course_id, EndReason.DECEASED)
    published = fresh(session, Visit, pickup.id)
    assert published.published_at is not None and published.confirmation_text is None
    assert published.offered_slots is None
    login(client, day.helpdesk)
    assert "flag-sensitive" in client.get("/dispatch/?show=scheduled").get_data(as_text=True)
    assert "flag-sensitive" in client.get(f"/dispatch/plan?day={day.today.isoformat()}").get_data(as_text=True)
    visit_page = client.get(f"/dispatch/visits/{pickup.id}").get_data(as_text=True)
    assert 'id="sensitive"' in visit_page and "Lone Datter" in visit_page
    assert "Deceased" in _sheet_text(client, day, day.anna.id) and "Lone Datter" in _sheet_text(client, day,
                                                                                                 day.anna.id)
    login(client, day.world.technician)
    stop = client.get(f"/dispatch/my-day/visits/{pickup.id}").get_data(as_text=True)
    assert 'id="sensitive"' in stop and "41223344" in stop


def test_a_technician_prints_her_own_route_sheet_only_and_it_shows_urgency_and_interpreter(client, session,
                                                                                            factory, day):
    citizen = day.citizen(first_name="Agnes")
    _kit, _members = day.world.kit()
    request = visits.VisitRequest(earliest_on=day.today, latest_on=day.today, urgency=visits.Urgency.URGENT,
                                  interpreter_needed=True)
    with unit_of_work(session):
        visit = visits.request_setup(session, citizen_id=citizen.id, programme_id=day.world.copd.id,
                                     request=request, actor=day.helpdesk, now=utcnow(), today=day.today)
        allocation.allocate_kit(session, visit, depot_id=day.world.depot.id, actor=day.helpdesk, now=utcnow())
        day._book(visit)
    day.publish({day.anna: [visit]})
    bob = day.technician(factory.user(Role.TECHNICIAN), day.world.van2)
    login(client, day.world.technician)
    own = client.get("/dispatch/my-day/sheet.pdf", follow_redirects=True)
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(io.BytesIO(own.data)))
    assert "URGENT" in text and "Interpreter needed" in text
    assert client.get(f"/dispatch/plan/{day.today.isoformat()}/sheet/{bob.id}.pdf").status_code == 404
    stop = client.get(f"/dispatch/my-day/visits/{visit.id}").get_data(as_text=True)
    assert 'id="urgent"' in stop and 'id="interpreter"' in stop


def test_completing_a_setup_records_the_training_at_the_door_and_the_follow_up_falls_due(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    for d in members:
        scan(client, visit, d.tag)
    checklist = list(day.world.copd.checklist)
    client.post(f"/dispatch/my-day/visits/{visit.id}/complete", data={"trained": checklist[:-1],
                                                                      "training_note": "Datteren var med"})
    session.rollback()
    record = session.scalar(select(TrainingRecord).where(TrainingRecord.course_id == visit.course_id))
    assert record is not None and record.trainer_id == day.world.technician.id
    assert [a["passed"] for a in record.checklist] == [True] * (len(checklist) - 1) + [False]
    assert record.result.value == "partly" and record.note == "Datteren var med"
    assert record.follow_up_due_on == day.today + dt.timedelta(days=day.world.copd.follow_up_days)
    assert {m["name"] for m in record.device_models} == {str(d.model) for d in members}
    assert fresh(session, Course, visit.course_id).status == CourseStatus.ACTIVE


def test_a_swap_reserves_its_replacement_and_the_van_loading_list_has_it(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    tablet = next(d for d in members if d.model.category == DeviceCategory.TABLET)
    spare = day.world.device(DeviceCategory.TABLET)
    with unit_of_work(session):
        swap = visits.request_swap(session, device_id=tablet.id, request=day.request(), actor=day.helpdesk,
                                   now=utcnow(), today=day.today)
        day._book(swap)
    assert fresh(session, Visit, swap.id).replacement_device_id == spare.id
    day.publish({day.anna: [swap]})
    login(client, day.helpdesk)
    pdf = client.get(f"/dispatch/plan/{day.today.isoformat()}/sheet/{day.anna.id}.pdf")
    first_page = pdfium.PdfDocument(io.BytesIO(pdf.data))[0]
    codes = {r.text for r in zxingcpp.read_barcodes(first_page.render(scale=300 / 72).to_pil())}
    assert spare.tag in codes  # on the van-loading list, to scan at the depot


# --- visits where they arise -----------------------------------------------------------------------------------


def test_service_training_and_follow_up_visits_are_requested_from_the_course_and_a_due_follow_up(client, session,
                                                                                                   day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    login(client, day.helpdesk)
    course_page = client.get(f"/courses/{visit.course_id}").get_data(as_text=True)
    assert 'id="request-visit"' in course_page and 'id="course-visits"' in course_page
    for kind in ("service", "training"):
        form = {"kind": kind, "earliest_on": day.today.isoformat(),
                "latest_on": (day.today + dt.timedelta(days=5)).isoformat(), "time_of_day": "any",
                "urgency": "normal", "notes": f"{kind} wanted"}
        assert client.post(f"/dispatch/courses/{visit.course_id}/visits/new", data=form).status_code == 302
    session.rollback()
    made = session.scalars(select(Visit.kind).where(Visit.course_id == visit.course_id,
                                                    Visit.status == VisitStatus.REQUESTED)).all()
    assert sorted(made) == [VisitKind.SERVICE, VisitKind.TRAINING]
    with unit_of_work(session):  # the training at the door is due for its follow-up: today, say
        record = session.scalar(select(TrainingRecord).where(TrainingRecord.course_id == visit.course_id))
        record.follow_up_due_on = day.today
    follow_ups = client.get("/training/follow-ups").get_data(as_text=True)
    assert f"/dispatch/courses/{visit.course_id}/visits/new?kind=follow_up" in follow_ups
    form_page = client.get(f"/dispatch/courses/{visit.course_id}/visits/new?kind=follow_up").get_data(as_text=True)
    assert 'selected value="follow_up"' in form_page


def test_a_service_visit_is_requested_from_a_ticket_which_waits_for_it(client, session, day):
    from support.models import Category, EventKind, Ticket, TicketEvent, TicketStatus
    from support.service import tickets

    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    citizen_id = fresh(session, Visit, visit.id).citizen_id
    with unit_of_work(session):
        group = tickets.save_group(session, None, name="1. linje", round_robin=False, member_ids=[day.helpdesk.id],
                                   actor=day.coordinator, now=utcnow())
        ticket = tickets.create_ticket(session, tickets.TicketData(
            subject="Vægten viser forkert", category=Category.DEVICE_FAULT, group_id=group.id,
            citizen_id=citizen_id), actor=day.helpdesk, now=utcnow())
    login(client, day.helpdesk)
    assert 'id="request-service-visit"' in client.get(f"/support/tickets/{ticket.id}").get_data(as_text=True)
    assert client.post(f"/support/tickets/{ticket.id}/visit", data={"visit-note": "Tjek vægten"}).status_code == 302
    waiting = fresh(session, Ticket, ticket.id)
    service = session.get(Visit, waiting.visit_id)
    assert (service.kind, service.course_id, waiting.status) == (VisitKind.SERVICE, visit.course_id,
                                                                 TicketStatus.WAITING_THIRD_PARTY)
    with unit_of_work(session):
        day._book(session.get(Visit, service.id))
    day.publish({day.anna: [service]})
    with unit_of_work(session):
        visits.complete(session, session.get(Visit, service.id), actor=day.world.technician, now=utcnow())
    assert fresh(session, Ticket, ticket.id).status == TicketStatus.RESOLVED
    assert session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.VISIT_DONE)) == 1


# --- overdue pickups ------------------------------------------------------------------------------------------


def test_overdue_pickups_are_listed_and_reported_by_the_daily_job(app, client, session, day):
    from dispatch.jobs import JOBS

    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    with unit_of_work(session):
        courses.end_course(session, courses.get_course(session, visit.course_id), reason=EndReason.COMPLETED,
                           exclusion_reason=None, actor=day.helpdesk, now=utcnow() - dt.timedelta(days=20))
    login(client, day.helpdesk)
    page = client.get("/dispatch/pickups/overdue").get_data(as_text=True)
    assert f'data-course="{visit.course_id}"' in page
    result = JOBS[0].run(session, utcnow(), dict(app.config))
    assert result == "1 overdue"
    assert JOBS[0].run(session, utcnow() - dt.timedelta(days=10), dict(app.config)) == "0 overdue"


def test_pausing_a_course_takes_its_booked_visits_off_the_routes(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    day.complete_setup(visit, members)
    service = day.other_visit(visit.course_id, VisitKind.SERVICE)
    day.publish({day.anna: [service]})
    with unit_of_work(session):
        courses.pause_course(session, courses.get_course(session, visit.course_id),
                             reason=courses.PauseReason.HOSPITALISED, call_again_on=day.today + dt.timedelta(days=4),
                             actor=day.helpdesk, now=utcnow())
    back = fresh(session, Visit, service.id)
    assert (back.status, back.scheduled_on, back.technician_id, back.confirmation_text) == (
        VisitStatus.REQUESTED, None, None, None)
    assert fresh(session, Course, visit.course_id).status == CourseStatus.PAUSED
    login(client, day.world.technician)
    assert f"/my-day/visits/{service.id}" not in client.get("/dispatch/my-day").get_data(as_text=True)


def test_a_scan_answer_brings_the_stops_lists_up_to_date_and_a_pickup_only_collects(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    answer = scan(client, visit, members[0].tag, htmx=True).get_data(as_text=True)
    lists = answer[answer.index('data-replace="stop-lists"'):]
    assert members[0].tag in lists and lists.count("in the home") == 1 and lists.count("to deliver") >= 2
    refused = scan(client, visit, "D0000000", htmx=True).get_data(as_text=True)
    assert "data-replace" not in refused  # nothing moved: nothing to bring up to date
    for d in members[1:]:
        scan(client, visit, d.tag)
    client.post(f"/dispatch/my-day/visits/{visit.id}/complete")
    pickup = day.end_with_pickup(visit.course_id)
    stop = client.get(f"/dispatch/my-day/visits/{pickup.id}").get_data(as_text=True)
    assert 'id="mode-collect"' in stop and 'id="mode-deliver"' not in stop
    login(client, day.helpdesk)
    timeline = client.get(f"/citizens/{visit.citizen_id}/timeline").get_data(as_text=True)
    assert "devices still to collect" in timeline
