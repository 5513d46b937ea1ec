"""The data layer: one commit point, UTC times, SQLite write locking, append-only ledgers, migrations."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from servicecenter.audit.models import AuditEvent
from servicecenter.audit.service import record_event
from servicecenter.db import LedgerViolation, make_engine, make_session_factory, unit_of_work, utcnow
from servicecenter.organisations.models import Organisation
from tests.conftest import make_test_app


def test_unit_of_work_commits_on_success_and_rolls_back_on_error(session):
    org = session.scalar(select(Organisation).limit(1))
    original = org.name
    with pytest.raises(RuntimeError), unit_of_work(session):
        org.name = "Half-saved"
        raise RuntimeError("boom")
    session.expire_all()
    assert session.get(Organisation, org.id).name == original

    with unit_of_work(session):
        session.get(Organisation, org.id).name = "Saved"
    session.expire_all()
    assert session.get(Organisation, org.id).name == "Saved"


def test_changes_outside_a_unit_of_work_are_refused(session):
    session.scalar(select(Organisation).limit(1)).name = "sneaky"
    with pytest.raises(RuntimeError, match="outside a unit of work"), unit_of_work(session):
        pass
    session.rollback()


def test_times_are_stored_and_read_back_as_aware_utc(session):
    copenhagen = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 3, 1, 12, 0, tzinfo=copenhagen)
    with unit_of_work(session):
        event = record_event(session, actor=None, action="test", entity_type="x", entity_id=1, now=at)
    session.expire_all()
    loaded = session.get(AuditEvent, event.id).at
    assert loaded.tzinfo is not None and loaded.utcoffset() == dt.timedelta(0)
    assert loaded == at


def test_naive_datetimes_are_refused(session):
    with pytest.raises(Exception, match="naive datetime"), unit_of_work(session):
        record_event(session, actor=None, action="t", entity_type="x", entity_id=1, now=dt.datetime(2026, 1, 1))
        session.flush()


def test_audit_rows_cannot_be_changed_through_the_orm(session):
    with unit_of_work(session):
        event = record_event(session, actor=None, action="t", entity_type="x", entity_id=1, now=utcnow())
    with pytest.raises(LedgerViolation), unit_of_work(session):
        session.get(AuditEvent, event.id).action = "rewritten"
    with pytest.raises(LedgerViolation), unit_of_work(session):
        session.delete(session.get(AuditEvent, event.id))
    from sqlalchemy import update

    with pytest.raises(LedgerViolation), unit_of_work(session):
        session.execute(update(AuditEvent).values(action="bulk"))


def test_audit_rows_cannot_be_changed_with_raw_sql(session):
    with unit_of_work(session):
        event = record_event(session, actor=None, action="t", entity_type="x", entity_id=1, now=utcnow())
    for statement in ("UPDATE audit_events SET action = 'x' WHERE id = :id", "DELETE FROM audit_events WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"), unit_of_work(session):
            session.execute(text(statement), {"id": event.id})
    session.expire_all()
    assert session.get(AuditEvent, event.id).action == "t"


def test_sqlite_write_transactions_take_the_lock_up_front(sqlite_url):
    """Two writers that read first and write later: with a deferred BEGIN one of them fails with "database is
    locked"; with BEGIN IMMEDIATE the second waits and both succeed, one after the other."""
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    with engine.begin() as conn:
        org_id = conn.execute(text("SELECT min(id) FROM organisations")).scalar()
        conn.execute(text("UPDATE organisations SET name = '0' WHERE id = :id"), {"id": org_id})
    errors: list[Exception] = []

    def increment():
        session = factory()
        try:
            with unit_of_work(session):
                org = session.get(Organisation, org_id)
                value = int(org.name)
                time.sleep(0.2)
                org.name = str(value + 1)
        except Exception as error:  # noqa: BLE001 - the test reports what went wrong
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=increment) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM organisations WHERE id = :id"), {"id": org_id}).scalar() == "2"
    engine.dispose()


def test_sqlite_pragmas(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_an_unmigrated_database_is_refused_with_the_command_to_run(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'empty.db'}")
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert b"flask --app app db upgrade" in response.data
    assert b"Traceback" not in response.data


def test_cpr_numbers_never_reach_the_log_from_database_errors(session):
    """SQLAlchemy's parameter echo is off, and the log formatter blanks CPR-shaped numbers that a database
    server puts in its own message (PostgreSQL's "Failing row contains ...")."""
    import logging

    from sqlalchemy.exc import IntegrityError

    from servicecenter.logredact import RedactingFormatter

    with pytest.raises(IntegrityError) as error, unit_of_work(session):
        session.execute(text("INSERT INTO organisations (kind, code, name, is_active) VALUES (:k, :c, :n, :a)"),
                        {"k": "region", "c": "0101501234", "n": None, "a": True})
    assert "parameters hidden" in str(error.value)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "unhandled error", None,
                               (type(error.value), error.value, error.value.__traceback__))
    formatted = RedactingFormatter().format(record)
    assert "0101501234" not in formatted and "010150-1234" not in formatted


def test_postgresql_ledgers_refuse_truncate(pg_database):
    """Row triggers do not see TRUNCATE; a statement trigger refuses it. (SQLite has no TRUNCATE.)"""
    engine = make_engine(pg_database)
    session = make_session_factory(engine)()
    try:
        for table in ("audit_events", "movements", "login_attempts", "signoffs"):
            with pytest.raises(DBAPIError, match="no TRUNCATE"), unit_of_work(session):
                session.execute(text(f"TRUNCATE {table} CASCADE"))
    finally:
        session.close()
        engine.dispose()


def test_the_apps_postgresql_connections_start_no_parallel_workers(pg_database):
    """Issue 17: a parallel worker's start cost the pages' short queries more than it saved (PG_PARALLEL_WORKERS_
    PER_GATHER, default 0); an empty setting keeps the server's."""
    for setting, expected in ((0, "0"), (None, None)):
        app = make_test_app(pg_database, PG_PARALLEL_WORKERS_PER_GATHER=setting)
        engine = app.extensions["database"].engine
        with engine.connect() as conn:
            shown = conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar()
            server = conn.execute(text("SELECT boot_val FROM pg_settings WHERE name = 'max_parallel_workers_per_gather'"
                                       )).scalar()
        engine.dispose()
        assert shown == (expected or server)
    assert server != "0"  # the server's own setting differs, so the first case shows the app's
