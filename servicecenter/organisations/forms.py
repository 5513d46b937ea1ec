"""The organisation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from servicecenter.forms import AppForm
from servicecenter.organisations.models import OrganisationKind

KIND_LABELS = {
    OrganisationKind.REGION: _l("Region"),
    OrganisationKind.MUNICIPALITY: _l("Municipality"),
    OrganisationKind.HOSPITAL: _l("Hospital"),
    OrganisationKind.GP_CLINIC: _l("GP clinic"),
    OrganisationKind.CONTRACTOR: _l("Contractor"),
}


class OrganisationForm(AppForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    code = StringField(_l("Code (municipality code, SOR or CVR)"), validators=[Optional(), Length(max=20)])
    cluster_id = SelectField(_l("Hospital cluster"), coerce=int, validators=[Optional()])
    is_active = BooleanField(_l("Active"), default=True)
