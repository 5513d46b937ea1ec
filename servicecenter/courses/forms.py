"""Forms for courses: ending with a reason, offering and declining the lead."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from servicecenter.courses.models import EndReason, ExclusionReason, PauseReason
from servicecenter.courses.service import END_REASON_LABELS, EXCLUSION_REASON_LABELS, PAUSE_REASON_LABELS
from servicecenter.forms import AppForm


class EndCourseForm(AppForm):
    reason = SelectField(_l("Why does the course end?"), validators=[InputRequired()],
                         choices=[("", _l("— choose —"))] + [(r.value, _l(END_REASON_LABELS[r])) for r in EndReason])
    exclusion_reason = SelectField(_l("Exclusion reason (only when excluded)"), validators=[Optional()],
                                   choices=[("", "—")] + [(r.value, _l(EXCLUSION_REASON_LABELS[r]))
                                                          for r in ExclusionReason])


class PauseForm(AppForm):
    reason = SelectField(_l("Why is the course paused?"), validators=[InputRequired()],
                         choices=[("", _l("— choose —")),
                                  *((r.value, _l(PAUSE_REASON_LABELS[r])) for r in PauseReason)])
    call_again_on = DateField(_l("Call the citizen again on"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class OfferLeadForm(AppForm):
    to_organisation_id = SelectField(_l("Offer the lead to"), coerce=int, validators=[DataRequired()])


class DeclineForm(AppForm):
    reason = StringField(_l("Why do you decline?"), validators=[Optional(), Length(max=500)])


class ProgrammeForm(AppForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    follow_up_days = IntegerField(_l("Follow-up conversation, days after the training"), default=14,
                                  validators=[InputRequired(), NumberRange(0, 365)])
    competence_months = IntegerField(_l("Staff competence holds, months"), default=24,
                                     validators=[InputRequired(), NumberRange(1, 120)])
    checklist = TextAreaField(_l("Competence checklist, one item per line"), validators=[Optional(), Length(max=4000)])
