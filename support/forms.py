"""Forms of the helpdesk's own pages: find the caller, log the call, reply, and the ticket's actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from servicecenter.forms import AppForm
from servicecenter.inputguards import DB_INT_MAX, bounded_int
from support.models import Category, Channel, Priority, RequesterKind, TicketStatus


def row_id(value) -> int:
    """Coerce a posted id; out of range (negative, beyond the databases' integer, not a number) is an invalid
    choice, not a database error."""
    number = bounded_int(value)
    if number < 0:
        raise ValueError("out of range")
    return number

REQUESTER_CHOICES = [(RequesterKind.CITIZEN.value, _l("The citizen")), (RequesterKind.RELATIVE.value, _l("A relative")),
                     (RequesterKind.NURSE.value, _l("A nurse")), (RequesterKind.STAFF.value, _l("Staff"))]
CHANNEL_CHOICES = [(Channel.PHONE.value, _l("Phone")), (Channel.EMAIL.value, _l("E-mail")),
                   (Channel.PORTAL.value, _l("Portal")), (Channel.WALK_IN.value, _l("Walk-in"))]
PRIORITY_CHOICES = [(Priority.P1.value, _l("P1 critical")), (Priority.P2.value, _l("P2 high")),
                    (Priority.P3.value, _l("P3 normal")), (Priority.P4.value, _l("P4 low"))]


class LookupForm(AppForm):
    q = StringField(_l("Phone, CPR or asset tag"), validators=[DataRequired(), Length(max=40)])


class LogCallForm(AppForm):
    """After the caller is found: the category buttons save at once; the rest has sensible defaults."""

    q = HiddenField()
    citizen_id = HiddenField()
    device_id = SelectField(_l("Device"), coerce=row_id, validate_choice=False)
    body = TextAreaField(_l("What is it about?"), validators=[
        DataRequired(message=_l("Write what the call is about: a ticket without it helps no one.")),
        Length(max=10_000)])
    category = StringField(validators=[AnyOf([c.value for c in Category], message=_l("Choose a category."))])
    requester_kind = SelectField(_l("Caller"), choices=REQUESTER_CHOICES, default=RequesterKind.CITIZEN.value)
    requester_name = StringField(_l("Caller's name (if not the citizen)"), validators=[Optional(), Length(max=120)])
    channel = SelectField(_l("Channel"), choices=CHANNEL_CHOICES, default=Channel.PHONE.value)
    priority = SelectField(_l("Priority"), choices=PRIORITY_CHOICES, default=Priority.P3.value)
    called_at = DateTimeLocalField(_l("Time of the call (if earlier)"), validators=[Optional()],
                                   format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])


class ReplyForm(AppForm):
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=10_000)])
    kind = SelectField(_l("Kind"), choices=[("reply", _l("Reply to the caller")), ("note", _l("Internal note"))],
                       default="reply")


class StatusForm(AppForm):
    status = SelectField(_l("Status"), choices=[(s.value, s.value) for s in TicketStatus])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class AssignForm(AppForm):
    assignee_id = SelectField(_l("Assignee"), coerce=row_id, validate_choice=False)
    expected = HiddenField()


class PriorityForm(AppForm):
    priority = SelectField(_l("Priority"), choices=PRIORITY_CHOICES)


class GroupChoiceForm(AppForm):
    group_id = SelectField(_l("Group"), coerce=row_id, validate_choice=False)


class OtherTicketForm(AppForm):
    other = IntegerField(_l("Ticket number"), validators=[DataRequired(message=_l("Type a ticket number.")),
                                                          NumberRange(min=1, max=DB_INT_MAX)])


class SwapForm(AppForm):
    note = TextAreaField(_l("Note for the technician"), validators=[Optional(), Length(max=1000)])


class DeviceForm(AppForm):
    device_id = SelectField(_l("Device"), coerce=row_id, validate_choice=False)
