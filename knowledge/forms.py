"""Forms of the experience notes (CSRF on every POST, through AppForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from knowledge.service.notes import BODY_MAX, TITLE_MAX
from servicecenter.forms import AppForm

SUBJECT_GROUPS = {"programme": _l("Programmes"), "model": _l("Device models"), "municipality": _l("Municipalities")}


class NoteForm(AppForm):
    subject = SelectField(_l("About"), validators=[DataRequired(_l("Choose what the note is about."))],
                          validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the note a title.")), Length(max=TITLE_MAX)],
                        render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Lesson learned"), validators=[DataRequired(_l("Write the lesson learned.")),
                                                         Length(max=BODY_MAX)],
                         render_kw={"rows": 6, "maxlength": BODY_MAX})

    def set_subjects(self, choices: dict[str, list[tuple[str, str]]]) -> NoteForm:
        self.subject.choices = {str(SUBJECT_GROUPS[kind]): options for kind, options in choices.items() if options}
        return self


class ReviseForm(AppForm):
    version = HiddenField()
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the note a title.")), Length(max=TITLE_MAX)],
                        render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Lesson learned"), validators=[DataRequired(_l("Write the lesson learned.")),
                                                         Length(max=BODY_MAX)],
                         render_kw={"rows": 6, "maxlength": BODY_MAX})
