"""The course follows the citizen's journey: its state is derived from what happened — a kit reserved, the setup
visit booked and done, devices in the home, a person's decision to pause or end — in the same transaction as the
event, never typed in; `verify` proves the stored state agrees.

The core knows no visits and no devices: the features report those facts (inventory: the devices in a home;
dispatch: the visits) through sources they register, and follow course decisions through listeners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicecenter import events
from servicecenter.courses.models import Course, CourseEvent, CourseEventKind, CourseStatus
from servicecenter.errors import N_
from servicecenter.events import EventType
from servicecenter.statuses import TransitionTable, transition

C = CourseStatus


@dataclass(frozen=True)
class Facts:
    """What the features know about one course's journey (each source fills its part; the rest stay default)."""

    devices_in_home: int = 0  # inventory: devices the ledger places in the course's home now
    kit_reserved: bool = False  # dispatch: an open setup visit has a kit reserved
    setup_booked: bool = False  # dispatch: the open setup visit is booked on a day (scheduled or at the door)
    setup_at_door: bool = False  # dispatch: the setup visit is in progress (devices arrive one scan at a time)
    setup_done: bool = False  # dispatch: a setup visit was done
    pickup_open: bool = False  # dispatch: a pickup visit is open
    pickup_waiting: bool = False  # dispatch: a pickup visit is open and not yet at the door
    other_visits_open: int = 0  # dispatch: open visits that are not pickups
    kit_devices_astray: int = 0  # dispatch: devices of the reserved kit neither reserved for nor in this home


# name -> source(session, course ids) -> {course id: {fact name: value}}, called with up to CHUNK ids at a time.
FactSource = Callable[[Session, Sequence[int]], Mapping[int, Mapping[str, object]]]
SOURCES: dict[str, FactSource] = {}
# name -> listener(session, course, actor=, now=): a person ended the course (dispatch: cancel visits, the pickup).
ENDED_LISTENERS: dict[str, Callable[..., None]] = {}
# name -> listener(session, course, from_status, actor=, now=): the derived state changed.
STATUS_LISTENERS: dict[str, Callable[..., None]] = {}
CHUNK = 1000


def add_fact_source(name: str, source: FactSource) -> None:
    SOURCES[name] = source


def add_ended_listener(name: str, listener: Callable[..., None]) -> None:
    ENDED_LISTENERS[name] = listener


def add_status_listener(name: str, listener: Callable[..., None]) -> None:
    STATUS_LISTENERS[name] = listener


# Every move the derivation can make: back and forth before the setup is done (a kit released, a visit requeued),
# into and out of a pause, and towards the end from anywhere (ending while devices are still in the home, which
# data from before the journey was derived may have at any stage). Nothing leaves "ended".
COURSE_STATUS = TransitionTable(
    "course",
    {
        C.REFERRED: {C.ALLOCATED, C.SETUP_SCHEDULED, C.PAUSED, C.ENDING, C.ENDED},
        C.ALLOCATED: {C.REFERRED, C.SETUP_SCHEDULED, C.PAUSED, C.ENDING, C.ENDED},
        C.SETUP_SCHEDULED: {C.REFERRED, C.ALLOCATED, C.ACTIVE, C.PAUSED, C.ENDING, C.ENDED},
        C.ACTIVE: {C.PAUSED, C.ENDING, C.ENDED},
        C.PAUSED: {C.REFERRED, C.ALLOCATED, C.SETUP_SCHEDULED, C.ACTIVE, C.ENDING, C.ENDED},
        C.ENDING: {C.ENDED},
        C.ENDED: set(),
    },
    {C.REFERRED: N_("referred"), C.ALLOCATED: N_("allocated"), C.SETUP_SCHEDULED: N_("setup scheduled"),
     C.ACTIVE: N_("active"), C.PAUSED: N_("paused"), C.ENDING: N_("ending: devices to collect"),
     C.ENDED: N_("ended")},
)


def derive(course: Course, facts: Facts) -> CourseStatus:
    """The state the journey says: a person's decision (ended, paused) first, then how far the setup has got."""
    if course.end_reason is not None:
        return C.ENDING if facts.devices_in_home else C.ENDED
    if course.paused_at is not None:
        return C.PAUSED
    if course.activated_at is not None:
        return C.ACTIVE
    if facts.setup_booked:
        return C.SETUP_SCHEDULED
    if facts.kit_reserved:
        return C.ALLOCATED
    return C.REFERRED


def facts_of(session: Session, course_ids: Sequence[int]) -> dict[int, Facts]:
    """The facts of these courses from every registered source (one call per source and chunk)."""
    known = {f.name for f in fields(Facts)}
    found = {course_id: Facts() for course_id in course_ids}
    for start in range(0, len(course_ids), CHUNK):
        chunk = course_ids[start:start + CHUNK]
        for source in SOURCES.values():
            for course_id, values in source(session, chunk).items():
                found[course_id] = replace(found[course_id], **{k: v for k, v in values.items() if k in known})
    return found


def follow(session: Session, course: Course, *, actor, now: dt.datetime, note: str | None = None,
           decided: bool = False) -> CourseStatus:
    """Bring the course's state to what the journey says, in the caller's transaction: audited, in the course's
    history (unless a person's decision, which has its own entry with the reason, `decided`), and told to the
    features that follow it. Called after every event that can change a fact."""
    if not SOURCES:
        raise RuntimeError("no journey fact sources registered: create the app (features register them)")
    target = derive(course, facts_of(session, [course.id])[course.id])
    current = course.status
    if target != current:
        transition(session, course, target, table=COURSE_STATUS, actor=actor, now=now, citizen_id=course.citizen_id,
                   reason=note)
        if not decided:
            session.add(CourseEvent(course_id=course.id, citizen_id=course.citizen_id, kind=CourseEventKind.STATUS,
                                    at=now, actor_id=getattr(actor, "id", None), from_status=current,
                                    to_status=target, reason=note))
        for listener in STATUS_LISTENERS.values():
            listener(session, course, current, actor=actor, now=now)
        events.publish(session, EventType.COURSE_STATUS_CHANGED, {
            "course_id": course.id, "from_status": current.value, "to_status": target.value}, now=now)
    return target


def follow_ids(session: Session, course_ids: Iterable[int], *, actor, now: dt.datetime) -> None:
    """`follow` for each of these courses (a scan of a kit touches one home; a swap two)."""
    for course_id in sorted(set(course_ids)):
        follow(session, session.get(Course, course_id), actor=actor, now=now)


def problems(course: Course, facts: Facts) -> list[str]:
    """Where the stored state disagrees with the devices in the home and the visits (plain English: for the log and
    the command line, read by the people who run the system)."""
    found = []
    expected = derive(course, facts)
    if course.status != expected:
        found.append(f"state {course.status.value} but the journey says {expected.value}")
    before_setup = course.activated_at is None and course.end_reason is None
    if before_setup and facts.devices_in_home and not facts.setup_at_door:
        found.append(f"{facts.devices_in_home} devices in the home but the setup visit is not done")
    if expected == C.ACTIVE and not facts.devices_in_home:
        found.append("active, but nothing is in the home")
    if expected == C.ENDING and not facts.pickup_open:
        found.append(f"ended with {facts.devices_in_home} devices in the home and no pickup visit open")
    if course.end_reason is not None and facts.other_visits_open:
        found.append(f"ended, but {facts.other_visits_open} visits other than a pickup are still open")
    if expected == C.ENDED and facts.pickup_waiting:
        found.append("everything is back, but a pickup visit is still open")
    if facts.kit_devices_astray:
        found.append(f"{facts.kit_devices_astray} devices of the reserved kit are neither reserved for nor in the home")
    return found


@dataclass(frozen=True)
class Disagreement:
    course_id: int
    citizen_id: int
    problem: str


def verify_courses(session: Session) -> list[Disagreement]:
    """Every course whose state disagrees with its journey, in chunks (one statement per source and chunk)."""
    found: list[Disagreement] = []
    last_id = 0
    while True:
        courses = list(session.scalars(select(Course).where(Course.id > last_id).order_by(Course.id).limit(CHUNK)))
        if not courses:
            return found
        facts = facts_of(session, [c.id for c in courses])
        found += [Disagreement(c.id, c.citizen_id, p) for c in courses for p in problems(c, facts[c.id])]
        last_id = courses[-1].id
