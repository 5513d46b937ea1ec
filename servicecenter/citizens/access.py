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

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session, aliased

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


def sees(session: Session, actor: User, now: dt.datetime, citizen_column, *, of_a_course: bool = False
         ) -> ColumnElement[bool]:
    """The rule as a condition on another table's citizen column (a visit's, a training's): a panel that walks its
    own rows asks for each whether she may see its citizen, rather than first listing everyone she may see.
    `of_a_course`: the rows belong to a course of that citizen (visits, trainings), so she has one, and the rule's
    "registered, no course yet" part cannot hold (PostgreSQL would otherwise build it for every statement)."""
    role = getattr(actor, "role", None)
    if role in SEES_EVERYONE:
        return true()
    if role == Role.NURSE and not RULES.get(role):
        return _nurse_sees(actor, now, policy_of(session), citizen_column, of_a_course=of_a_course)
    return citizen_column.in_(select(Citizen.id).where(visible_to(session, actor, now)))


def can_see(session: Session, actor: User, citizen_id: int, now: dt.datetime) -> bool:
    return session.scalar(select(Citizen.id).where(Citizen.id == citizen_id,
                                                   visible_to(session, actor, now))) is not None


def _nurse_rule(actor: User, now: dt.datetime, policy: AccessPolicy) -> ColumnElement[bool]:
    return _nurse_sees(actor, now, policy, Citizen.id)


# Made once: a new alias per call rebuilt every column collection (7 ms of CPU a call, a quarter of a start page).
_RULE_ALIASES = (aliased(Course, name="rule_course"), aliased(Handover, name="rule_offer"),
                 aliased(Citizen, name="rule_citizen"), aliased(Course, name="rule_any_course"))


def _nurse_sees(actor: User, now: dt.datetime, policy: AccessPolicy, citizen_column, *, of_a_course: bool = False
                ) -> ColumnElement[bool]:
    """Her care relationships, asked of one citizen at a time (each an index probe by citizen): a course her
    organisation leads or referred, or is offered, while it runs and for a while after; or a citizen it is
    responsible for who has no course yet. Aliases, so an enclosing query's own courses are never correlated."""
    org = actor.organisation_id
    if org is None:
        return false()
    course, offer, citizen, any_course = _RULE_ALIASES
    running = or_(course.ended_at.is_(None), course.ended_at >= now - dt.timedelta(days=policy.nurse_days_after_end))
    ours = select(course.id).where(course.citizen_id == citizen_column, running,
                                   or_(course.lead_organisation_id == org, course.referred_by_organisation_id == org))
    offered = (select(course.id).join(offer, offer.course_id == course.id)
               .where(course.citizen_id == citizen_column, running, offer.to_organisation_id == org,
                      offer.status == HandoverStatus.OFFERED))
    if of_a_course:
        return or_(ours.exists(), offered.exists())
    not_yet_referred = select(citizen.id).where(
        citizen.id == citizen_column, citizen.responsible_organisation_id == org,
        ~select(any_course.id).where(any_course.citizen_id == citizen.id).exists())
    return or_(ours.exists(), offered.exists(), not_yet_referred.exists())


def _glass_rule(actor: User, now: dt.datetime) -> ColumnElement[bool]:
    return Citizen.id.in_(select(GlassBreak.citizen_id).where(GlassBreak.user_id == actor.id,
                                                                GlassBreak.until > now))


@dataclass(frozen=True)
class _Organisation:
    organisation_id: int


def organisation_sees(session: Session, organisation_id: int | None, now: dt.datetime, citizen_column=None, *,
                      of_a_course: bool = False) -> ColumnElement[bool]:
    """Need to know for an organisation acting through a system (an API token, a webhook subscription) rather than
    a person: the care relationships of its nurses (the nurse rule, asked for the organisation). `None` is the
    service centre's own integration, which sees every citizen as its helpdesk does. `citizen_column` defaults to
    Citizen.id."""
    if organisation_id is None:
        return true()
    column = Citizen.id if citizen_column is None else citizen_column
    return _nurse_sees(_Organisation(organisation_id), now, policy_of(session), column, of_a_course=of_a_course)
