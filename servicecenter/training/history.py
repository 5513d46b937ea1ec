"""Training's part of the citizen timeline: trainings of the citizen and relatives, and follow-up conversations."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from servicecenter.auth.models import User
from servicecenter.courses.models import Programme
from servicecenter.errors import N_, Msgid
from servicecenter.timeline import Cursor, Entry, keyset_params, keyset_position, older_than_bound
from servicecenter.training.models import TraineeKind, TrainingRecord
from servicecenter.training.service import METHOD_LABELS, RESULT_LABELS

TRAINING, FOLLOW_UP = "training", "training_follow_up"
PERSON = aliased(User)


def _summary(record) -> str:
    """What was checked, as written: "✓ Takes a measurement · ✗ Charges the devices (note)" and the devices."""
    items = [f"{'✓' if a['passed'] else '✗'} {a['item']}" + (f" ({a['note']})" if a.get("note") else "")
             for a in record.checklist]
    models = ", ".join(m["name"] for m in record.device_models)
    return " · ".join(items + ([models] if models else []))


def _training(record) -> Entry:
    params = {"programme": record.programme, "method": Msgid(METHOD_LABELS[record.method]),
              "result": Msgid(RESULT_LABELS[record.result]), "name": record.trainee_name or "—"}
    message = (N_("Training of the citizen in %(programme)s (%(method)s): %(result)s")
               if record.trainee_kind == TraineeKind.CITIZEN
               else N_("Training of the relative %(name)s in %(programme)s (%(method)s): %(result)s"))
    return Entry(record.held_at, TRAINING, record.id, "training", message, params, note=_summary(record),
                 actor=record.person, link=_link(record))


def _follow_up(record) -> Entry:
    message = (N_("Follow-up conversation after the training in %(programme)s")
               if record.trainee_kind == TraineeKind.CITIZEN
               else N_("Follow-up conversation with the relative %(name)s after the training in %(programme)s"))
    return Entry(record.follow_up_held_at, FOLLOW_UP, record.id, "training", message,
                 {"programme": record.programme, "name": record.trainee_name or "—"}, note=record.follow_up_note,
                 actor=record.person, link=_link(record))


def _link(record):
    return ("courses.view", {"course_id": record.course_id}) if record.course_id else None


def _base():
    return (select(TrainingRecord.id, TrainingRecord.trainee_kind, TrainingRecord.trainee_name,
                   TrainingRecord.course_id, Programme.name.label("programme"), PERSON.full_name.label("person"))
            .join(Programme, Programme.id == TrainingRecord.programme_id)
            .where(TrainingRecord.citizen_id == bindparam("citizen_id")))


# Plain columns, not whole records, and each query only what its entries show (a follow-up has no checklist).
@cache
def _trainings(position: str):
    return (_base().add_columns(TrainingRecord.held_at, TrainingRecord.method, TrainingRecord.result,
                                TrainingRecord.checklist, TrainingRecord.device_models)
            .join(PERSON, PERSON.id == TrainingRecord.trainer_id)
            .where(older_than_bound(TrainingRecord.held_at, TrainingRecord.id, position))
            .order_by(TrainingRecord.held_at.desc(), TrainingRecord.id.desc()).limit(bindparam("page")))


@cache
def _follow_ups(position: str):
    return (_base().add_columns(TrainingRecord.follow_up_held_at, TrainingRecord.follow_up_note)
            .outerjoin(PERSON, PERSON.id == TrainingRecord.follow_up_by_id)
            .where(TrainingRecord.follow_up_held_at.is_not(None),
                   older_than_bound(TrainingRecord.follow_up_held_at, TrainingRecord.id, position))
            .order_by(TrainingRecord.follow_up_held_at.desc(), TrainingRecord.id.desc()).limit(bindparam("page")))


def training_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                     categories: set[str]) -> list[Entry]:
    if "training" not in categories:
        return []
    params = {"citizen_id": citizen_id, "page": limit + 1, **keyset_params(before)}
    trainings = session.execute(_trainings(keyset_position(TRAINING, before)), params).all()
    follow_ups = session.execute(_follow_ups(keyset_position(FOLLOW_UP, before)), params).all()
    # A row reads like the record (row.held_at, row.checklist, ...), with the programme's and person's names.
    return [_training(row) for row in trainings] + [_follow_up(row) for row in follow_ups]


training_entries.categories = ("training",)
