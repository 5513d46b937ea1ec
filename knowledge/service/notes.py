"""Experience notes: written by staff about one programme, device model or municipality, revised with every version
kept (a revision row per change, append-only), searched by words, and listed where they apply."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import DeviceModel
from knowledge.models import ExperienceNote, NoteRevision
from servicecenter.audit.service import record_event
from servicecenter.citizens.cpr import looks_like_cpr
from servicecenter.courses.models import Programme
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, Conflict, DomainError
from servicecenter.organisations.models import Organisation, OrganisationKind

TITLE_MAX, BODY_MAX = 120, 4000
# Ten digits, maybe split 6-4 by a dash or a space: what a CPR number looks like in running text.
CPR_CANDIDATE = re.compile(r"(?<!\d)\d{6}[- ]?\d{4}(?!\d)")


@dataclass(frozen=True)
class Subject:
    """What a note is about: exactly one of a programme, a device model, a municipality."""

    kind: str  # "programme" | "model" | "municipality"
    id: int

    @classmethod
    def parse(cls, text: str) -> Subject | None:
        kind, _, ident = (text or "").partition(":")
        if kind in COLUMNS and ident.isdigit() and len(ident) < 10:
            return cls(kind, int(ident))
        return None

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


COLUMNS = {"programme": ExperienceNote.programme_id, "model": ExperienceNote.device_model_id,
           "municipality": ExperienceNote.municipality_id}


def subject_of(note: ExperienceNote) -> Subject:
    for kind, column in COLUMNS.items():
        value = getattr(note, column.key)
        if value is not None:
            return Subject(kind, value)
    raise ValueError("a note without a subject")  # the database's check constraint forbids it


def subject_name(session: Session, subject: Subject) -> str | None:
    """The subject's name, or None if there is no such programme, device model or municipality."""
    if subject.kind == "programme":
        return session.scalar(select(Programme.name).where(Programme.id == subject.id))
    if subject.kind == "model":
        model = session.get(DeviceModel, subject.id)
        return str(model) if model else None
    return session.scalar(select(Organisation.name).where(
        Organisation.id == subject.id, Organisation.kind == OrganisationKind.MUNICIPALITY))


def _checked(session: Session, subject: Subject, title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if subject_name(session, subject) is None:
        raise DomainError(N_("Choose what the note is about."), field="subject")
    if not title:
        raise DomainError(N_("Give the note a title."), field="title")
    if not body:
        raise DomainError(N_("Write the lesson learned."), field="body")
    if len(title) > TITLE_MAX:
        raise DomainError(N_("At most %(max)s characters."), field="title", max=TITLE_MAX)
    if len(body) > BODY_MAX:
        raise DomainError(N_("At most %(max)s characters."), field="body", max=BODY_MAX)
    for field, text in (("title", title), ("body", body)):
        if any(looks_like_cpr(found) for found in CPR_CANDIDATE.findall(text)):
            raise DomainError(N_("A note is read by many: write it without CPR numbers or other personal data."),
                              field=field)
    return title, body


def _search_text(title: str, body: str) -> str:
    return f"{title}\n{body}".casefold()


def create_note(session: Session, *, subject: Subject, title: str, body: str, actor, now: dt.datetime
                ) -> ExperienceNote:
    title, body = _checked(session, subject, title, body)
    note = ExperienceNote(title=title, body=body, search_text=_search_text(title, body), created_at=now,
                          created_by_id=actor.id, updated_at=now, revision_count=1,
                          **{COLUMNS[subject.kind].key: subject.id})
    session.add(note)
    session.flush()
    session.add(NoteRevision(note_id=note.id, number=1, title=title, body=body, author_id=actor.id, at=now))
    record_event(session, actor=actor, action="experience_note.create", entity_type="experience_note",
                 entity_id=note.id, now=now, detail={"subject": str(subject)})
    return note


def revise_note(session: Session, note: ExperienceNote, *, title: str, body: str, expected_version: int, actor,
                now: dt.datetime) -> NoteRevision | None:
    """A new revision if the text changed (None if not); the one who opened an older version is told to reload."""
    if expected_version != note.version:
        raise Conflict(N_("Someone else revised this note after you opened it. Reload it and try again."))
    title, body = _checked(session, subject_of(note), title, body)
    if (title, body) == (note.title, note.body):
        return None
    number = note.revision_count + 1
    revision = NoteRevision(note_id=note.id, number=number, title=title, body=body, author_id=actor.id, at=now)
    session.add(revision)
    note.title, note.body, note.search_text = title, body, _search_text(title, body)
    note.revision_count, note.updated_at = number, now
    session.flush()  # the version check: a revision made meanwhile makes this one fail, not overwrite it
    record_event(session, actor=actor, action="experience_note.revise", entity_type="experience_note",
                 entity_id=note.id, now=now, detail={"revision": number})
    return revision


def get_note(session: Session, note_id: int) -> ExperienceNote:
    return get_or_raise(session, ExperienceNote, note_id, N_("No such note."))


def list_revisions(session: Session, note: ExperienceNote) -> list[NoteRevision]:
    return list(session.scalars(select(NoteRevision).where(NoteRevision.note_id == note.id)
                                .order_by(NoteRevision.number.desc())))


@dataclass(frozen=True)
class NotePage:
    notes: list[ExperienceNote]
    has_next: bool


def search_notes(session: Session, *, words: str = "", subject: Subject | None = None, page: int = 1,
                 per_page: int = 25) -> NotePage:
    """Newest first; every word must occur in the title or the text (case does not matter)."""
    query = select(ExperienceNote)
    for word in words.casefold().split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(ExperienceNote.search_text.like(f"%{escaped}%", escape="\\"))
    if subject is not None:
        query = query.where(COLUMNS[subject.kind] == subject.id)
    rows = list(session.scalars(query.order_by(ExperienceNote.updated_at.desc(), ExperienceNote.id.desc())
                                .offset((page - 1) * per_page).limit(per_page + 1)))
    return NotePage(rows[:per_page], len(rows) > per_page)


def notes_about(session: Session, subject: Subject, *, limit: int = 5) -> NotePage:
    return search_notes(session, subject=subject, per_page=limit)


def subject_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """What a note can be about, grouped: (value, name) per programme, device model and municipality."""
    programmes = session.execute(select(Programme.id, Programme.name).order_by(Programme.name)).all()
    models = session.scalars(select(DeviceModel).order_by(DeviceModel.manufacturer, DeviceModel.name)).all()
    municipalities = session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.kind == OrganisationKind.MUNICIPALITY).order_by(Organisation.name)).all()
    return {"programme": [(f"programme:{i}", name) for i, name in programmes],
            "model": [(f"model:{m.id}", str(m)) for m in models],
            "municipality": [(f"municipality:{i}", name) for i, name in municipalities]}


def subject_names(session: Session, notes: list[ExperienceNote]) -> dict[int, str]:
    """note id -> the name of what it is about (one query per kind, not per note)."""
    names: dict[int, str] = {}
    for kind, choices in subject_choices(session).items():
        lookup = {value: name for value, name in choices}
        for note in notes:
            subject = subject_of(note)
            if subject.kind == kind:
                names[note.id] = lookup.get(str(subject), "")
    return names
