"""Login, password and user administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from servicecenter.auth.models import Role
from servicecenter.forms import AppForm

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.HELPDESK: _l("Helpdesk"),
    Role.TECHNICIAN: _l("Technician"),
    Role.WAREHOUSE: _l("Warehouse"),
    Role.NURSE: _l("Nurse"),
}


class LoginForm(AppForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class ChangePasswordForm(AppForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])


class UserForm(AppForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(min=2, max=60),
                    Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters a-z, digits, dot, dash or underscore."))],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[Length(max=128)])


class ResetPasswordForm(AppForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
