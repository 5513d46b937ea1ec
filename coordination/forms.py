"""Forms of the monthly report (CSRF on every POST, through AppForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from servicecenter.forms import AppForm


class GenerateForm(AppForm):
    month = StringField(_l("Month"), validators=[DataRequired(_l("Choose the month."))],
                        render_kw={"type": "month", "placeholder": "2026-01"})


class DeviationForm(AppForm):
    version = HiddenField()
    cause = TextAreaField(_l("Cause"), validators=[Length(max=1000)], render_kw={"rows": 3, "maxlength": 1000})
    action = TextAreaField(_l("Proposed action"), validators=[Length(max=1000)],
                           render_kw={"rows": 3, "maxlength": 1000})


class ReleaseForm(AppForm):
    version = HiddenField()
    confirm = BooleanField(_l("I have checked the figures and the deviations; release the report to the steering "
                              "group. It cannot be changed afterwards."),
                           validators=[DataRequired(_l("Tick the box to confirm the release."))])


class RegenerateForm(AppForm):
    version = HiddenField()


class NonReturnDecisionForm(AppForm):
    """Propose, approve or reject a write-off: the reason (required except when approving)."""

    version = HiddenField()
    note = TextAreaField(_l("Reason"), validators=[Length(max=1000)], render_kw={"rows": 2, "maxlength": 1000})
