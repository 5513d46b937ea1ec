"""Training's part of the citizen timeline: trainings of the citizen and relatives, and follow-up conversations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from servicecenter.auth.models import User
from servicecenter.courses.models import Programme
from servicecenter.errors import N_, Msgid
from servicecenter.timeline import Cursor, Entry, older_than
from servicecenter.training.models import TraineeKind, TrainingRecord
from servicecenter.training.service import METHOD_LABELS, RESULT_LABELS

TRAINING, FOLLOW_UP = "training", "training_follow_up"


def _summary(record: TrainingRecord) -> str:
    """What was checked, as written: "✓ Takes a measurement · ✗ Charges the devices (note)" and the devices."""
    items = [f"{'✓' if a['passed'] else '✗'} {a['item']}" + (f" ({a['note']})" if a.get("note") else "")
             for a in record.checklist]
    models = ", ".join(m["name"] for m in record.device_models)
    return " · ".join(items + ([models] if models else []))


def _training(record: TrainingRecord, programme: str, trainer: str) -> Entry:
    params = {"programme": programme, "method": Msgid(METHOD_LABELS[record.method]),
              "result": Msgid(RESULT_LABELS[record.result]), "name": record.trainee_name or "—"}
    message = (N_("Training of the citizen in %(programme)s (%(method)s): %(result)s")
               if record.trainee_kind == TraineeKind.CITIZEN
               else N_("Training of the relative %(name)s in %(programme)s (%(method)s): %(result)s"))
    return Entry(record.held_at, TRAINING, record.id, "training", message, params, note=_summary(record),
                 actor=trainer, link=_link(record))


def _follow_up(record: TrainingRecord, programme: str, by: str | None) -> Entry:
    message = (N_("Follow-up conversation after the training in %(programme)s")
               if record.trainee_kind == TraineeKind.CITIZEN
               else N_("Follow-up conversation with the relative %(name)s after the training in %(programme)s"))
    return Entry(record.follow_up_held_at, FOLLOW_UP, record.id, "training", message,
                 {"programme": programme, "name": record.trainee_name or "—"}, note=record.follow_up_note,
                 actor=by, link=_link(record))


def _link(record: TrainingRecord):
    return ("courses.view", {"course_id": record.course_id}) if record.course_id else None


def training_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                     categories: set[str]) -> list[Entry]:
    if "training" not in categories:
        return []
    person = aliased(User)
    # Plain columns, not whole records: no eager joins of programme and trainer for rows the page may drop.
    columns = (TrainingRecord.id, TrainingRecord.trainee_kind, TrainingRecord.trainee_name, TrainingRecord.held_at,
               TrainingRecord.method, TrainingRecord.result, TrainingRecord.checklist, TrainingRecord.device_models,
               TrainingRecord.course_id, TrainingRecord.follow_up_held_at, TrainingRecord.follow_up_note)
    base = (select(*columns, Programme.name, person.full_name)
            .join(Programme, Programme.id == TrainingRecord.programme_id)
            .where(TrainingRecord.citizen_id == citizen_id))
    trainings = session.execute(
        base.join(person, person.id == TrainingRecord.trainer_id)
        .where(older_than(TrainingRecord.held_at, TrainingRecord.id, TRAINING, before))
        .order_by(TrainingRecord.held_at.desc(), TrainingRecord.id.desc()).limit(limit + 1)).all()
    follow_ups = session.execute(
        base.outerjoin(person, person.id == TrainingRecord.follow_up_by_id)
        .where(TrainingRecord.follow_up_held_at.is_not(None),
               older_than(TrainingRecord.follow_up_held_at, TrainingRecord.id, FOLLOW_UP, before))
        .order_by(TrainingRecord.follow_up_held_at.desc(), TrainingRecord.id.desc()).limit(limit + 1)).all()
    # A row reads like the record (row.held_at, row.checklist, ...); the programme's and person's names at the end.
    return [_training(row, row.name, row.full_name) for row in trainings] + [
        _follow_up(row, row.name, row.full_name) for row in follow_ups]


training_entries.categories = ("training",)
