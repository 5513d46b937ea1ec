"""The helpdesk's public replies reach the person who asked: by SMS through the outbox, in the same transaction as
the reply. The reply's event records to whom it went, or why it did not; the outbox row tells how the sending went.
A deceased citizen (a course of hers is marked sensitive) is never texted: only a caller who is not her."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import phone_key
from servicecenter.courses.service import is_deceased
from servicecenter.errors import N_
from servicecenter.outbox.models import MessageChannel, OutboxMessage
from servicecenter.outbox.service import enqueue, messages_by_key
from servicecenter.outbox.texts import translate
from support.models import EventKind, RequesterKind, Ticket, TicketEvent

PURPOSE = "ticket.reply"
SMS_MAX = 1530  # ten concatenated SMS parts of 153 characters
SIGNATURE = N_("- Fælles Servicecenter, ticket #%(id)s. This text cannot be answered.")


@dataclass(frozen=True)
class Recipient:
    who: str  # "citizen" (her own number on record) or "caller" (the number the call came from)
    phone: str
    language: str


@dataclass(frozen=True)
class Delivery:
    """How one reply went, as the ticket page shows it: to whom by which channel and the message's state, or the
    reason it was not sent ("no_phone", "deceased", "too_long")."""

    recipient: str | None = None
    channel: str | None = None
    message: OutboxMessage | None = None
    not_sent: str | None = None


def reply_recipient(ticket: Ticket, citizen: Citizen | None, *, deceased: bool = False) -> Recipient | None:
    """The citizen who called, on her mobile (else her phone); anyone else at the number the call came from. For a
    deceased citizen, only a caller who is not her, at a number that is not hers (the relative who called)."""
    if deceased:
        hers = {phone_key(citizen.mobile), phone_key(citizen.phone)} - {None}
        if ticket.requester_kind != RequesterKind.CITIZEN and ticket.requester_phone \
                and phone_key(ticket.requester_phone) not in hers:
            return Recipient("caller", ticket.requester_phone, "da")
        return None
    if ticket.requester_kind == RequesterKind.CITIZEN and citizen is not None:
        phone = citizen.mobile or citizen.phone
        if phone:
            return Recipient("citizen", phone, citizen.language)
    if ticket.requester_phone:
        return Recipient("caller", ticket.requester_phone, "da")
    return None


def reply_text(ticket: Ticket, body: str, language: str) -> str:
    return f"{body}\n\n{translate(language, SIGNATURE, id=ticket.id)}"


def recipient_for(session: Session, ticket: Ticket, citizen: Citizen | None) -> tuple[Recipient | None, str | None]:
    """Where a public reply on the ticket goes, or why it goes nowhere ("deceased", "no_phone")."""
    deceased = citizen is not None and is_deceased(session, citizen.id)
    recipient = reply_recipient(ticket, citizen, deceased=deceased)
    return recipient, None if recipient else "deceased" if deceased else "no_phone"


def plan_reply(session: Session, ticket: Ticket, citizen: Citizen | None, body: str
               ) -> tuple[dict, Recipient | None, str]:
    """(the reply event's data, the recipient or None, the text): decided before the event is written."""
    recipient, not_sent = recipient_for(session, ticket, citizen)
    if recipient is None:
        return {"not_sent": not_sent}, None, ""
    text = reply_text(ticket, body, recipient.language)
    if len(text) > SMS_MAX:
        return {"not_sent": "too_long", "recipient": recipient.who}, None, ""
    return {"recipient": recipient.who, "channel": MessageChannel.SMS.value}, recipient, text


def message_key(event_id: int) -> str:
    return f"{PURPOSE}:{event_id}"


def send_reply(session: Session, event: TicketEvent, recipient: Recipient, text: str, *,
               now: dt.datetime) -> OutboxMessage:
    """Queue the reply's SMS; keyed on the reply's event, so it is queued once whatever happens."""
    session.flush()
    return enqueue(session, key=message_key(event.id), purpose=PURPOSE, channel=MessageChannel.SMS,
                   recipient=recipient.phone, body=text, now=now)


def deliveries(session: Session, events: list[TicketEvent]) -> dict[int, Delivery]:
    """For each public reply among the events, how it went (one query for all their messages)."""
    replies = [e for e in events if e.kind == EventKind.REPLY and e.data]
    messages = messages_by_key(session, [message_key(e.id) for e in replies])
    return {e.id: Delivery(recipient=e.data.get("recipient"), channel=e.data.get("channel"),
                           message=messages.get(message_key(e.id)), not_sent=e.data.get("not_sent"))
            for e in replies}

