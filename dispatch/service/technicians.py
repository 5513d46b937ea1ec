"""Technicians: depot, van, weekly shifts, absences and skills (the competence matrix plus extra skills)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch.models import Absence, Shift, Technician, Visit, VisitStatus
from dispatch.service.allocation import depot_skill
from dispatch.service.visits import unassign
from inventory import service as inventory
from inventory.models import HolderKind
from servicecenter.audit.service import record_event
from servicecenter.auth.models import Role, User, UserStatus
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, Conflict, DomainError
from servicecenter.training.service import competences_on

EXTRA_SKILLS = ("spirometry", "interpreter_da_ar", "heavy_lifting")


@dataclass(frozen=True)
class OnDuty:
    technician: Technician
    start: int  # minutes after midnight
    end: int
    skills: frozenset[str]


def get_technician(session: Session, technician_id: int) -> Technician:
    return get_or_raise(session, Technician, technician_id, N_("No such technician."))


def list_technicians(session: Session) -> list[Technician]:
    return list(session.scalars(select(Technician).options(selectinload(Technician.shifts))
                                .join(User, User.id == Technician.user_id).order_by(User.full_name)))


def technician_of_user(session: Session, user_id: int) -> Technician | None:
    return session.scalar(select(Technician).where(Technician.user_id == user_id))


def own_van(session: Session, user_id: int) -> int | None:
    """The van of this user's technician record (inventory preselects it on "load van")."""
    return session.scalar(select(Technician.van_id).where(Technician.user_id == user_id,
                                                          Technician.is_active.is_(True)))


def van_driver(session: Session, van_id: int) -> str | None:
    """The name of the active technician whose van it is (inventory names him with the van)."""
    return session.scalar(select(User.full_name).join(Technician, Technician.user_id == User.id)
                          .where(Technician.van_id == van_id, Technician.is_active.is_(True))
                          .order_by(Technician.id).limit(1))


def save_technician(session: Session, technician: Technician | None, *, user_id: int, depot_id: int,
                    van_id: int | None, skills: list[str], shifts: list[tuple[int, int, int]], actor,
                    now: dt.datetime) -> Technician:
    """Create or change a technician; shifts are (weekday 0=Monday, start minute, end minute)."""
    user = session.get(User, user_id)
    if user is None or user.role != Role.TECHNICIAN or user.status != UserStatus.ACTIVE:
        raise DomainError(N_("Choose an active user with the technician role."), field="user_id")
    other = technician_of_user(session, user_id)
    if other is not None and (technician is None or other.id != technician.id):
        raise Conflict(N_("%(name)s is already set up as a technician."), field="user_id", name=user.full_name)
    if inventory.get_holder(session, depot_id).kind != HolderKind.DEPOT:
        raise DomainError(N_("Choose a depot."), field="depot_id")
    if van_id and inventory.get_holder(session, van_id).kind != HolderKind.VAN:
        raise DomainError(N_("Choose a van."), field="van_id")
    unknown = set(skills) - set(EXTRA_SKILLS)
    if unknown:
        raise DomainError(N_("Unknown skill: %(skill)s."), field="skills", skill=", ".join(sorted(unknown)))
    _check_shifts(shifts)
    technician = technician or Technician(user_id=user_id)
    technician.user_id, technician.depot_id, technician.van_id = user_id, depot_id, van_id or None
    technician.skills = sorted(set(skills))
    if technician.id is not None:  # the old week goes first: one shift per weekday, also while saving
        technician.shifts.clear()
        session.flush()
    technician.shifts = [Shift(weekday=w, start_minute=a, end_minute=b) for w, a, b in sorted(shifts)]
    session.add(technician)
    session.flush()
    record_event(session, actor=actor, action="technician.save", entity_type="technician", entity_id=technician.id,
                 now=now, detail={"depot": depot_id, "shifts": len(shifts)})
    return technician


def _check_shifts(shifts: list[tuple[int, int, int]]) -> None:
    days = [w for w, _a, _b in shifts]
    if len(set(days)) != len(days):
        raise DomainError(N_("One shift per weekday."), field="shifts")
    for weekday, start, end in shifts:
        if not (0 <= weekday <= 6 and 0 <= start < end <= 24 * 60):
            raise DomainError(N_("A shift starts before it ends, within the day."), field="shifts")


def add_absence(session: Session, technician: Technician, *, first_day: dt.date, last_day: dt.date, reason: str,
                actor, now: dt.datetime) -> tuple[Absence, list[Visit]]:
    """Record an absence. The stops already given to the technician on those days are stranded: they go back to
    the planner on their day (no technician, no time, the citizen's confirmation withdrawn). Returns them too."""
    if last_day < first_day:
        raise DomainError(N_("The last day is before the first."), field="last_day")
    absence = Absence(technician_id=technician.id, first_day=first_day, last_day=last_day,
                      reason=reason.strip()[:120] or None)
    session.add(absence)
    session.flush()
    stranded = list(session.scalars(select(Visit).where(
        Visit.technician_id == technician.id, Visit.status == VisitStatus.SCHEDULED,
        Visit.scheduled_on.between(first_day, last_day)).order_by(Visit.scheduled_on, Visit.planned_start, Visit.id)))
    for visit in stranded:
        unassign(session, visit, actor=actor, now=now, note=N_("back to the planner: the technician is absent"))
    record_event(session, actor=actor, action="technician.absence", entity_type="technician",
                 entity_id=technician.id, now=now, detail={"stranded": [v.id for v in stranded]})
    return absence, stranded


def absences_of(session: Session, technician_id: int, *, from_day: dt.date) -> list[Absence]:
    return list(session.scalars(select(Absence).where(Absence.technician_id == technician_id,
                                                      Absence.last_day >= from_day).order_by(Absence.first_day)))


def on_duty(session: Session, day: dt.date) -> list[OnDuty]:
    """Active technicians with a shift on that weekday and no absence that day, with their skills that day."""
    absent = set(session.scalars(select(Absence.technician_id).where(Absence.first_day <= day,
                                                                     Absence.last_day >= day)))
    rows = session.execute(
        select(Technician, Shift).join(Shift, Shift.technician_id == Technician.id)
        .join(User, User.id == Technician.user_id)
        .where(Shift.weekday == day.weekday(), Technician.is_active.is_(True), User.status == UserStatus.ACTIVE)
        .order_by(User.full_name)).all()
    competences = competences_on(session, day)
    return [OnDuty(t, shift.start_minute, shift.end_minute,
                   frozenset(set(t.skills) | {f"programme:{code}" for code in competences.get(t.user_id, ())}
                             | {depot_skill(t.depot_id)}))
            for t, shift in rows if t.id not in absent]
