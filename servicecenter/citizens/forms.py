"""Citizen, contact person and search forms, and the citizen form as the service's input. Lengths match the columns,
so nothing is cut on save."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from servicecenter.citizens.cpr import mask_cpr
from servicecenter.citizens.models import Citizen, ContactKind
from servicecenter.citizens.service import UNCHANGED, CitizenData
from servicecenter.forms import AppForm

LANGUAGES = [("da", _l("Danish")), ("en", _l("English")), ("de", _l("German")), ("ar", _l("Arabic")),
             ("tr", _l("Turkish")), ("pl", _l("Polish")), ("other", _l("Other"))]

CONTACT_KIND_LABELS = {
    ContactKind.RELATIVE: _l("Relative"),
    ContactKind.HOME_CARE: _l("Home care"),
    ContactKind.GP: _l("GP"),
    ContactKind.OTHER: _l("Other"),
}


class CitizenForm(AppForm):
    cpr = StringField(_l("CPR number"), validators=[DataRequired(), Length(max=11)],
                      render_kw={"autocomplete": "off", "inputmode": "numeric", "placeholder": "DDMMYY-SSSS"})
    first_name = StringField(_l("First name(s)"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=4)],
                              render_kw={"inputmode": "numeric"})
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    municipality_id = SelectField(_l("Municipality"), coerce=int, validators=[DataRequired()])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "tel"})
    mobile = StringField(_l("Mobile"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "tel"})
    language = SelectField(_l("Language"), choices=LANGUAGES)
    special_needs = TextAreaField(_l("Special needs"), validators=[Optional(), Length(max=2000)])
    access_notes = TextAreaField(_l("Access notes (key box, door code)"), validators=[Optional(), Length(max=2000)])
    responsible_organisation_id = SelectField(_l("Responsible organisation"), coerce=int, validators=[Optional()])
    version = HiddenField()


def citizen_data(form: CitizenForm, citizen: Citizen | None = None) -> CitizenData:
    """The form as the service's input. On an edit, a field left as it was shown is UNCHANGED, so saving changes
    only what the person changed (a select or a text area that cannot give back the stored value exactly)."""
    data = {name: _entered(form[name], citizen, name) if name in form else UNCHANGED
            for name in CitizenData.__dataclass_fields__}
    if data["responsible_organisation_id"] is not UNCHANGED:
        data["responsible_organisation_id"] = data["responsible_organisation_id"] or None
    return CitizenData(**data)


def _entered(field, citizen: Citizen | None, name: str):
    if citizen is not None and _plain(field.data) == _plain(getattr(citizen, name)):
        return UNCHANGED
    if citizen is not None and name == "cpr" and _plain(field.data) == mask_cpr(citizen.cpr):
        return UNCHANGED  # the edit form shows the CPR masked: the full number only after the audited reveal
    return field.data


def _plain(value):
    """Empty is empty (None, "", 0 for "none chosen"), and a browser sends line breaks as CR LF."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").strip()
    return value or None


class ContactForm(AppForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in CONTACT_KIND_LABELS.items()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    relation = StringField(_l("Relation"), validators=[Optional(), Length(max=80)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    may_contact = BooleanField(_l("May be contacted"))


class SearchForm(AppForm):
    q = StringField(_l("CPR, name, phone or address"), validators=[DataRequired(), Length(min=2, max=100)],
                    render_kw={"autocomplete": "off", "autofocus": True})


class BreakGlassForm(AppForm):
    cpr = StringField(_l("The citizen's CPR number"), validators=[DataRequired(), Length(max=11)],
                      render_kw={"autocomplete": "off", "inputmode": "numeric", "placeholder": "DDMMYY-SSSS"})
    reason = TextAreaField(_l("Why you need the record"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"placeholder": _l("e.g. Taking over Kim's stop: Kim is ill")})
