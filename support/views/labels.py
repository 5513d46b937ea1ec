"""Template helpers for support pages: labels in the reader's language and the SLA state of a listed ticket."""

from __future__ import annotations

import datetime as dt

from flask_babel import format_datetime, gettext

from dispatch.service import FAILURE_LABELS
from servicecenter.outbox.models import MessageStatus
from support.models import NO_DEADLINE, EventKind, Ticket, TicketStatus
from support.service import tickets
from support.service.replies import Delivery
from support.views import bp


def sla_state(ticket: Ticket, at: dt.datetime) -> str:
    """"breached", "soon", "paused", "done" or "running", from the stored deadlines (as the queues select)."""
    if not ticket.is_active:
        return "done"
    if ticket.sla_due_at == NO_DEADLINE:
        return "paused"
    if ticket.sla_due_at <= at:
        return "breached"
    return "soon" if ticket.sla_warn_at <= at else "running"


@bp.app_context_processor
def labels():
    return {
        "ticket_status_label": lambda s: gettext(tickets.TICKET_STATUS.labels[s]),
        "ticket_category_label": lambda c: gettext(tickets.CATEGORY_LABELS[c]),
        "ticket_priority_label": lambda p: gettext(tickets.PRIORITY_LABELS[p]),
        "ticket_channel_label": lambda c: gettext(tickets.CHANNEL_LABELS[c]),
        "requester_label": lambda r: gettext(tickets.REQUESTER_LABELS[r]),
        "ticket_sla_state": sla_state,
        "no_deadline": NO_DEADLINE,
        "ticket_event_text": event_text,
        "reply_delivery": delivery_text,
    }


def delivery_text(delivery: Delivery) -> tuple[str, str]:
    """How a public reply went, in the reader's language, and its state for the page ("sent", "waiting",
    "retrying", "not_sent")."""
    if delivery.not_sent == "too_long":
        return gettext("Not sent: too long for a text message"), "not_sent"
    if delivery.not_sent == "deceased":
        return gettext("Not sent: the citizen has died (the course is marked sensitive)"), "not_sent"
    message = delivery.message
    if delivery.not_sent or message is None:
        return gettext("Not sent: no phone number"), "not_sent"
    to = gettext("to the citizen") if delivery.recipient == "citizen" else gettext("to the caller")
    if message.status == MessageStatus.SENT:
        return gettext("Sent by SMS %(to)s at %(at)s", to=to, at=format_datetime(message.sent_at, "short")), "sent"
    if message.status == MessageStatus.FAILED:
        return gettext("Sending by SMS %(to)s failed (%(error)s); retrying at %(at)s", to=to,
                       error=message.last_error or "—",
                       at=format_datetime(message.next_attempt_at, "short")), "retrying"
    if message.status == MessageStatus.DEAD:
        return gettext("Not sent by SMS %(to)s: %(error)s", to=to, error=message.last_error or "—"), "not_sent"
    return gettext("Waiting to be sent by SMS %(to)s", to=to), "waiting"


def event_text(event, names: dict[int, str], groups: dict[int, str]) -> str:
    """One line for an event of the ticket's history, in the reader's language (the body is shown apart)."""
    data = event.data or {}
    k = EventKind
    if event.kind == k.CREATED:
        channel = data.get("channel")
        return gettext("Call logged (%(channel)s)", channel=gettext(tickets.CHANNEL_LABELS[channel])) \
            if channel in tickets.CHANNEL_LABELS else gettext("Ticket created")
    if event.kind == k.REPLY:
        return gettext("Reply to the caller")
    if event.kind == k.NOTE:
        if data.get("cancelled"):
            return gettext("The swap visit was cancelled; the ticket is open again")
        if "failed" in data:
            reason = data["failed"]
            label = FAILURE_LABELS.get(reason)
            return gettext("The swap visit failed: %(reason)s", reason=gettext(label) if label else reason)
        return gettext("Internal note")
    if event.kind == k.STATUS:
        return gettext("Status: %(from)s → %(to)s", **{
            "from": _status(data.get("from")), "to": _status(event.status)})
    if event.kind == k.ASSIGNED:
        if "group_to" in data:
            return gettext("Moved to the group %(name)s", name=groups.get(data["group_to"], "—"))
        to = data.get("to")
        return gettext("Assigned to %(name)s", name=names.get(to, "—")) if to else gettext("Unassigned")
    if event.kind == k.PRIORITY:
        return gettext("Priority: %(from)s → %(to)s", **{"from": data.get("from"), "to": data.get("to")})
    if event.kind == k.DEVICE:
        return gettext("Device: %(tag)s", tag=data.get("device") or "—")
    if event.kind == k.MERGED_INTO:
        return gettext("Merged into #%(id)s", id=data.get("ticket"))
    if event.kind == k.MERGED_FROM:
        return gettext("#%(id)s was merged into this ticket", id=data.get("ticket"))
    if event.kind == k.LINKED:
        return gettext("Linked to #%(id)s", id=data.get("ticket"))
    if event.kind == k.SWAP_REQUESTED:
        return gettext("Swap visit requested for %(tag)s", tag=data.get("device") or "—")
    if event.kind == k.SWAP_DONE:
        return gettext("Swap done: %(collected)s collected (to repair), %(delivered)s delivered",
                       collected=data.get("collected") or "—", delivered=", ".join(data.get("delivered") or []) or "—")
    if event.kind == k.VISIT_REQUESTED:
        return gettext("Service visit requested")
    if event.kind == k.VISIT_DONE:
        return gettext("Service visit done")
    if event.kind == k.ESCALATED:
        target = gettext("first response") if data.get("target") == "first_response" else gettext("resolution")
        return gettext("SLA breached (%(target)s): escalated", target=target)
    return str(event.kind)


def _status(value: str | None) -> str:
    return gettext(tickets.TICKET_STATUS.labels[TicketStatus(value)]) if value in set(TicketStatus) else "—"
