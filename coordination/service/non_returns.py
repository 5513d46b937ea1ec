"""Devices that do not come back: after a course ends (past its grace days) or a pickup fails with devices still in
the home, a case moves through stages, each taken by the job on a working day: a reminder to the citizen (an SMS
through the outbox; a call for the helpdesk, as a ticket, when she has no mobile number), a second reminder,
escalation to the coordinator, a proposed write-off. A coordinator approves the write-off (not the one who proposed
it) and the devices still out become lost in the ledger; or she rejects it and the case waits another round.

The case closes as returned the moment the ledger says every device is back (the course's derived state goes from
ending to ended, in the scan's transaction: a status listener); `verify` proves open cases and the ledger agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from coordination.models import (
    OPEN_STAGES,
    NonReturnCase,
    NonReturnDevice,
    NonReturnEvent,
    NonReturnEventKind,
    NonReturnStage,
    NonReturnTrigger,
)
from dispatch.models import Visit, VisitKind, VisitStatus
from inventory.models import Custody, Holder, HolderKind
from inventory.service.homes import HomeDevice, devices_in_home
from inventory.service.operations import OPERATIONS, Context, apply, lock_device
from servicecenter.audit.service import record_event
from servicecenter.citizens.access import sees
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import relative_to_contact
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import get_or_raise, local_date, lock_row
from servicecenter.errors import N_, Conflict, DomainError, NotFound
from servicecenter.outbox import service as outbox
from servicecenter.outbox.models import MessageChannel
from servicecenter.outbox.texts import translate
from servicecenter.workdays import add_working_days
from support.models import Category, Priority
from support.service.tickets import TicketData, create_ticket

St = NonReturnStage
E = NonReturnEventKind
MAX_NOTE = 1000
PER_RUN = 500  # cases opened or advanced per run; the next run takes the rest


@dataclass(frozen=True)
class Stages:
    """Working days between the stages (config NON_RETURN_WORKING_DAYS)."""

    first_reminder: int = 5  # after the course ended with devices in the home (a failed pickup: at once)
    second_reminder: int = 5  # after the first reminder
    escalate: int = 5  # after the second reminder
    propose_write_off: int = 10  # after the escalation (and again after a rejected write-off)
    found_wait: int = 5  # after the devices are reported found: the pickup is booked before the stages go on

    @classmethod
    def from_config(cls, config: dict) -> Stages:
        return cls(**config.get("NON_RETURN_WORKING_DAYS", {}))


NEXT = {  # stage -> (the job's next step: event kind, stage after it, working days until the step after)
    St.REMINDED: (E.REMINDER, St.REMINDED_AGAIN, "escalate"),
    St.REMINDED_AGAIN: (E.ESCALATED, St.ESCALATED, "propose_write_off"),
    St.ESCALATED: (E.WRITE_OFF_PROPOSED, St.WRITE_OFF_PROPOSED, None),
}


# --- the job -------------------------------------------------------------------------------------------------


def run(session: Session, *, now: dt.datetime, config: dict) -> dict[str, int]:
    """Open the cases that are due and take each open case's next step that is due. Nothing on a day off (no
    reminder goes out on a Sunday); idempotent: a second run the same day finds nothing due."""
    today = local_date(now)
    if add_working_days(today, 0) != today:
        return {"opened": 0, "advanced": 0, "returned": 0}
    stages = Stages.from_config(config)
    counts = {"opened": 0, "advanced": 0, "returned": 0}
    for course, trigger in _due_to_open(session, today, stages):
        if open_case(session, course, trigger, now=now, stages=stages, config=config) is not None:
            counts["opened"] += 1
    for case in session.scalars(select(NonReturnCase).where(NonReturnCase.stage.in_(list(NEXT)),
                                                            NonReturnCase.next_step_on <= today)
                                .order_by(NonReturnCase.id).limit(PER_RUN)):
        lock_row(session, case)
        if case.stage not in NEXT or case.next_step_on is None or case.next_step_on > today:
            continue  # someone took it in the meantime
        if not devices_in_home(session, case.course_id):
            close_returned(session, case, now=now)
            counts["returned"] += 1
        else:
            advance(session, case, now=now, stages=stages, config=config)
            counts["advanced"] += 1
    return counts


def _failed_pickup():
    return exists().where(Visit.course_id == Course.id, Visit.kind == VisitKind.PICKUP,
                          Visit.status.in_([VisitStatus.FAILED, VisitStatus.REQUEUED]),
                          Visit.finished_at >= Course.ended_at)


def _due_to_open(session: Session, today: dt.date, stages: Stages) -> list[tuple[Course, NonReturnTrigger]]:
    """Ending courses (ended by a person, devices still in the home) without a case whose pickup failed, or that
    ended at least `first_reminder` working days ago."""
    failed = _failed_pickup()
    rows = session.execute(
        select(Course, failed.label("failed")).where(
            Course.status == CourseStatus.ENDING, Course.ended_at.is_not(None),
            ~exists().where(NonReturnCase.course_id == Course.id))
        .order_by(Course.ended_at, Course.id).limit(PER_RUN)).all()
    due = []
    for course, pickup_failed in rows:
        if pickup_failed:
            due.append((course, NonReturnTrigger.PICKUP_FAILED))
        elif add_working_days(local_date(course.ended_at), stages.first_reminder) <= today:
            due.append((course, NonReturnTrigger.COURSE_ENDED))
    return due


def open_case(session: Session, course: Course, trigger: NonReturnTrigger, *, now: dt.datetime, stages: Stages,
              config: dict) -> NonReturnCase | None:
    """The case with its first reminder; None when the home has no device of the course any more."""
    out = devices_in_home(session, course.id)
    if not out:
        return None
    case = NonReturnCase(course_id=course.id, citizen_id=course.citizen_id, trigger=trigger, stage=St.REMINDED,
                         opened_at=now, stage_since=now,
                         next_step_on=add_working_days(local_date(now), stages.second_reminder))
    session.add(case)
    session.flush()
    session.add_all(NonReturnDevice(case_id=case.id, device_id=d.id) for d in out)
    _event(session, case, E.OPENED, now=now, devices=out, note=trigger.value)
    _remind(session, case, out, now=now, config=config, second=False)
    record_event(session, actor=None, action="non_return.open", entity_type="non_return_case", entity_id=case.id,
                 now=now, citizen_id=case.citizen_id, detail={"trigger": trigger.value, "devices": len(out)})
    return case


def advance(session: Session, case: NonReturnCase, *, now: dt.datetime, stages: Stages, config: dict) -> None:
    """The job's next step of a (locked) case."""
    kind, stage, wait = NEXT[case.stage]
    out = devices_in_home(session, case.course_id)
    before = case.stage
    case.stage, case.stage_since = stage, now
    case.next_step_on = add_working_days(local_date(now), getattr(stages, wait)) if wait else None
    if kind == E.REMINDER:
        _remind(session, case, out, now=now, config=config, second=True)
    else:
        _event(session, case, kind, now=now, devices=out)
    session.flush()
    record_event(session, actor=None, action=f"non_return.{stage.value}", entity_type="non_return_case",
                 entity_id=case.id, now=now, citizen_id=case.citizen_id, detail={"from": before.value})


def _remind(session: Session, case: NonReturnCase, out: list[HomeDevice], *, now: dt.datetime, config: dict,
            second: bool) -> None:
    """An SMS through the outbox to the citizen's mobile, or without one to the relative she allows us to contact;
    with neither (or when she has died: a person calls the relatives then, no text), a ticket asking the helpdesk to
    call. The outbox key makes a repeated run send nothing more."""
    citizen = session.get(Citizen, case.citizen_id)
    relative = None if citizen.mobile else relative_to_contact(citizen)
    recipient = citizen.mobile or (relative.phone if relative else None)
    tags = ", ".join(d.tag for d in out)
    phone = config.get("SERVICE_CENTER_PHONE", "")
    which = "second" if second else "first"
    if recipient and not case.course.is_sensitive:
        text = REMINDERS[(relative is not None, second)]
        message = outbox.enqueue(
            session, key=f"non_return:{case.id}:{which}", purpose="non_return.reminder",
            channel=MessageChannel.SMS, recipient=recipient, now=now,
            body=translate(citizen.language, text, devices=tags, phone=phone))
        _event(session, case, E.REMINDER, now=now, devices=out, outbox_message_id=message.id,
               note=f"{which}, relative" if relative is not None else which)
        return
    ticket = create_ticket(session, TicketData(
        subject=translate("da", N_("Call: equipment not returned (%(devices)s)"), devices=tags)[:200],
        category=Category.LOGISTICS, priority=Priority.P3, citizen_id=case.citizen_id,
        body=translate("da", N_("The course has ended and the equipment is still in the home. No SMS reminder can "
                                "go to the citizen (no mobile number, or the course ended because she died): call "
                                "her or her relative and agree on a pickup.")),
    ), actor=None, now=now)
    _event(session, case, E.CALL_TASK, now=now, devices=out, ticket_id=ticket.id, note=which)


REMINDERS = {  # (to a relative, second) -> the text, in the citizen's language (the relative's is not known)
    (False, False): N_("Fælles Servicecenter: we still miss the telemedicine equipment from your course "
                       "(%(devices)s). Please call us on %(phone)s so we can agree on a pickup."),
    (False, True): N_("Fælles Servicecenter, second reminder: the telemedicine equipment from your course "
                      "(%(devices)s) has not come back. Please call us on %(phone)s today."),
    (True, False): N_("Fælles Servicecenter: you are the contact person of a citizen whose telemedicine course has "
                      "ended. We still miss the equipment (%(devices)s). Please call us on %(phone)s so we can agree "
                      "on a pickup."),
    (True, True): N_("Fælles Servicecenter, second reminder: the telemedicine equipment (%(devices)s) of the citizen "
                     "you are the contact person of has not come back. Please call us on %(phone)s today."),
}


def _event(session: Session, case: NonReturnCase, kind: NonReturnEventKind, *, now: dt.datetime,
           devices: list[HomeDevice] | None = None, actor=None, note: str | None = None, **links) -> None:
    session.add(NonReturnEvent(case_id=case.id, citizen_id=case.citizen_id, kind=kind, at=now, stage=case.stage,
                               actor_id=getattr(actor, "id", None), note=note,
                               devices=", ".join(d.tag for d in devices or [])[:500], **links))


# --- the ledger closes a case ----------------------------------------------------------------------------------


def _reminder_keys(case: NonReturnCase) -> list[str]:
    return [f"non_return:{case.id}:first", f"non_return:{case.id}:second"]


def close_returned(session: Session, case: NonReturnCase, *, now: dt.datetime, actor=None) -> None:
    """Every device is back: the case closes, and a reminder not yet sent is withdrawn (no SMS asking for equipment
    that came back an hour ago)."""
    case.stage, case.stage_since, case.next_step_on, case.closed_at = St.RETURNED, now, None, now
    outbox.withdraw(session, _reminder_keys(case))
    _event(session, case, E.RETURNED, now=now, actor=actor)
    record_event(session, actor=actor, action="non_return.returned", entity_type="non_return_case",
                 entity_id=case.id, now=now, citizen_id=case.citizen_id)


def on_course_status(session: Session, course: Course, from_status: CourseStatus, *, actor, now: dt.datetime
                     ) -> None:
    """The course's derived state changed: when it went from ending to ended (every device back), its open case
    closes as returned, in the same transaction as the scan that brought the last device back."""
    if from_status != CourseStatus.ENDING or course.status != CourseStatus.ENDED:
        return
    case = session.scalar(select(NonReturnCase).where(NonReturnCase.course_id == course.id,
                                                      NonReturnCase.stage.in_(OPEN_STAGES)))
    if case is not None:
        close_returned(session, case, now=now, actor=actor)


# --- the coordinator's decisions -----------------------------------------------------------------------------------


def _check(session: Session, case: NonReturnCase, expected_version: int, *stages: NonReturnStage) -> None:
    lock_row(session, case)
    if case.version != expected_version:
        raise Conflict(N_("Someone else changed this case in the meantime. Look at it again and decide."))
    if case.stage not in stages:
        raise Conflict(N_("This case is no longer at a stage where that can be done."))


def _note(note: str, *, required: bool) -> str | None:
    note = (note or "").strip()
    if required and not note:
        raise DomainError(N_("Write the reason."), field="note")
    if len(note) > MAX_NOTE:
        raise DomainError(N_("At most %(max)s characters."), field="note", max=MAX_NOTE)
    return note or None


def propose_write_off(session: Session, case: NonReturnCase, *, actor, now: dt.datetime, note: str,
                      expected_version: int) -> None:
    """A coordinator proposes the write-off before the job would (e.g. the citizen says the devices are gone)."""
    _check(session, case, expected_version, St.REMINDED, St.REMINDED_AGAIN, St.ESCALATED)
    text = _note(note, required=True)
    case.stage, case.stage_since, case.next_step_on, case.proposed_by_id = St.WRITE_OFF_PROPOSED, now, None, actor.id
    _event(session, case, E.WRITE_OFF_PROPOSED, now=now, actor=actor, note=text,
           devices=devices_in_home(session, case.course_id))
    record_event(session, actor=actor, action="non_return.write_off_proposed", entity_type="non_return_case",
                 entity_id=case.id, now=now, citizen_id=case.citizen_id)


def escalate_now(session: Session, case: NonReturnCase, *, actor, now: dt.datetime, note: str,
                 expected_version: int, stages: Stages) -> None:
    """To the coordinator before the job would (the helpdesk cannot reach the citizen, a relative refuses): the
    reminders left are skipped; the job proposes the write-off after the usual wait."""
    _check(session, case, expected_version, St.REMINDED, St.REMINDED_AGAIN)
    text = _note(note, required=False)
    before = case.stage
    case.stage, case.stage_since = St.ESCALATED, now
    case.next_step_on = add_working_days(local_date(now), stages.propose_write_off)
    _event(session, case, E.ESCALATED, now=now, actor=actor, note=text,
           devices=devices_in_home(session, case.course_id))
    record_event(session, actor=actor, action="non_return.escalated", entity_type="non_return_case",
                 entity_id=case.id, now=now, citizen_id=case.citizen_id, detail={"from": before.value})


def mark_found(session: Session, case: NonReturnCase, *, actor, now: dt.datetime, note: str, expected_version: int,
               stages: Stages) -> None:
    """The citizen or a relative says the devices are found: the stages wait `found_wait` working days while a
    pickup is booked (a proposed write-off is withdrawn: the case goes back to the coordinator). The case stays open:
    only the ledger (the devices scanned back in) closes it as returned."""
    _check(session, case, expected_version, *OPEN_STAGES)
    text = _note(note, required=True)
    before = case.stage
    if case.stage == St.WRITE_OFF_PROPOSED:
        case.stage, case.stage_since, case.proposed_by_id = St.ESCALATED, now, None
    wait = add_working_days(local_date(now), stages.found_wait)
    case.next_step_on = max(wait, case.next_step_on) if case.next_step_on else wait  # never sooner than planned
    _event(session, case, E.FOUND, now=now, actor=actor, note=text, devices=devices_in_home(session, case.course_id))
    record_event(session, actor=actor, action="non_return.found", entity_type="non_return_case", entity_id=case.id,
                 now=now, citizen_id=case.citizen_id, detail={"from": before.value})


def reject_write_off(session: Session, case: NonReturnCase, *, actor, now: dt.datetime, note: str,
                     expected_version: int, stages: Stages) -> None:
    """Not yet: the case goes back to the coordinator's list and the job proposes again after another round."""
    _check(session, case, expected_version, St.WRITE_OFF_PROPOSED)
    text = _note(note, required=True)
    case.stage, case.stage_since, case.proposed_by_id = St.ESCALATED, now, None
    case.next_step_on = add_working_days(local_date(now), stages.propose_write_off)
    _event(session, case, E.WRITE_OFF_REJECTED, now=now, actor=actor, note=text)
    record_event(session, actor=actor, action="non_return.write_off_rejected", entity_type="non_return_case",
                 entity_id=case.id, now=now, citizen_id=case.citizen_id)


def approve_write_off(session: Session, case: NonReturnCase, *, actor, now: dt.datetime, note: str,
                      expected_version: int) -> list[str]:
    """The devices still in the home become lost in the ledger (the inventory's own "lose" operation, so the ledger,
    the custody and the course's state move together); a second person approves what the first proposed. Returns
    the tags written off."""
    _check(session, case, expected_version, St.WRITE_OFF_PROPOSED)
    if case.proposed_by_id is not None and case.proposed_by_id == actor.id:
        raise Conflict(N_("Another coordinator approves the write-off you proposed."))
    text = _note(note, required=False)
    out = devices_in_home(session, case.course_id)
    case.stage, case.stage_since, case.next_step_on, case.closed_at = St.WRITTEN_OFF, now, None, now
    _event(session, case, E.WRITTEN_OFF, now=now, actor=actor, note=text, devices=out)
    outbox.withdraw(session, _reminder_keys(case))
    session.flush()  # closed before the ledger moves, so the course's "every device back" does not close it again
    reason = f"Not returned: written off (case {case.id})" + (f": {text}" if text else "")
    for item in out:
        device = lock_device(session, item.tag)
        apply(session, OPERATIONS["lose"], device, Context(actor=actor, now=now, note=reason[:500]))
    record_event(session, actor=actor, action="non_return.written_off", entity_type="non_return_case",
                 entity_id=case.id, now=now, citizen_id=case.citizen_id, detail={"devices": len(out)})
    return [d.tag for d in out]


# --- reading ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    case: NonReturnCase
    citizen_name: str
    devices_out: int
    days_overdue: int  # calendar days since the course ended (since the devices should have come back)


def list_cases(session: Session, *, actor, now: dt.datetime, stage: str | None, page: int, per_page: int,
               trigger: str | None = None) -> tuple[list[CaseRow], bool, int]:
    """Open cases (or those of one stage, closed ones too; of one trigger), the oldest step first, of the citizens she
    may see; and how many open cases there are in all."""
    allowed = sees(session, actor, now, NonReturnCase.citizen_id, of_a_course=True)
    stmt = select(NonReturnCase, Citizen.first_name, Citizen.last_name).join(
        Citizen, Citizen.id == NonReturnCase.citizen_id).where(allowed)
    if stage in {s.value for s in St}:
        stmt = stmt.where(NonReturnCase.stage == stage)
    else:
        stmt = stmt.where(NonReturnCase.stage.in_(OPEN_STAGES))
    if trigger in {t.value for t in NonReturnTrigger}:
        stmt = stmt.where(NonReturnCase.trigger == trigger)
    rows = session.execute(stmt.order_by(NonReturnCase.next_step_on.is_(None).desc(),
                                         NonReturnCase.next_step_on, NonReturnCase.id)
                           .offset((page - 1) * per_page).limit(per_page + 1)).all()
    out = devices_out(session, [case.course_id for case, _first, _last in rows[:per_page]])
    today = local_date(now)
    result = [CaseRow(case, f"{first} {last}", out.get(case.course_id, 0), days_overdue(case, today))
              for case, first, last in rows[:per_page]]
    total = session.scalar(select(func.count()).select_from(NonReturnCase)
                           .where(NonReturnCase.stage.in_(OPEN_STAGES), allowed))
    return result, len(rows) > per_page, total


def days_overdue(case: NonReturnCase, today: dt.date) -> int:
    """Days since the course ended (the course is loaded with the case: no statement per row)."""
    ended = case.course.ended_at or case.opened_at
    return max((today - local_date(ended)).days, 0)


def devices_out(session: Session, course_ids: list[int]) -> dict[int, int]:
    """Course id -> devices the ledger places in its home now (one grouped statement)."""
    return dict(session.execute(
        select(Holder.course_id, func.count()).join(Custody, Custody.holder_id == Holder.id)
        .where(Holder.course_id.in_(course_ids), Holder.kind == HolderKind.COURSE, Custody.ended_at.is_(None))
        .group_by(Holder.course_id)).all())


def get_case(session: Session, case_id: int, *, actor, now: dt.datetime) -> NonReturnCase:
    """A case of a citizen she may see; anything else is "no such case" (a 404)."""
    case = get_or_raise(session, NonReturnCase, case_id, N_("No such case."))
    allowed = sees(session, actor, now, NonReturnCase.citizen_id, of_a_course=True)
    if session.scalar(select(NonReturnCase.id).where(NonReturnCase.id == case.id, allowed)) is None:
        raise NotFound(N_("No such case."))
    return case


def history(session: Session, case_id: int) -> list[NonReturnEvent]:
    return list(session.scalars(select(NonReturnEvent).where(NonReturnEvent.case_id == case_id)
                                .order_by(NonReturnEvent.id)))  # appended in the order it happened


def device_history(session: Session, device_id: int) -> list[NonReturnEvent]:
    """The events of the cases this device was part of (the device's page)."""
    return list(session.scalars(
        select(NonReturnEvent).join(NonReturnDevice, and_(NonReturnDevice.case_id == NonReturnEvent.case_id,
                                                          NonReturnDevice.device_id == device_id))
        .order_by(NonReturnEvent.id)))


# --- verify ------------------------------------------------------------------------------------------------------


def disagreements(session: Session) -> list[str]:
    """Open cases whose course has no device in the home (the ledger says they came back), and closed-as-returned
    cases whose course still has devices there: empty when the cases agree with the ledger."""
    cases = list(session.scalars(select(NonReturnCase).where(NonReturnCase.stage.in_([*OPEN_STAGES, St.RETURNED]))))
    out = devices_out(session, [case.course_id for case in cases])
    problems = [f"non-return case {case.id}: open ({case.stage.value}) but no device of course {case.course_id} is "
                f"in the home" for case in cases if case.stage in OPEN_STAGES and not out.get(case.course_id)]
    problems += [f"non-return case {case.id}: closed as returned but {out[case.course_id]} devices of course "
                 f"{case.course_id} are still in the home" for case in cases
                 if case.stage == St.RETURNED and out.get(case.course_id)]
    return problems
