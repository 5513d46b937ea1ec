"""Experience notes: written about one subject, revised with every version kept (append-only, in the database
too), searched by words, refused with CPR numbers in them, and each change audited in its own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from knowledge.models import ExperienceNote, NoteRevision
from knowledge.service import notes
from knowledge.service.notes import Subject
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.db import LedgerViolation, unit_of_work, utcnow
from servicecenter.errors import Conflict, DomainError
from tests.knowledge.dataset import build


@pytest.fixture
def fleet(session):
    return build(session)


def _write(session, actor, subject, title="Opladeren", body="Brug den korte ledning."):
    with unit_of_work(session):
        return notes.create_note(session, subject=subject, title=title, body=body, actor=actor, now=utcnow())


def test_a_note_is_written_about_one_subject_with_its_first_revision_and_an_audit_row(session, factory, fleet):
    author = factory.user(Role.TECHNICIAN)
    note = _write(session, author, Subject("model", fleet.beta.id))
    assert (note.device_model_id, note.programme_id, note.municipality_id) == (fleet.beta.id, None, None)
    assert [(r.number, r.title, r.author_id) for r in notes.list_revisions(session, note)] == [
        (1, "Opladeren", author.id)]
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "experience_note.create", AuditEvent.entity_id == note.id)) == 1


def test_a_revision_keeps_the_earlier_text_and_an_unchanged_one_adds_nothing(session, factory, fleet):
    author, other = factory.user(Role.TECHNICIAN), factory.user(Role.WAREHOUSE)
    note = _write(session, author, Subject("programme", fleet.programme.id))
    with unit_of_work(session):
        notes.revise_note(session, note, title="Opladeren", body="Brug den lange ledning.", expected_version=1,
                          actor=other, now=utcnow())
    with unit_of_work(session):
        assert notes.revise_note(session, note, title="Opladeren", body="Brug den lange ledning.",
                                 expected_version=note.version, actor=other, now=utcnow()) is None
    history = [(r.number, r.body, r.author_id) for r in notes.list_revisions(session, note)]
    assert history == [(2, "Brug den lange ledning.", other.id), (1, "Brug den korte ledning.", author.id)]
    assert (note.body, note.revision_count) == ("Brug den lange ledning.", 2)


def test_revising_an_older_version_is_refused(session, factory, fleet):
    author = factory.user(Role.COORDINATOR)
    note = _write(session, author, Subject("municipality", fleet.municipality.id))
    with unit_of_work(session):
        notes.revise_note(session, note, title="Ny", body="Første rettelse", expected_version=1, actor=author,
                          now=utcnow())
    with pytest.raises(Conflict), unit_of_work(session):
        notes.revise_note(session, note, title="Ny", body="Anden rettelse", expected_version=1, actor=author,
                          now=utcnow())
    assert session.scalar(select(func.count()).select_from(NoteRevision).where(NoteRevision.note_id == note.id)) == 2


@pytest.mark.parametrize(("subject", "title", "body", "field"), [
    ("programme:0", "Titel", "Tekst", "subject"),
    ("municipality:-", "Titel", "Tekst", "subject"),
    ("model:{beta}", "  ", "Tekst", "title"),
    ("model:{beta}", "Titel", "", "body"),
    ("model:{beta}", "Titel", "x" * 4001, "body"),
    ("model:{beta}", "Titel", "Borgeren 010190-1234 ringede", "body"),
    ("model:{beta}", "Om 0101901234", "Tekst", "title"),
])
def test_what_is_refused_is_named_at_its_field(session, factory, fleet, subject, title, body, field):
    subject = Subject.parse(subject.format(beta=fleet.beta.id)) or Subject("programme", 0)
    with pytest.raises(DomainError) as refused, unit_of_work(session):
        notes.create_note(session, subject=subject, title=title, body=body, actor=factory.user(Role.HELPDESK),
                          now=utcnow())
    assert refused.value.field == field


def test_a_phone_number_is_not_taken_for_a_cpr_number(session, factory, fleet):
    note = _write(session, factory.user(Role.HELPDESK), Subject("model", fleet.beta.id), body="Ring 4512 3456 78")
    assert note.id


def test_a_municipality_subject_must_be_a_municipality(session, factory, fleet):
    owner_region = fleet.devices["A1"].owner_organisation_id  # a region, not a municipality
    with pytest.raises(DomainError), unit_of_work(session):
        notes.create_note(session, subject=Subject("municipality", owner_region), title="T", body="B",
                          actor=factory.user(Role.HELPDESK), now=utcnow())
    assert session.scalar(select(func.count()).select_from(ExperienceNote)) == 0


def test_search_finds_every_word_in_any_case_newest_first_with_pages(session, factory, fleet):
    author = factory.user(Role.TECHNICIAN)
    model = Subject("model", fleet.beta.id)
    _write(session, author, model, title="Ærø-ruten", body="Færgen tager vægten med")
    _write(session, author, model, title="Vægten", body="Batteriet 50% tomt")
    _write(session, author, Subject("programme", fleet.programme.id), title="KOL", body="Husk vægten")
    assert [n.title for n in notes.search_notes(session, words="VÆGTEN").notes] == ["KOL", "Vægten", "Ærø-ruten"]
    assert [n.title for n in notes.search_notes(session, words="ærø færgen").notes] == ["Ærø-ruten"]
    assert [n.title for n in notes.search_notes(session, words="50%").notes] == ["Vægten"]
    assert notes.search_notes(session, words="_").notes == []  # a LIKE wildcard is a character, not "any"
    assert [n.title for n in notes.search_notes(session, subject=model).notes] == ["Vægten", "Ærø-ruten"]
    first = notes.search_notes(session, words="vægten", per_page=2)
    second = notes.search_notes(session, words="vægten", per_page=2, page=2)
    assert (len(first.notes), first.has_next, [n.title for n in second.notes], second.has_next) == (
        2, True, ["Ærø-ruten"], False)


def test_revisions_are_append_only_in_the_orm_and_in_the_database(session, factory, fleet):
    note = _write(session, factory.user(Role.TECHNICIAN), Subject("model", fleet.beta.id))
    with pytest.raises(LedgerViolation), unit_of_work(session):
        notes.list_revisions(session, note)[0].body = "changed"
        session.flush()
    session.rollback()
    with pytest.raises(DBAPIError), unit_of_work(session):
        session.execute(text("UPDATE experience_note_revisions SET body = 'changed'"))


def test_the_database_refuses_a_note_about_two_subjects(session, factory, fleet):
    note = _write(session, factory.user(Role.TECHNICIAN), Subject("model", fleet.beta.id))
    with pytest.raises(DBAPIError), unit_of_work(session):
        session.execute(text("UPDATE experience_notes SET programme_id = :p WHERE id = :n"),
                        {"p": fleet.programme.id, "n": note.id})
