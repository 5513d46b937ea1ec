"""Training forms. The checklist items come from the programme, so they are read from the request by index."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from servicecenter.db import LOCAL_ZONE
from servicecenter.forms import AppForm
from servicecenter.training.models import TrainingMethod, TrainingResult
from servicecenter.training.service import METHOD_LABELS, RESULT_LABELS, ChecklistAnswer


class TrainingForm(AppForm):
    trainee = SelectField(_l("Who was trained"), validators=[InputRequired()])
    trainer_id = SelectField(_l("Trainer"), coerce=int, validators=[DataRequired()])
    held_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    method = SelectField(_l("How"), choices=[(m.value, _l(METHOD_LABELS[m])) for m in TrainingMethod])
    result = SelectField(_l("Result"), validators=[InputRequired()],
                         choices=[("", _l("— choose —"))] + [(r.value, _l(RESULT_LABELS[r])) for r in TrainingResult])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    held_at_default = HiddenField()  # the time filled in when the form was opened


class StaffTrainingForm(TrainingForm):
    programme_id = SelectField(_l("Programme"), coerce=int, validators=[DataRequired()])


def held_at_utc(form: TrainingForm, now: dt.datetime) -> dt.datetime:
    """The form's local (Copenhagen) wall-clock time as a UTC moment. The field has minutes only: left at its
    default (the time the form was opened) it means now, so the training sorts after what happened meanwhile."""
    if form.held_at_default.data and form.held_at.raw_data and form.held_at.raw_data[0] == form.held_at_default.data:
        return now
    return form.held_at.data.replace(tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


def checklist_answers(values, items: list[str]) -> list[ChecklistAnswer]:
    """item-N-text (the item as the form showed it), item-N-passed (a checkbox) and item-N-note for each item.
    On a fresh form (nothing posted) the programme's items, unticked."""
    if "item-0-text" not in values:
        return [ChecklistAnswer(item, False, "") for item in items]
    answers, n = [], 0
    while f"item-{n}-text" in values and n < 100:
        answers.append(ChecklistAnswer(values[f"item-{n}-text"], values.get(f"item-{n}-passed") == "on",
                                       values.get(f"item-{n}-note", "")[:501]))
        n += 1
    return answers
