"""Dispatch forms: the nurse's request, booking, failure, technicians."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from dispatch.models import FailureReason, TimeOfDay, Urgency
from dispatch.service.technicians import EXTRA_SKILLS
from dispatch.service.visits import FAILURE_LABELS, VisitRequest
from servicecenter.forms import AppForm

TIME_OF_DAY_LABELS = {TimeOfDay.ANY: _l("any time (8–16)"), TimeOfDay.MORNING: _l("morning (8–12)"),
                      TimeOfDay.AFTERNOON: _l("afternoon (12–16)")}
URGENCY_LABELS = {Urgency.NORMAL: _l("normal"), Urgency.URGENT: _l("urgent")}
SKILL_LABELS = {"spirometry": _l("Spirometry"), "interpreter_da_ar": _l("Speaks Arabic"),
                "heavy_lifting": _l("Heavy lifting")}
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]


class _VisitDetails(AppForm):
    """When and how a visit is wanted: the same on every form that asks for one."""

    earliest_on = DateField(_l("Earliest date"), validators=[InputRequired()])
    latest_on = DateField(_l("Latest date"), validators=[InputRequired()])
    time_of_day = SelectField(_l("Preferred time of day"),
                              choices=[(k.value, v) for k, v in TIME_OF_DAY_LABELS.items()])
    urgency = SelectField(_l("Urgency"), choices=[(k.value, v) for k, v in URGENCY_LABELS.items()])
    relative_present = BooleanField(_l("A relative will be present"))
    interpreter_needed = BooleanField(_l("Interpreter needed"))
    hearing_needs = BooleanField(_l("Hearing impaired: call the relative, not the citizen"))

    def visit_request(self) -> VisitRequest:
        return VisitRequest(
            earliest_on=self.earliest_on.data, latest_on=self.latest_on.data,
            time_of_day=TimeOfDay(self.time_of_day.data), urgency=Urgency(self.urgency.data),
            relative_present=self.relative_present.data, interpreter_needed=self.interpreter_needed.data,
            hearing_needs=self.hearing_needs.data, notes=self.notes.data or "")


class RequestForm(_VisitDetails):
    programme_id = SelectField(_l("Programme"), coerce=int, validators=[DataRequired()])
    notes = TextAreaField(_l("Notes for the service center"), validators=[Optional(), Length(max=2000)])


class VisitForm(_VisitDetails):
    """A visit requested where it arises: from a course, a ticket, a follow-up that falls due."""

    kind = SelectField(_l("Visit"), validators=[InputRequired()])
    notes = TextAreaField(_l("What is the visit for?"), validators=[Optional(), Length(max=2000)])


class BookForm(AppForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    time_of_day = SelectField(_l("Window"), choices=[(k.value, v) for k, v in TIME_OF_DAY_LABELS.items()])


class AllocateForm(AppForm):
    depot_id = SelectField(_l("Depot"), coerce=int, validators=[DataRequired()])


class FailForm(AppForm):
    reason = SelectField(_l("Why did it fail?"), validators=[InputRequired()],
                         choices=[("", _l("— choose —"))] + [(r.value, _l(FAILURE_LABELS[r])) for r in FailureReason])
    call_again_on = DateField(_l("Hospitalised: call the citizen again on"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReplacementForm(AppForm):
    """At the door: another device of the same model than a reserved one, and why."""

    REASONS = {"faulty": _l("the reserved device does not work"),
               "missing": _l("the reserved device is not in the van"), "other": _l("other reason (write it)")}
    replaces = SelectField(_l("It replaces the reserved device"), validators=[InputRequired()])
    code = StringField(_l("The device you deliver instead (scan or type its tag)"),
                       validators=[InputRequired(), Length(max=40)])
    reason = SelectField(_l("Why"), validators=[InputRequired()],
                         choices=[("", _l("— choose —")), *REASONS.items()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])

    def validate(self, extra_validators=None) -> bool:
        """"Other reason" needs the reason written (an empty note stops its own validators, so it is checked here)."""
        valid = super().validate(extra_validators)
        if self.reason.data == "other" and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Write the reason.")]
            return False
        return valid


class TechnicianForm(AppForm):
    user_id = SelectField(_l("User"), coerce=int, validators=[DataRequired()])
    depot_id = SelectField(_l("Depot"), coerce=int, validators=[DataRequired()])
    van_id = SelectField(_l("Van"), coerce=int, validators=[Optional()])
    skills = SelectMultipleField(_l("Extra skills"), choices=[(s, SKILL_LABELS[s]) for s in EXTRA_SKILLS])


class AbsenceForm(AppForm):
    first_day = DateField(_l("First day"), validators=[InputRequired()])
    last_day = DateField(_l("Last day"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=120)])


class AssignForm(AppForm):
    technician_id = SelectField(_l("Technician"), coerce=int, validators=[DataRequired()])
    start = StringField(_l("Start (HH:MM)"), validators=[InputRequired(), Length(max=5)])


class DepotLocationForm(AppForm):
    latitude = StringField(_l("Latitude"), validators=[InputRequired(), Length(max=20)])
    longitude = StringField(_l("Longitude"), validators=[InputRequired(), Length(max=20)])

