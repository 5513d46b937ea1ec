"""Forms for support's admin pages: knowledge-base articles, canned responses, SLA settings and groups."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from servicecenter.forms import AppForm
from support.models import Priority

WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]
MAX_ARTICLE_BODY = 20_000
# Times are typed as text (a browser's time picker may show AM/PM); Danes also write 08.00.
TIME_FORMATS = ["%H:%M", "%H.%M"]


class ArticleForm(AppForm):
    device_model_id = SelectField(_l("Device model"), coerce=int, default=0)  # 0: any model
    category = SelectField(_l("Category"), default="")  # "": any category
    title_da = StringField(_l("Title in Danish"), validators=[DataRequired(), Length(max=200)])
    body_da = TextAreaField(_l("Text in Danish"), validators=[DataRequired(), Length(max=MAX_ARTICLE_BODY)])
    title_en = StringField(_l("Title in English"), validators=[DataRequired(), Length(max=200)])
    body_en = TextAreaField(_l("Text in English"), validators=[DataRequired(), Length(max=MAX_ARTICLE_BODY)])


class CannedForm(AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=5000)])


class GroupForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    round_robin = BooleanField(_l("Hand out new tickets in turn to the members on duty (round-robin)"))
    members = SelectMultipleField(_l("Members"), coerce=int, validators=[Optional()],
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


# --- SLA settings ----------------------------------------------------------------------------------------------

_CLOCK = re.compile(r"(\d{1,4}):([0-5]\d)")
_UNITS = re.compile(r"(?:(\d{1,4})\s*(?:t|h|timer?|hours?))?\s*(?:(\d{1,6})\s*(?:m|min|minutter|minutes?)?)?",
                    re.IGNORECASE)


def parse_duration(text: str) -> int | None:
    """Minutes from "4:30", "270", "4 t 30 min", "4h" or "45 min"; None if it is none of those."""
    text = text.strip()
    if clock := _CLOCK.fullmatch(text):
        return int(clock[1]) * 60 + int(clock[2])
    units = _UNITS.fullmatch(text)
    if not text or units is None:
        return None
    return int(units[1] or 0) * 60 + int(units[2] or 0)


class DurationField(StringField):
    """A duration in whole minutes, written as hours:minutes (4:30) or minutes (270); shown as hours:minutes."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = parse_duration(valuelist[0])
            if self.data is None:
                raise ValueError(_l("Write hours and minutes as 4:30, or minutes as 270."))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data // 60}:{self.data % 60:02d}" if isinstance(self.data, int) else ""


class SettingsForm(AppForm):
    """Per priority `P1_first`, `P1_resolution`, `P1_business`; per weekday `day0` (open), `day0_opens`,
    `day0_closes`. The names are the ones the settings service gives its errors."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for weekday in range(7):
            if self[f"day{weekday}"].data and (self[f"day{weekday}_opens"].data is None
                                               or self[f"day{weekday}_closes"].data is None):
                self[f"day{weekday}"].errors.append(_l("Give the opening and the closing time."))
                valid = False
        return valid

    def policies(self) -> dict[Priority, tuple[int, int, bool]]:
        return {p: (self[f"{p.value}_first"].data, self[f"{p.value}_resolution"].data,
                    self[f"{p.value}_business"].data) for p in Priority}

    def hours(self) -> dict[int, tuple[dt.time, dt.time]]:
        return {d: (self[f"day{d}_opens"].data, self[f"day{d}_closes"].data) for d in range(7) if self[f"day{d}"].data}

    def fill(self, policies, hours: dict[int, tuple[dt.time, dt.time]]) -> None:
        """Show the stored settings (policies: {Priority: sla.SlaPolicy})."""
        for priority, policy in policies.items():
            self[f"{priority.value}_first"].data = int(policy.first_response.total_seconds() // 60)
            self[f"{priority.value}_resolution"].data = int(policy.resolution.total_seconds() // 60)
            self[f"{priority.value}_business"].data = policy.business_hours
        for weekday in range(7):
            opens, closes = hours.get(weekday, (None, None))
            self[f"day{weekday}"].data = weekday in hours
            self[f"day{weekday}_opens"].data, self[f"day{weekday}_closes"].data = opens, closes


for _p in Priority:
    setattr(SettingsForm, f"{_p.value}_first", DurationField(_l("First response"), validators=[InputRequired()]))
    setattr(SettingsForm, f"{_p.value}_resolution", DurationField(_l("Resolution"), validators=[InputRequired()]))
    setattr(SettingsForm, f"{_p.value}_business", BooleanField(_l("Business hours only")))
for _d, _name in enumerate(WEEKDAYS):
    setattr(SettingsForm, f"day{_d}", BooleanField(_name))
    setattr(SettingsForm, f"day{_d}_opens", TimeField(_l("Opens"), format=TIME_FORMATS, widget=TextInput(),
                                                      validators=[Optional()]))
    setattr(SettingsForm, f"day{_d}_closes", TimeField(_l("Closes"), format=TIME_FORMATS, widget=TextInput(),
                                                       validators=[Optional()]))
