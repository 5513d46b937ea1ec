"""Need to know: which citizens each role may see, as one SQL condition that every list, search, page, PDF, CSV
and API uses (outside it a citizen answers as one who does not exist).

- helpdesk and coordinator: every citizen (each read is logged with its purpose);
- nurse: her care relationships: the courses her current organisation leads, referred or is offered, while they
  run and for `nurse_days_after_end` days after they end; and a citizen her organisation is responsible for who
  has no course yet (just registered, to be referred);
- technician: what the features register (dispatch: the citizens of the visits assigned to him from a few days
  before to a few days after), and a citizen he broke the glass for, until the end of that day;
- warehouse and admin: no citizen at all.

Rules of the wings register themselves (`register_rule`), so this module knows no wing. The policy (the numbers of
days) travels in the session's `info`, set from the app's configuration when the session factory is made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, CompoundSelect, Select, exists, false, or_, select, true, union
from sqlalchemy.orm import Session

from servicecenter.auth.models import Role, User
from servicecenter.citizens.models import Citizen, GlassBreak
from servicecenter.courses.models import Course, Handover, HandoverStatus


@dataclass(frozen=True)
class AccessPolicy:
    technician_days_before: int = 2  # a technician sees the citizen of his visit this many days ahead ...
    technician_days_after: int = 2  # ... and this many days after the visit's day
    nurse_days_after_end: int = 30  # a nurse keeps her ended course's citizen this long (follow-up, questions)

    @classmethod
    def from_config(cls, config: dict) -> AccessPolicy:
        return cls(technician_days_before=int(config.get("ACCESS_TECHNICIAN_DAYS_BEFORE", 2)),
                   technician_days_after=int(config.get("ACCESS_TECHNICIAN_DAYS_AFTER", 2)),
                   nurse_days_after_end=int(config.get("ACCESS_NURSE_DAYS_AFTER_END", 30)))


Rule = Callable[[User, dt.datetime, AccessPolicy], ColumnElement[bool]]
RULES: dict[Role, dict[str, Rule]] = {}
SEES_EVERYONE = (Role.HELPDESK, Role.COORDINATOR)


def register_rule(role: Role, name: str, rule: Rule) -> None:
    """A feature adds a way for this role to need a citizen (registering twice under one name replaces it)."""
    RULES.setdefault(role, {})[name] = rule


def policy_of(session: Session) -> AccessPolicy:
    return session.info.get("access_policy") or AccessPolicy()


def visible_to(session: Session, actor: User, now: dt.datetime) -> ColumnElement[bool]:
    """SQL condition on Citizen for the citizens this user may see now."""
    role = getattr(actor, "role", None)
    if role in SEES_EVERYONE:
        return true()
    policy = policy_of(session)
    rules = [rule(actor, now, policy) for rule in RULES.get(role, {}).values()]
    if role == Role.NURSE:
        rules.append(_nurse_rule(actor, now, policy))
    if role == Role.TECHNICIAN:
        rules.append(_glass_rule(actor, now))
    return or_(*rules) if rules else false()


def visible_ids(session: Session, actor: User, now: dt.datetime) -> Select | CompoundSelect | None:
    """The same rule as the ids of the citizens this user may see, for `X.citizen_id.in_(...)`; None: everyone.

    A nurse's are her courses' and offers' citizens straight from their indexes, not a condition tried on every row
    of the register: a panel that filters visits or trainings by them costs her caseload, not the country's."""
    role = getattr(actor, "role", None)
    if role in SEES_EVERYONE:
        return None
    if role == Role.NURSE and not RULES.get(role):
        return _nurse_ids(actor, now, policy_of(session))
    return select(Citizen.id).where(visible_to(session, actor, now))


def sees(session: Session, actor: User, now: dt.datetime, citizen_column) -> ColumnElement[bool]:
    """The rule as a condition on another table's citizen column (a visit's, a training's)."""
    ids = visible_ids(session, actor, now)
    return true() if ids is None else citizen_column.in_(ids)


def can_see(session: Session, actor: User, citizen_id: int, now: dt.datetime) -> bool:
    return session.scalar(select(Citizen.id).where(Citizen.id == citizen_id,
                                                   visible_to(session, actor, now))) is not None


def _nurse_rule(actor: User, now: dt.datetime, policy: AccessPolicy) -> ColumnElement[bool]:
    return false() if actor.organisation_id is None else Citizen.id.in_(_nurse_ids(actor, now, policy))


def _nurse_ids(actor: User, now: dt.datetime, policy: AccessPolicy) -> Select | CompoundSelect:
    """Her care relationships: courses her organisation leads or referred, or is offered, while they run and for a
    while after; and the citizens it is responsible for who have no course yet."""
    org = actor.organisation_id
    if org is None:
        return select(Citizen.id).where(false())
    running = or_(Course.ended_at.is_(None), Course.ended_at >= now - dt.timedelta(days=policy.nurse_days_after_end))
    leads = select(Course.citizen_id).where(Course.lead_organisation_id == org, running)
    referred = select(Course.citizen_id).where(Course.referred_by_organisation_id == org, running)
    offered = (select(Course.citizen_id).join(Handover, Handover.course_id == Course.id)
               .where(Handover.to_organisation_id == org, Handover.status == HandoverStatus.OFFERED, running))
    not_yet_referred = select(Citizen.id).where(Citizen.responsible_organisation_id == org,
                                                ~exists().where(Course.citizen_id == Citizen.id))
    return union(leads, referred, offered, not_yet_referred)


def _glass_rule(actor: User, now: dt.datetime) -> ColumnElement[bool]:
    return Citizen.id.in_(select(GlassBreak.citizen_id).where(GlassBreak.user_id == actor.id,
                                                                GlassBreak.until > now))
