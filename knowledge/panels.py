"""The notes panel shown where notes apply: on a device model's page and a programme's page (through the
`device_model_panels` and `programme_panels` extension points), and on the equipment model page."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from markupsafe import Markup

from knowledge.service.notes import Subject, notes_about
from servicecenter.auth.permissions import can_compare_equipment, can_read_notes, can_write_notes
from servicecenter.extensions import db_session


def notes_panel(subject: Subject, *, more: bool = True) -> Markup:
    """The newest notes about the subject, for those who may read notes; `more` adds the link to the model's
    figures (not on the figures page itself)."""
    if not can_read_notes(current_user):
        return Markup("")
    html = render_template("knowledge/_notes_panel.html", subject=subject, found=notes_about(db_session(), subject),
                           may_write=can_write_notes(current_user),
                           figures=more and subject.kind == "model" and can_compare_equipment(current_user))
    return Markup(html)  # noqa: S704 - render_template has already escaped everything in it


def device_model_panel(model) -> Markup:
    return notes_panel(Subject("model", model.id))


def programme_panel(programme) -> Markup:
    return notes_panel(Subject("programme", programme.id)) if programme is not None else Markup("")
