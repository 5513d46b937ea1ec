"""The reads of a listed page: one row per citizen named, written as one statement over an array on PostgreSQL and
as an executemany elsewhere (issue 17) — the same rows either way."""

from __future__ import annotations

from sqlalchemy import select

from servicecenter.audit.models import AuditEvent, Outcome
from servicecenter.audit.service import record_reads
from servicecenter.auth.models import Role
from servicecenter.db import unit_of_work, utcnow


def test_each_citizen_named_once_gets_a_row_with_who_read_it(session, factory):
    nurse = factory.user(Role.NURSE)
    first, second, third = factory.citizen(), factory.citizen(), factory.citizen()
    now = utcnow()
    with unit_of_work(session):
        record_reads(session, [second.id, first.id, second.id, third.id], actor=nurse, action="citizen.list_test",
                     now=now, purpose="care")
        record_reads(session, [], actor=nurse, action="citizen.list_test", now=now, purpose="care")  # nothing
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "citizen.list_test")
                                .order_by(AuditEvent.id)))
    assert [r.citizen_id for r in rows] == [second.id, first.id, third.id]  # in the page's order, once each
    assert {(r.actor_id, r.actor_role, r.actor_organisation_id, r.entity_type, r.purpose, r.outcome) for r in rows} == {
        (nurse.id, "nurse", nurse.organisation_id, "citizen", "care", Outcome.ALLOWED)}
    assert all(r.entity_id == r.citizen_id and r.at == now for r in rows)
