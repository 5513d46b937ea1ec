"""The base of every form. WTForms' own messages ("This field is required.", "Not a valid date value.") come from
the app's catalogue in the user's language: WTForms ships no Danish, so Flask-WTF's i18n would leave them English."""

from __future__ import annotations

from flask_babel import get_translations, gettext, ngettext
from flask_wtf import FlaskForm


class _CatalogueTranslations:
    """What WTForms asks its fields' `gettext`/`ngettext` for; WTForms fills in the %(...)s values itself."""

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


TRANSLATIONS = _CatalogueTranslations()


class AppForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return TRANSLATIONS


def library_messages() -> list[str]:
    """Every message WTForms' fields and validators used in the app can show, translated: written here so that
    `make messages` extracts them into the catalogue (tests/test_form_messages.py checks each has Danish)."""
    return [
        gettext("This field is required."),  # DataRequired, InputRequired
        ngettext("Field must be at least %(min)d character long.",
                 "Field must be at least %(min)d characters long.", 2, min=2),  # Length
        ngettext("Field cannot be longer than %(max)d character.",
                 "Field cannot be longer than %(max)d characters.", 2, max=2),
        ngettext("Field must be exactly %(max)d character long.",
                 "Field must be exactly %(max)d characters long.", 2, max=2),
        gettext("Field must be between %(min)d and %(max)d characters long.", min=1, max=2),
        gettext("Number must be at least %(min)s.", min=1),  # NumberRange
        gettext("Number must be at most %(max)s.", max=1),
        gettext("Number must be between %(min)s and %(max)s.", min=1, max=2),
        gettext("Invalid email address."),  # Email
        gettext("Invalid input."),  # Regexp
        gettext("Invalid value, must be one of: %(values)s.", values="a"),  # AnyOf
        gettext("Not a valid choice."),  # SelectField
        gettext("Invalid Choice: could not coerce."),
        gettext("Invalid choice(s): one or more data inputs could not be coerced."),  # SelectMultipleField
        ngettext("'%(value)s' is not a valid choice for this field.",
                 "'%(value)s' are not valid choices for this field.", 2, value="a"),
        gettext("Not a valid date value."),  # DateField
        gettext("Not a valid datetime value."),  # DateTimeLocalField
        gettext("Not a valid time value."),  # TimeField
        gettext("Not a valid integer value."),  # IntegerField
        gettext("Not a valid decimal value."),
        gettext("Not a valid float value."),  # FloatField
    ]


def expected_version(form) -> int:
    """The version of the record the person had open (a hidden field): 0 when missing or tampered with, which no
    record has, so the save is refused as stale rather than failing."""
    try:
        return int(form.version.data or 0)
    except ValueError:
        return 0
