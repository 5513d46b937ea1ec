from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from api.forms import CheckboxesField
from servicecenter.forms import AppForm


class EndpointForm(AppForm):
    url = StringField(_l("Address (URL)"), validators=[DataRequired(), Length(max=500)])
    description = StringField(_l("Receiver"), validators=[DataRequired(), Length(max=120)])
    event_types = CheckboxesField(_l("Events"), validators=[DataRequired()])
    is_private_allowed = BooleanField(_l("Allow a private address for this host (a receiver inside our own "
                                         "network)"))
