"""Training records of citizens, relatives and staff; follow-up conversations; the staff competence matrix."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload

from servicecenter.audit.service import record_event
from servicecenter.auth.models import Role, User, UserStatus
from servicecenter.citizens.models import ContactPerson
from servicecenter.courses.models import Course, Programme
from servicecenter.db import get_or_raise, local_date, lock_row
from servicecenter.errors import N_, DomainError
from servicecenter.training.models import (
    StaffCompetence,
    TraineeKind,
    TrainingMethod,
    TrainingRecord,
    TrainingResult,
)

TRAINABLE_STAFF = (Role.NURSE, Role.TECHNICIAN, Role.HELPDESK)
METHOD_LABELS = {TrainingMethod.HOME_VISIT: N_("home visit"), TrainingMethod.PHONE: N_("phone"),
                 TrainingMethod.VIDEO: N_("video"), TrainingMethod.GROUP: N_("group")}
RESULT_LABELS = {TrainingResult.PASSED: N_("passed: manages on their own"),
                 TrainingResult.PARTLY: N_("partly: needs more training"),
                 TrainingResult.NOT_PASSED: N_("not passed")}
EXPIRES_SOON_DAYS = 30


@dataclass(frozen=True)
class ChecklistAnswer:
    item: str
    passed: bool
    note: str = ""


@dataclass
class TrainingData:
    trainee_kind: TraineeKind
    trainer_id: int
    held_at: dt.datetime
    method: TrainingMethod
    result: TrainingResult
    answers: list[ChecklistAnswer]
    course_id: int | None = None  # citizen and relative
    contact_id: int | None = None  # relative
    staff_user_id: int | None = None  # staff
    programme_id: int | None = None  # staff (a citizen's comes from the course)
    note: str = ""
    device_models: list[dict] = field(default_factory=list)  # [{"id", "name"}]: what the ledger says is at home


def get_record(session: Session, record_id: int) -> TrainingRecord:
    return get_or_raise(session, TrainingRecord, record_id, N_("No such training record."))


def _trainee(session: Session, data: TrainingData) -> tuple[Course | None, int, str | None]:
    """(course, programme id, trainee name) for the kind of trainee, or a DomainError naming the field."""
    if data.trainee_kind == TraineeKind.STAFF:
        user = session.get(User, data.staff_user_id or 0)
        if user is None or user.role not in TRAINABLE_STAFF or user.status != UserStatus.ACTIVE:
            raise DomainError(N_("Choose the staff member who was trained."), field="staff_user_id")
        if session.get(Programme, data.programme_id or 0) is None:
            raise DomainError(N_("Choose a programme."), field="programme_id")
        return None, data.programme_id, user.full_name
    course = get_or_raise(session, Course, data.course_id or 0, N_("No such course."))
    if course.end_reason is not None:
        raise DomainError(N_("The course has ended."))
    if data.trainee_kind == TraineeKind.CITIZEN:
        return course, course.programme_id, None
    contact = session.get(ContactPerson, data.contact_id or 0)
    if contact is None or contact.citizen_id != course.citizen_id:
        raise DomainError(N_("Choose the relative who was trained."), field="contact_id")
    return course, course.programme_id, contact.name


def _check_answers(programme: Programme, data: TrainingData) -> list[dict]:
    """Every item of the programme's checklist answered, no other; a 'passed' result needs every item passed."""
    items = list(programme.checklist or [])
    if [a.item for a in data.answers] != items:  # the form showed another checklist than the programme's now
        raise DomainError(N_("The checklist changed while the form was open; check the items again."),
                          field="answers")
    answered = {a.item: a for a in data.answers}
    if data.result == TrainingResult.PASSED and not all(a.passed for a in data.answers):
        raise DomainError(N_("A training is passed only when every checklist item is passed."), field="result")
    if any(len(a.note) > 500 for a in data.answers):
        raise DomainError(N_("A note can be at most %(max)s characters."), field="answers", max=500)
    return [{"item": item, "passed": answered[item].passed, "note": answered[item].note.strip()} for item in items]


def record_training(session: Session, data: TrainingData, *, actor, now: dt.datetime) -> TrainingRecord:
    """Record one training. A citizen's or relative's gets a follow-up conversation due after the programme's
    delay; a passed staff training sets the staff member's competence on the programme until it expires.
    (The same form submitted twice saves once: the view creates through servicecenter.idempotency.)"""
    if data.held_at > now + dt.timedelta(minutes=5):
        raise DomainError(N_("A training cannot be recorded before it is held."), field="held_at")
    trainer = session.get(User, data.trainer_id)
    if trainer is None or trainer.status != UserStatus.ACTIVE:
        raise DomainError(N_("Choose the trainer."), field="trainer_id")
    course, programme_id, name = _trainee(session, data)
    programme = session.get(Programme, programme_id)
    checklist = _check_answers(programme, data)
    staff = data.trainee_kind == TraineeKind.STAFF
    record = TrainingRecord(
        trainee_kind=data.trainee_kind, citizen_id=course and course.citizen_id, course_id=course and course.id,
        contact_id=data.contact_id if data.trainee_kind == TraineeKind.RELATIVE else None,
        staff_user_id=data.staff_user_id if staff else None, trainee_name=name, programme_id=programme_id,
        trainer_id=trainer.id, held_at=data.held_at, method=data.method, checklist=checklist,
        device_models=[] if staff else data.device_models, result=data.result, note=data.note.strip() or None,
        follow_up_due_on=None if staff else local_date(data.held_at) + dt.timedelta(days=programme.follow_up_days),
        recorded_at=now, recorded_by_id=actor.id)
    session.add(record)
    session.flush()
    record_event(session, actor=actor, action="training.record", entity_type="training", entity_id=record.id,
                 citizen_id=record.citizen_id, now=now,
                 detail={"kind": data.trainee_kind.value, "result": data.result.value})
    if staff and data.result == TrainingResult.PASSED:
        _set_competence(session, record, programme)
    return record


def _set_competence(session: Session, record: TrainingRecord, programme: Programme) -> None:
    trained_on = local_date(record.held_at)
    competence = session.scalar(select(StaffCompetence).where(StaffCompetence.user_id == record.staff_user_id,
                                                              StaffCompetence.programme_id == programme.id))
    if competence is None:
        competence = StaffCompetence(user_id=record.staff_user_id, programme_id=programme.id,
                                     trained_on=trained_on, expires_on=trained_on)
        session.add(competence)
    elif competence.trained_on > trained_on:
        return  # an older training recorded late does not shorten a newer one
    competence.trained_on = trained_on
    competence.expires_on = trained_on + relativedelta(months=programme.competence_months)
    competence.training_record_id = record.id


def record_follow_up(session: Session, record: TrainingRecord, *, held_at: dt.datetime, note: str, actor,
                     now: dt.datetime) -> None:
    lock_row(session, record)  # two people recording it at once: the second sees the first
    if record.trainee_kind == TraineeKind.STAFF:
        raise DomainError(N_("A staff training has no follow-up conversation."))
    if record.follow_up_held_at is not None:
        raise DomainError(N_("The follow-up conversation is already recorded."))
    if held_at > now + dt.timedelta(minutes=5) or held_at < record.held_at:
        raise DomainError(N_("The follow-up is held after the training and not in the future."), field="held_at")
    if len(note) > 500:
        raise DomainError(N_("A note can be at most %(max)s characters."), field="note", max=500)
    record.follow_up_held_at, record.follow_up_by_id, record.follow_up_note = held_at, actor.id, note.strip() or None
    record_event(session, actor=actor, action="training.follow_up", entity_type="training", entity_id=record.id,
                 citizen_id=record.citizen_id, now=now)


def list_course_trainings(session: Session, course_id: int) -> list[TrainingRecord]:
    return list(session.scalars(select(TrainingRecord).where(TrainingRecord.course_id == course_id)
                                .order_by(TrainingRecord.held_at.desc(), TrainingRecord.id.desc())))


# --- follow-up conversations ----------------------------------------------------------------------------


def open_follow_up(due_by: dt.date) -> tuple:
    """Conditions on TrainingRecord joined to its Course: a follow-up not held yet, due by `due_by`, of a course
    still running (not-held first: one range of `ix_training_records_follow_up_open`)."""
    return (TrainingRecord.follow_up_held_at.is_(None), TrainingRecord.follow_up_due_on <= due_by,
            Course.end_reason.is_(None))


def _open_follow_ups(due_by: dt.date):
    return (select(TrainingRecord, Course).join(Course, Course.id == TrainingRecord.course_id)
            .options(joinedload(Course.citizen)).where(*open_follow_up(due_by)))


def follow_ups_due(session: Session, *, due_by: dt.date, page: int, per_page: int
                   ) -> tuple[list[tuple[TrainingRecord, Course]], bool]:
    """Follow-up conversations not yet held and due by `due_by`, oldest due first, for courses still running."""
    rows = session.execute(_open_follow_ups(due_by).order_by(TrainingRecord.follow_up_due_on, TrainingRecord.id)
                           .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return list(rows[:per_page]), len(rows) > per_page


def overdue_follow_ups(session: Session, *, today: dt.date) -> list[TrainingRecord]:
    """Follow-ups whose due day has passed, oldest first (the scheduler job lists them, by record, never who)."""
    stmt = _open_follow_ups(today - dt.timedelta(days=1)).order_by(TrainingRecord.follow_up_due_on,
                                                                   TrainingRecord.id)
    return list(session.scalars(stmt))


# --- the staff competence matrix ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    trained_on: dt.date | None
    expires_on: dt.date | None
    state: str  # "valid", "expiring", "expired", "none"


def _state(competence: StaffCompetence | None, today: dt.date) -> Cell:
    if competence is None:
        return Cell(None, None, "none")
    if competence.expires_on < today:
        state = "expired"
    elif competence.expires_on <= today + dt.timedelta(days=EXPIRES_SOON_DAYS):
        state = "expiring"
    else:
        state = "valid"
    return Cell(competence.trained_on, competence.expires_on, state)


def competence_matrix(session: Session, *, today: dt.date, role: Role | None, page: int, per_page: int
                      ) -> tuple[list[Programme], list[tuple[User, list[Cell]]], bool]:
    """Active nurses, technicians and helpdesk staff (one page) × programmes, with each training's state."""
    roles = (role,) if role in TRAINABLE_STAFF else TRAINABLE_STAFF
    users = list(session.scalars(select(User).where(User.role.in_(roles), User.status == UserStatus.ACTIVE)
                                 .order_by(User.full_name, User.id).offset((page - 1) * per_page)
                                 .limit(per_page + 1)))
    has_more, users = len(users) > per_page, users[:per_page]
    programmes = list(session.scalars(select(Programme).order_by(Programme.name)))
    found = {(c.user_id, c.programme_id): c for c in session.scalars(
        select(StaffCompetence).where(StaffCompetence.user_id.in_([u.id for u in users])))}
    rows = [(u, [_state(found.get((u.id, p.id)), today) for p in programmes]) for u in users]
    return programmes, rows, has_more


def competent_user_ids(session: Session, programme_id: int, *, on: dt.date) -> set[int]:
    """Who may be sent to set up or train on this programme on that day (dispatch's technician skills)."""
    return set(session.scalars(select(StaffCompetence.user_id).where(and_(
        StaffCompetence.programme_id == programme_id, StaffCompetence.trained_on <= on,
        StaffCompetence.expires_on >= on))))


def competences_on(session: Session, day: dt.date) -> dict[int, set[str]]:
    """user id -> the codes of the programmes that user is competent on that day (all staff at once)."""
    found: dict[int, set[str]] = {}
    rows = session.execute(
        select(StaffCompetence.user_id, Programme.code).join(Programme, Programme.id == StaffCompetence.programme_id)
        .where(StaffCompetence.trained_on <= day, StaffCompetence.expires_on >= day))
    for user_id, code in rows:
        found.setdefault(user_id, set()).add(code)
    return found
