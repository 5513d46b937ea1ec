"""The citizen's text messages about her visits, written to the outbox in the transaction of their cause: the
confirmation when a visit is published, a notice when a booking she was told of no longer holds (a receipt when
she changed it herself), the reminder the day before, and a pickup's reminder to have the equipment ready. Never to
a deceased citizen, never without a mobile number. The visit page shows what went and how.

Every message is keyed on what it is about, so a cause that repeats (a retried request, a job run twice) writes
it once: the confirmation on its publication (`visit.confirm:<visit>:<published at>`, the stamp the link is bound
to), the others on the booking, i.e. the history event that put the visit on its day (`visit.remind:<visit>:<event>`).
The visit's history thus names every key its messages can have, as a ticket's replies do theirs."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitEvent, VisitKind, VisitStatus
from inventory import service as inventory
from inventory.models import DeviceCategory
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import phone_key
from servicecenter.courses.models import Course
from servicecenter.courses.service import is_deceased
from servicecenter.db import LOCAL_ZONE, local_date, lock_row
from servicecenter.errors import N_
from servicecenter.outbox.models import MessageChannel, MessageStatus, OutboxMessage
from servicecenter.outbox.service import enqueue, messages_by_key, withdraw
from servicecenter.outbox.texts import format_day, translate

CONFIRM, REMIND, PICKUP, CHANGE = "visit.confirm", "visit.remind", "visit.pickup", "visit.change"
PURPOSE_LABELS = {CONFIRM: N_("confirmation"), REMIND: N_("reminder the day before"),
                  PICKUP: N_("pickup reminder"), CHANGE: N_("change of the visit")}
PUBLISHED = N_("published")  # the note of a publication in the visit's history
# Danish mobile numbers start so (the national numbering plan); a landline number cannot receive a text.
MOBILE_PREFIXES = ("2", "30", "31", "40", "41", "42", "50", "51", "52", "53", "60", "61", "71", "81", "91", "92",
                   "93")
# The words of the confirmation text (visits.KIND_LABELS), which the staff's pages use too.
TASKS = {VisitKind.SETUP: N_("setup"), VisitKind.PICKUP: N_("pickup"), VisitKind.SWAP: N_("swap"),
         VisitKind.SERVICE: N_("service"), VisitKind.TRAINING: N_("training"),
         VisitKind.FOLLOW_UP: N_("follow-up")}
DEVICE_KINDS = {DeviceCategory.TABLET: N_("Tablet"), DeviceCategory.PULSE_OXIMETER: N_("Pulse oximeter"),
                DeviceCategory.BLOOD_PRESSURE: N_("Blood-pressure monitor"), DeviceCategory.SCALE: N_("Scale"),
                DeviceCategory.SPIROMETER: N_("Spirometer"), DeviceCategory.THERMOMETER: N_("Thermometer")}

REMINDER_TEXT = N_("Fælles Servicecenter: a reminder that we visit you tomorrow, %(day)s, between %(start)s and "
                   "%(end)s (%(task)s).")
PICKUP_TEXT = N_("Fælles Servicecenter: we collect the equipment on %(day)s between %(start)s and %(end)s. Please "
                 "have all of it ready, with chargers and cables: %(devices)s.")
PICKUP_TEXT_NO_LIST = N_("Fælles Servicecenter: we collect the equipment on %(day)s between %(start)s and %(end)s. "
                         "Please have all of it ready, with chargers and cables.")


class Change(enum.StrEnum):
    MOVED = "moved"  # booked on another day or time
    OFF = "off"  # back in the queue, for a new time
    CANCELLED = "cancelled"


CHANGE_TEXTS = {  # (what happened, done by the citizen herself)
    (Change.MOVED, False): N_("Fælles Servicecenter: your visit (%(task)s) on %(old)s is moved to %(day)s between "
                              "%(start)s and %(end)s. You will get a text with the exact time."),
    (Change.MOVED, True): N_("Fælles Servicecenter: as you asked, your visit (%(task)s) is moved to %(day)s between "
                             "%(start)s and %(end)s. You will get a text with the exact time."),
    (Change.OFF, False): N_("Fælles Servicecenter: your visit (%(task)s) on %(old)s cannot take place as planned. We "
                            "will contact you about a new time."),
    (Change.OFF, True): N_("Fælles Servicecenter: you told us that none of the offered times suits you. We will call "
                           "you to agree on a time for your visit (%(task)s)."),
    (Change.CANCELLED, False): N_("Fælles Servicecenter: your visit (%(task)s) on %(old)s is cancelled."),
    (Change.CANCELLED, True): N_("Fælles Servicecenter: as you asked, your visit (%(task)s) on %(old)s is "
                                 "cancelled."),
}
# Reached the phone, or may have: a worker holds it (the gateway may have taken it), or it went.
OUT = (MessageStatus.SENDING, MessageStatus.SENT)


# --- to whom ---------------------------------------------------------------------------------------------------


def text_number(citizen: Citizen) -> str | None:
    """Where her texts go: her mobile, else her phone when it is a Danish mobile number; None: she gets none."""
    if citizen.mobile:
        return citizen.mobile
    key = phone_key(citizen.phone)
    return citizen.phone if key and len(key) == 8 and key.startswith(MOBILE_PREFIXES) else None


def why_no_texts(session: Session, visit: Visit) -> str | None:
    """Why nothing is sent to the citizen about this visit ("deceased", "no_number"), or None: texts go."""
    if visit.course.is_sensitive or is_deceased(session, visit.citizen_id):
        return "deceased"
    return None if text_number(visit.citizen) else "no_number"


def _recipient(session: Session, visit: Visit) -> str | None:
    return None if why_no_texts(session, visit) else text_number(visit.citizen)


def _send(session: Session, visit: Visit, key: str, purpose: str, text: str, *, now: dt.datetime
          ) -> OutboxMessage | None:
    number = _recipient(session, visit)
    if number is None or not text:
        return None
    return enqueue(session, key=key, purpose=purpose, channel=MessageChannel.SMS, recipient=number, body=text,
                   now=now)


# --- keys, from the visit's history ------------------------------------------------------------------------------


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S%f")  # as the link's token has it (confirm.make_token)


def confirm_key(visit_id: int, published_at: dt.datetime) -> str:
    return f"{CONFIRM}:{visit_id}:{_stamp(published_at)}"


def booking_key(purpose: str, visit_id: int, booking_id: int) -> str:
    return f"{purpose}:{visit_id}:{booking_id}"


BOOKED = (VisitStatus.REQUESTED.value, VisitStatus.REQUEUED.value)  # a booking's event comes from these


def _is_booking(event: VisitEvent) -> bool:
    return event.to_status == VisitStatus.SCHEDULED.value and event.from_status in BOOKED


def _booking_event_id():
    """The visit's current booking: its latest event into "scheduled" from the queue (a correlated subquery;
    `citizen_id` lets it use the history's citizen index)."""
    return select(func.max(VisitEvent.id)).where(
        VisitEvent.citizen_id == Visit.citizen_id, VisitEvent.visit_id == Visit.id,
        VisitEvent.to_status == VisitStatus.SCHEDULED.value, VisitEvent.from_status.in_(BOOKED)).scalar_subquery()


def _keys(visit_id: int, events: Iterable[VisitEvent]) -> list[str]:
    """Every key a message about these events of the visit can have: per publication its confirmation, per booking
    its reminders and the notice that it changed."""
    keys = []
    for event in events:
        if event.note == PUBLISHED:
            keys.append(confirm_key(visit_id, event.at))
        elif _is_booking(event):
            keys += [booking_key(p, visit_id, event.id) for p in (REMIND, PICKUP, CHANGE)]
    return keys


def _current_booking(session: Session, visit: Visit) -> tuple[int | None, list[VisitEvent]]:
    """The current booking's event id and the events since it (its publications among them), newest first."""
    since = []
    for event in session.scalars(select(VisitEvent).where(VisitEvent.citizen_id == visit.citizen_id,
                                                          VisitEvent.visit_id == visit.id)
                                 .order_by(VisitEvent.id.desc())):
        if _is_booking(event):
            return event.id, since
        since.append(event)
    return None, since


def messages_of_visit(session: Session, visit_id: int, events: Iterable[VisitEvent]) -> list[OutboxMessage]:
    """The messages about the visit, oldest first, found by the keys its history names (one query)."""
    found = messages_by_key(session, _keys(visit_id, events))
    return sorted(found.values(), key=lambda m: (m.created_at, m.id))


# --- the causes --------------------------------------------------------------------------------------------------


def send_confirmation(session: Session, visit: Visit, *, now: dt.datetime) -> OutboxMessage | None:
    """The publication's confirmation text, with its link, to the citizen: once per publication."""
    return _send(session, visit, confirm_key(visit.id, visit.published_at), CONFIRM, visit.confirmation_text or "",
                 now=now)


def withdraw_publication(session: Session, visit: Visit) -> None:
    """The publication no longer holds (published again, or back to the planner): its confirmation and the reminder
    with its window are not sent if they have not gone yet (the old link would say it was replaced)."""
    if visit.published_at is None:
        return
    booking_id, _since = _current_booking(session, visit)
    keys = [confirm_key(visit.id, visit.published_at)]
    withdraw(session, keys + ([booking_key(REMIND, visit.id, booking_id)] if booking_id else []))


@dataclass(frozen=True)
class Told:
    """What the citizen was told of a booking that no longer holds: its event, and the day she knows."""

    booking_id: int
    day: dt.date


def retract(session: Session, visit: Visit) -> Told | None:
    """The visit's booking no longer holds (about to be moved, put back in the queue or cancelled; call it while
    the visit still has its day). What was written to the citizen about the booking and has not gone is withdrawn;
    returns what she was told when a text about it reached her (or may have), else None: she knows nothing to undo.
    The visit's row is locked first, as the reminder job locks it to write a reminder: one waits for the other, so
    a reminder is never written for a booking being undone at that moment."""
    lock_row(session, visit)
    if visit.status != VisitStatus.SCHEDULED or visit.scheduled_on is None:
        return None
    booking_id, since = _current_booking(session, visit)
    if booking_id is None:
        return None
    keys = [confirm_key(visit.id, e.at) for e in since if e.note == PUBLISHED]
    found = withdraw(session, keys + [booking_key(p, visit.id, booking_id) for p in (REMIND, PICKUP)])
    return Told(booking_id, visit.scheduled_on) if any(m.status in OUT for m in found.values()) else None


def tell_change(session: Session, visit: Visit, told: Told | None, change: Change, *, by_citizen: bool,
                now: dt.datetime) -> OutboxMessage | None:
    """The booking she was told of no longer holds: she is told it moved (to the visit's new day and window), is
    back in the queue for a new time, or is cancelled; when she did it herself (her link, the portal: no staff
    actor), a receipt. Once per booking; nothing when she had not been told."""
    if told is None:
        return None
    language = visit.citizen.language
    params = {"task": translate(language, TASKS[visit.kind]), "old": format_day(told.day, language)}
    if change == Change.MOVED:
        params |= {"day": format_day(visit.scheduled_on, language), "start": _hhmm(visit.window_start),
                   "end": _hhmm(visit.window_end)}
    text = translate(language, CHANGE_TEXTS[change, by_citizen], **params)
    return _send(session, visit, booking_key(CHANGE, visit.id, told.booking_id), CHANGE, text, now=now)


# --- reminders (the job dispatch_visit_reminders) ----------------------------------------------------------------


@dataclass(frozen=True)
class Reminded:
    day_before: int
    pickups: int


def send_reminders(session: Session, *, now: dt.datetime, pickup_days: int) -> Reminded:
    """Tomorrow's published visits get the reminder the day before, unless they were published today or later (the
    confirmation has just told the time); pickups booked within `pickup_days` days get the reminder to have the
    equipment ready. Each once per booking however often this runs; none for a deceased citizen."""
    today = local_date(now)
    start_of_today = dt.datetime.combine(today, dt.time(), LOCAL_ZONE).astimezone(dt.UTC)
    day_before = _due(session, Visit.scheduled_on == today + dt.timedelta(days=1), Visit.published_at < start_of_today)
    pickups = _due(session, Visit.kind == VisitKind.PICKUP, Visit.scheduled_on > today,
                   Visit.scheduled_on <= today + dt.timedelta(days=pickup_days))
    return Reminded(_remind(session, day_before, REMIND, _reminder_text, now=now),
                    _remind(session, pickups, PICKUP, _pickup_text, now=now))


def _due(session: Session, *conditions) -> list[tuple[Visit, int]]:
    deceased = exists().where(Course.citizen_id == Visit.citizen_id, Course.is_sensitive.is_(True))
    booking = _booking_event_id()
    return [(visit, booking_id) for visit, booking_id in session.execute(
        select(Visit, booking).where(Visit.status == VisitStatus.SCHEDULED, Visit.window_start.is_not(None),
                                     and_(*conditions), ~deceased).order_by(Visit.id))
            if booking_id is not None]


def _remind(session: Session, due: list[tuple[Visit, int]], purpose: str, text, *, now: dt.datetime) -> int:
    """Enqueue the reminders not yet written (those are skipped with one query, not a text each). Each visit is
    locked and looked at again first: one moved meanwhile (retract() locks it too) is left alone."""
    keys = {visit.id: booking_key(purpose, visit.id, booking_id) for visit, booking_id in due}
    written = messages_by_key(session, list(keys.values()))
    count = 0
    for visit, _booking in due:
        if keys[visit.id] in written:
            continue
        seen = (visit.status, visit.scheduled_on, visit.published_at)
        lock_row(session, visit)
        if (visit.status, visit.scheduled_on, visit.published_at) != seen:
            continue
        count += _send(session, visit, keys[visit.id], purpose, text(session, visit), now=now) is not None
    return count


def _reminder_text(_session: Session, visit: Visit) -> str:
    language = visit.citizen.language
    return translate(language, REMINDER_TEXT, day=format_day(visit.scheduled_on, language),
                     start=_hhmm(visit.window_start), end=_hhmm(visit.window_end),
                     task=translate(language, TASKS[visit.kind]))


def _pickup_text(session: Session, visit: Visit) -> str:
    """With the kinds of devices in the home, as the ledger has them."""
    language = visit.citizen.language
    kinds = []
    for device in inventory.devices_in_home(session, visit.course_id):
        kind = translate(language, DEVICE_KINDS[device.category]).lower() if device.category in DEVICE_KINDS \
            else device.model
        if kind not in kinds:
            kinds.append(kind)
    params = {"day": format_day(visit.scheduled_on, language), "start": _hhmm(visit.window_start),
              "end": _hhmm(visit.window_end)}
    if not kinds:
        return translate(language, PICKUP_TEXT_NO_LIST, **params)
    return translate(language, PICKUP_TEXT, devices=", ".join(kinds), **params)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
