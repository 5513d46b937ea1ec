from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from servicecenter.forms import AppForm


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(AppForm):
    name = StringField(_l("Integration"), validators=[DataRequired(), Length(max=120)])
    organisation_id = SelectField(_l("Organisation"), coerce=lambda v: int(v) if v else None,
                                  validators=[Optional()])
    scopes = CheckboxesField(_l("Scopes"), validators=[DataRequired()])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
