"""Course pages over HTTP: referral, ending with devices in the home, the handover between organisations,
training with its checklist, the follow-up worklist, the competence matrix, the timeline page and its PDF."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdfium2 as pdfium
import pytest
from sqlalchemy import event, func, select

from inventory.models import Device, DeviceCategory, DeviceStatus, Movement
from servicecenter.auth.models import Role
from servicecenter.courses.models import (
    Course,
    CourseEvent,
    CourseStatus,
    EndReason,
    Handover,
    HandoverStatus,
    PauseReason,
    Programme,
)
from servicecenter.db import LOCAL_ZONE, local_date, utcnow
from servicecenter.organisations.models import OrganisationKind
from servicecenter.training.models import TrainingRecord
from tests.inventory.helpers import World


@pytest.fixture
def orgs(factory):
    return {"gp": factory.organisation(OrganisationKind.GP_CLINIC, "GP-V"),
            "aarhus": factory.organisation(OrganisationKind.MUNICIPALITY, "751"),
            "odense": factory.organisation(OrganisationKind.MUNICIPALITY, "461")}


def login(client, user):
    client.get("/logout")
    client.post("/logout")
    assert client.login(user.username).status_code == 302
    client.post("/language", data={"lang": "en"})  # the assertions read the English texts
    return user


def refer(client, session, nurse, citizen):
    """The referral as a nurse makes it: the citizen page's button. Returns the new course."""
    login(client, nurse)
    programme_id = session.scalar(select(func.min(Course.programme_id)).select_from(Course)) or 1
    response = client.post(f"/citizens/{citizen.id}/courses", data={"programme_id": programme_id})
    assert response.status_code == 302 and "/courses/" in response.location
    session.rollback()
    return session.scalar(select(Course).where(Course.citizen_id == citizen.id).order_by(Course.id.desc()))


def test_a_gp_nurse_refers_and_the_course_is_referred_and_led_by_her_clinic(client, session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    citizen = factory.citizen(actor=nurse, responsible_organisation_id=orgs["gp"].id)
    course = refer(client, session, nurse, citizen)
    assert (course.status, course.lead_organisation_id, course.referred_by_user_id) == (
        CourseStatus.REFERRED, orgs["gp"].id, nurse.id)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert orgs["gp"].name in page
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CourseEvent).where(CourseEvent.course_id == course.id)) == 1


def test_a_bad_programme_is_refused_with_a_message(client, session, factory, orgs):
    nurse = login(client, factory.user(Role.NURSE, organisation=orgs["gp"]))
    citizen = factory.citizen(actor=nurse, responsible_organisation_id=orgs["gp"].id)
    response = client.post(f"/citizens/{citizen.id}/courses", data={"programme_id": "99999"},
                           follow_redirects=True)
    assert "Choose a programme." in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Course).where(Course.citizen_id == citizen.id)) == 0


def test_a_nurse_of_another_organisation_cannot_open_the_course(client, session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    citizen = factory.citizen(actor=nurse, responsible_organisation_id=orgs["gp"].id)
    course = refer(client, session, nurse, citizen)
    login(client, factory.user(Role.NURSE, organisation=orgs["odense"]))
    assert client.get(f"/courses/{course.id}").status_code == 404  # as for a course that does not exist
    assert client.get(f"/citizens/{citizen.id}/timeline").status_code == 404
    assert client.get(f"/citizens/{citizen.id}/timeline.pdf").status_code == 404


def test_ending_with_devices_in_the_home_lists_them_and_moves_nothing(client, session, factory, orgs):
    world = World(session, factory)
    holder, members = world.set_up_home()
    tablet, scale = (next(d for d in members if d.model.category == c)
                     for c in (DeviceCategory.TABLET, DeviceCategory.SCALE))
    login(client, factory.user(Role.HELPDESK))
    session.rollback()
    movements = session.scalar(select(func.count()).select_from(Movement))
    page = client.get(f"/courses/{holder.course_id}/end").get_data(as_text=True)
    assert tablet.tag in page and scale.tag in page

    refused = client.post(f"/courses/{holder.course_id}/end", data={"reason": "excluded", "exclusion_reason": ""})
    assert refused.status_code == 400 and "cannot be included" in refused.get_data(as_text=True)
    session.rollback()
    assert session.get(Course, holder.course_id).status != CourseStatus.ENDED

    done = client.post(f"/courses/{holder.course_id}/end", data={"reason": "completed"})
    assert done.status_code == 302
    session.rollback()
    assert session.get(Course, holder.course_id).end_reason == EndReason.COMPLETED
    assert session.scalar(select(func.count()).select_from(Movement)) == movements  # nothing moved
    for device in (tablet, scale):
        assert (session.get(Device, device.id).status, session.get(Device, device.id).holder_id) == (
            DeviceStatus.AT_CITIZEN, holder.id)
    course_page = client.get(f"/courses/{holder.course_id}").get_data(as_text=True)
    assert course_page.count("due for pickup") == 3 and "ending: devices to collect" in course_page
    world.scan("collect", tablet.tag, world.van, actor=world.technician)  # the pickup scan is what moves it
    course_page = client.get(f"/courses/{holder.course_id}").get_data(as_text=True)
    assert course_page.count("due for pickup") == 2 and tablet.tag not in course_page


def test_the_state_is_not_set_by_hand_but_a_pause_is_a_decision_with_a_reason(client, session, factory, orgs):
    helpdesk = login(client, factory.user(Role.HELPDESK))
    course = refer(client, session, helpdesk, factory.citizen())
    assert client.post(f"/courses/{course.id}/status", data={"status": "active"}).status_code in (404, 405)
    page = client.post(f"/courses/{course.id}/pause", data={"reason": "hospitalised"})
    assert page.status_code == 400 and "call the citizen again" in page.get_data(as_text=True)
    later = (local_date(utcnow()) + dt.timedelta(days=5)).isoformat()
    assert client.post(f"/courses/{course.id}/pause", data={"reason": "hospitalised", "call_again_on": later,
                                                            "note": "Skejby"}).status_code == 302
    session.rollback()
    paused = session.get(Course, course.id)
    assert (paused.status, paused.pause_reason, paused.call_again_on.isoformat()) == (
        CourseStatus.PAUSED, PauseReason.HOSPITALISED, later)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "Skejby" in page and 'id="resume-course"' in page
    assert client.post(f"/courses/{course.id}/resume").status_code == 302
    session.rollback()
    resumed = session.get(Course, course.id)
    assert (resumed.status, resumed.paused_at) == (CourseStatus.REFERRED, None)


def test_the_lead_is_offered_declined_offered_again_and_accepted(client, session, factory, orgs):
    gp_nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    municipal_nurse = factory.user(Role.NURSE, organisation=orgs["aarhus"])
    citizen = factory.citizen(actor=gp_nurse, responsible_organisation_id=orgs["gp"].id, municipality_code="461")
    course = refer(client, session, gp_nurse, citizen)

    login(client, municipal_nurse)  # no care relationship yet: Aarhus may not see her
    assert client.get(f"/courses/{course.id}").status_code == 404
    login(client, gp_nurse)
    assert client.post(f"/courses/{course.id}/handover", data={"to_organisation_id": orgs["aarhus"].id}
                       ).status_code == 302

    login(client, municipal_nurse)
    waiting = client.get("/courses/handovers").get_data(as_text=True)
    assert citizen.full_name in waiting
    session.rollback()
    handover = session.scalar(select(Handover).where(Handover.course_id == course.id))
    no_reason = client.post(f"/courses/handovers/{handover.id}/answer", data={"answer": "decline", "reason": " "})
    assert no_reason.status_code == 400 and "declined" in no_reason.get_data(as_text=True)
    assert client.post(f"/courses/handovers/{handover.id}/answer",
                       data={"answer": "decline", "reason": "Ikke vores borger"}).status_code == 302
    session.rollback()
    assert (session.get(Handover, handover.id).status, session.get(Course, course.id).lead_organisation_id) == (
        HandoverStatus.DECLINED, orgs["gp"].id)

    login(client, gp_nurse)
    client.post(f"/courses/{course.id}/handover", data={"to_organisation_id": orgs["aarhus"].id})
    session.rollback()
    again = session.scalar(select(Handover).where(Handover.course_id == course.id,
                                                  Handover.status == HandoverStatus.OFFERED))
    assert client.post(f"/courses/handovers/{again.id}/answer", data={"answer": "accept"}).status_code == 400
    session.rollback()
    assert session.get(Course, course.id).lead_organisation_id == orgs["gp"].id  # the offerer cannot accept

    login(client, municipal_nurse)
    assert client.post(f"/courses/handovers/{again.id}/answer", data={"answer": "accept"}).status_code == 302
    session.rollback()
    assert session.get(Course, course.id).lead_organisation_id == orgs["aarhus"].id
    timeline = client.get(f"/citizens/{citizen.id}/timeline").get_data(as_text=True)
    assert "accepted the lead" in timeline and "declined the lead" in timeline and "Ikke vores borger" in timeline


def test_only_the_lead_may_offer(client, session, factory, orgs):
    gp_nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    citizen = factory.citizen(actor=gp_nurse, responsible_organisation_id=orgs["gp"].id)
    course = refer(client, session, gp_nurse, citizen)
    login(client, factory.user(Role.HELPDESK))
    response = client.post(f"/courses/{course.id}/handover", data={"to_organisation_id": orgs["aarhus"].id})
    assert response.status_code == 400 and "Only the current lead" in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Handover).where(Handover.course_id == course.id)) == 0


def days_ago_at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Copenhagen wall time `days` ago: a typed time in the past on any day (the form has minutes only)."""
    return dt.datetime.combine(local_date(utcnow()) - dt.timedelta(days=days), dt.time(hour, minute), tzinfo=LOCAL_ZONE)


def training_form(course, session, **extra):
    checklist = session.get(Course, course.id).programme.checklist
    form = {"trainee": "citizen", "trainer_id": extra.pop("trainer_id"),
            "held_at": days_ago_at(20, 10, 30).strftime("%Y-%m-%dT%H:%M"),  # its follow-up (14 days) is overdue
            "method": "home_visit", "result": "passed", "note": ""}
    for n, item in enumerate(checklist):
        form[f"item-{n}-text"] = item
        form[f"item-{n}-passed"] = "on"
        form[f"item-{n}-note"] = ""
    form.update(extra)
    return form


def test_recording_a_training_with_the_checklist_over_http(client, session, factory, orgs):
    helpdesk = login(client, factory.user(Role.HELPDESK))
    citizen = factory.citizen()
    course = refer(client, session, helpdesk, citizen)
    page = client.get(f"/training/course/{course.id}/new").get_data(as_text=True)
    assert "Tager en måling" in page

    partial = training_form(course, session, trainer_id=helpdesk.id, **{"item-1-passed": ""})
    refused = client.post(f"/training/course/{course.id}/new", data=partial)
    assert refused.status_code == 400 and "every checklist item" in refused.get_data(as_text=True)
    assert 'name="item-0-passed" id="item-0-passed" checked' in refused.get_data(as_text=True)  # kept as typed

    saved = client.post(f"/training/course/{course.id}/new", data=training_form(
        course, session, trainer_id=helpdesk.id, result="partly", **{"item-1-passed": "", "item-1-note": "<b>x"}))
    assert saved.status_code == 302
    session.rollback()
    record = session.scalar(select(TrainingRecord).where(TrainingRecord.course_id == course.id))
    assert record.held_at == days_ago_at(20, 10, 30)
    assert record.held_at.utcoffset() == dt.timedelta(0) and record.held_at.hour in (8, 9)  # 10:30 in Copenhagen
    course_page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "&lt;b&gt;x" in course_page and "<b>x" not in course_page
    assert "Follow-up conversation due" in course_page

    login(client, factory.user(Role.COORDINATOR))
    worklist = client.get("/training/follow-ups").get_data(as_text=True)
    assert citizen.full_name in worklist


def test_staff_training_and_the_competence_matrix(client, session, factory):
    coordinator = login(client, factory.user(Role.COORDINATOR))
    technician = factory.user(Role.TECHNICIAN)
    copd = session.scalar(select(Programme).where(Programme.code == "COPD"))
    assert "Oplader udstyret" in client.get(f"/training/staff/new?programme_id={copd.id}").get_data(as_text=True)
    form = {"programme_id": copd.id, "trainee": str(technician.id), "trainer_id": coordinator.id,
            "held_at": days_ago_at(1, 9).strftime("%Y-%m-%dT%H:%M"), "method": "group", "result": "passed", "note": ""}
    form.update({f"item-{n}-passed": "on" for n in range(len(copd.checklist))})
    form.update({f"item-{n}-text": item for n, item in enumerate(copd.checklist)})
    assert client.post("/training/staff/new", data=form).status_code == 302
    matrix = client.get("/training/competence?role=technician").get_data(as_text=True)
    row = re.search(rf"<tr><td>{technician.full_name}</td>.*?</tr>", matrix, re.S).group(0)
    assert "table-success" in row


def test_the_timeline_page_reads_a_constant_number_of_statements(client, app, session, factory):
    world = World(session, factory)
    login(client, factory.user(Role.HELPDESK))
    short, long = world.home(), world.home()
    device = world.device(DeviceCategory.TABLET)
    world.scan("load", device.tag, world.van)
    world.scan("handover", device.tag, short, actor=world.technician)
    for _ in range(30):  # a long history: the same tablet in and out of the home 30 times
        other = world.device(DeviceCategory.SCALE)
        world.scan("load", other.tag, world.van)
        world.scan("handover", other.tag, long, actor=world.technician)
        world.scan("collect", other.tag, world.van, actor=world.technician)

    def count(url):
        statements = []
        engine = app.extensions["database"].engine
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    short_count, _ = count(f"/citizens/{short.citizen_id}/timeline")
    long_count, first = count(f"/citizens/{long.citizen_id}/timeline")
    assert short_count == long_count
    older = re.search(r'id="older" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    older_count, second = count(older)
    assert older_count == long_count and "collected from the home" in second
    filtered_count, filtered = count(f"/citizens/{long.citizen_id}/timeline?c=course")
    assert "collected" not in filtered and filtered_count <= long_count


def test_the_timeline_pdf_is_a_real_pdf_with_the_events(client, session, factory, orgs):
    helpdesk = login(client, factory.user(Role.HELPDESK))
    citizen = factory.citizen(first_name="Åse", last_name="Ærøskøbing")
    course = refer(client, session, helpdesk, citizen)
    client.post(f"/courses/{course.id}/pause", data={"reason": "away"})
    response = client.get(f"/citizens/{citizen.id}/timeline.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = pdfium.PdfDocument(io.BytesIO(response.data))
    text = "".join(page.get_textpage().get_text_range() for page in pdf)
    assert "Åse Ærøskøbing" in text and "Referred to" in text and "paused: away from home" in text
    assert "XXXX" in text  # the CPR is masked on paper


def test_programmes_are_edited_by_coordinators_and_the_inclusion_rate_is_reported(client, session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    citizen = factory.citizen(actor=nurse, responsible_organisation_id=orgs["gp"].id)
    course = refer(client, session, nurse, citizen)
    client.post(f"/courses/{course.id}/end", data={"reason": "excluded", "exclusion_reason": "no_coverage"})
    login(client, factory.user(Role.HELPDESK))
    assert client.get("/courses/programmes").status_code == 403
    assert client.get("/courses/inclusion").status_code == 403

    login(client, factory.user(Role.COORDINATOR))
    report = client.get("/courses/inclusion").get_data(as_text=True)
    pattern = rf"<tr><td>{re.escape(course.programme.name)}</td><td>{re.escape(orgs['aarhus'].name)}</td>(.*?)</tr>"
    row = re.search(pattern, report, re.S).group(1)
    assert re.findall(r'<td class="text-end[^"]*">([^<]+)</td>', row) == ["1", "1", "0.0 %"]
    assert "text-danger" in row  # below the 95 % target
    copd = session.scalar(select(Programme).where(Programme.code == "COPD"))
    form = {"code": "COPD", "name": copd.name, "follow_up_days": "400", "competence_months": "24",
            "checklist": "Tager en måling\nOplader udstyret"}
    assert client.post(f"/courses/programmes/{copd.id}", data=form).status_code == 400
    form["follow_up_days"] = "10"
    assert client.post(f"/courses/programmes/{copd.id}", data=form).status_code == 302
    session.rollback()
    changed = session.get(Programme, copd.id)
    assert (changed.follow_up_days, changed.checklist) == (10, ["Tager en måling", "Oplader udstyret"])


def test_enter_in_the_decline_reason_can_only_decline(client, session, factory, orgs):
    gp_nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    citizen = factory.citizen(actor=gp_nurse, responsible_organisation_id=orgs["gp"].id)
    course = refer(client, session, gp_nurse, citizen)
    client.post(f"/courses/{course.id}/handover", data={"to_organisation_id": orgs["aarhus"].id})
    login(client, factory.user(Role.NURSE, organisation=orgs["aarhus"]))
    for page in (client.get(f"/courses/{course.id}"), client.get("/courses/handovers")):
        forms = re.findall(r"<form[^>]*/answer\"[^>]*>(.*?)</form>", page.get_data(as_text=True), re.S)
        with_reason = [f for f in forms if 'name="reason"' in f]
        assert with_reason and all('value="accept"' not in f for f in with_reason)
    session.rollback()
    handover = session.scalar(select(Handover).where(Handover.course_id == course.id))
    assert client.post(f"/courses/handovers/{handover.id}/answer", data={"reason": "x"}).status_code == 400
    assert client.post(f"/courses/handovers/{handover.id}/answer", data={"answer": "maybe"}).status_code == 400
    session.rollback()
    assert session.get(Handover, handover.id).status == HandoverStatus.OFFERED


def test_a_nurse_ends_only_a_course_her_organisation_leads(client, session, factory, orgs):
    gp_nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    citizen = factory.citizen(actor=gp_nurse, responsible_organisation_id=orgs["gp"].id)
    course = refer(client, session, gp_nurse, citizen)
    client.post(f"/courses/{course.id}/handover", data={"to_organisation_id": orgs["aarhus"].id})
    login(client, factory.user(Role.NURSE, organisation=orgs["aarhus"]))  # sees the citizen: offered the lead
    refused = client.post(f"/courses/{course.id}/end", data={"reason": "completed"})
    assert refused.status_code == 403 and "lead organisation" in refused.get_data(as_text=True)
    session.rollback()
    assert session.get(Course, course.id).status == CourseStatus.REFERRED
    login(client, gp_nurse)
    assert client.post(f"/courses/{course.id}/end", data={"reason": "completed"}).status_code == 302


def test_the_same_training_form_submitted_twice_saves_once(client, session, factory):
    helpdesk = login(client, factory.user(Role.HELPDESK))
    course = refer(client, session, helpdesk, factory.citizen())
    page = client.get(f"/training/course/{course.id}/new").get_data(as_text=True)
    token = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = training_form(course, session, trainer_id=helpdesk.id, idempotency_key=token)
    assert client.post(f"/training/course/{course.id}/new", data=form).status_code == 302
    assert client.post(f"/training/course/{course.id}/new", data=form).status_code == 302
    session.rollback()
    assert session.scalar(select(func.count()).select_from(TrainingRecord)
                          .where(TrainingRecord.course_id == course.id)) == 1


def test_a_checklist_changed_while_the_form_was_open_is_refused(client, session, factory):
    helpdesk = login(client, factory.user(Role.HELPDESK))
    course = refer(client, session, helpdesk, factory.citizen())
    form = training_form(course, session, trainer_id=helpdesk.id)
    form["item-1-text"] = "Oplader udstyret (gammel tekst)"
    refused = client.post(f"/training/course/{course.id}/new", data=form)
    assert refused.status_code == 400 and "checklist changed" in refused.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(TrainingRecord)
                          .where(TrainingRecord.course_id == course.id)) == 0


def test_an_unchanged_time_means_now_and_a_typed_time_is_kept(client, session, factory):
    helpdesk = login(client, factory.user(Role.HELPDESK))
    course = refer(client, session, helpdesk, factory.citizen())
    shown = days_ago_at(1, 10, 30).strftime("%Y-%m-%dT%H:%M")  # the form's default, sent back untouched
    form = training_form(course, session, trainer_id=helpdesk.id, held_at=shown, held_at_default=shown)
    assert client.post(f"/training/course/{course.id}/new", data=form).status_code == 302
    session.rollback()
    record = session.scalar(select(TrainingRecord).where(TrainingRecord.course_id == course.id))
    assert record.held_at > session.get(Course, course.id).referred_at  # "now", after the referral


@pytest.mark.parametrize("cursor", ["20260101T000000.000000~course~99999999999999999999999",
                                    "20260101T000000.000000~course~-1", "99991301T000000.000000~course~1"])
def test_a_crafted_cursor_shows_the_first_page(client, session, factory, cursor):
    helpdesk = login(client, factory.user(Role.HELPDESK))
    course = refer(client, session, helpdesk, factory.citizen())
    for suffix in ("timeline", "timeline.pdf"):
        assert client.get(f"/citizens/{course.citizen_id}/{suffix}?before={cursor}").status_code == 200
