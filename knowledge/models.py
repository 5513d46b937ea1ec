"""Experience notes: short lessons learned tied to one programme, device model or municipality, and their revisions
(append-only: a change adds a revision, the note shows the newest and keeps every earlier one)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.db import AppendOnly, Base, UTCDateTime

ONE_SUBJECT = ("(CASE WHEN programme_id IS NULL THEN 0 ELSE 1 END + CASE WHEN device_model_id IS NULL THEN 0 ELSE 1 "
               "END + CASE WHEN municipality_id IS NULL THEN 0 ELSE 1 END) = 1")


class ExperienceNote(Base):
    """The note as it reads now: title and body copy its newest revision (written in the same transaction), and
    `search_text` holds both case-folded so a search finds "Ærø" as "ærø" in SQLite too."""

    __tablename__ = "experience_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    device_model_id: Mapped[int | None] = mapped_column(ForeignKey("device_models.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revision_count: Mapped[int] = mapped_column(default=1)
    version: Mapped[int] = mapped_column(default=1)

    created_by = relationship("User", lazy="joined", foreign_keys=[created_by_id])
    revisions: Mapped[list[NoteRevision]] = relationship(order_by="NoteRevision.number.desc()", lazy="select",
                                                         back_populates="note")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - two people revising at once: one is told
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        Index("ix_experience_notes_updated", "updated_at", "id"),
    )


class NoteRevision(AppendOnly, Base):
    """One version of a note, never changed: number 1 is the note as first written."""

    __tablename__ = "experience_note_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("experience_notes.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    author = relationship("User", lazy="joined")
    note: Mapped[ExperienceNote] = relationship(back_populates="revisions")

    __table_args__ = (UniqueConstraint("note_id", "number", name="uq_experience_note_revisions_note_number"),)
