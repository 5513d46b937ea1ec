"""The data layer's shared parts: declarative Base, UTC time type, engine set-up and the one commit point."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum, MetaData, create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    """A portable enum column: stored as its value in a VARCHAR, no native database enum type."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


LOCAL_ZONE = ZoneInfo("Europe/Copenhagen")  # where the service center works: days and deadlines are local


def local_date(moment: dt.datetime) -> dt.date:
    """The Copenhagen calendar day of a stored (UTC) moment."""
    return moment.astimezone(LOCAL_ZONE).date()


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend; naive datetimes are refused, never guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def make_engine(url: str, *, parallel_workers: int | None = None, **kwargs) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGIN handling. Parameters
    are hidden from error messages, which end up in logs: they can be CPR numbers.

    `parallel_workers` sets PostgreSQL's max_parallel_workers_per_gather for the engine's connections (None: the
    server's setting). The app sets 0 (PG_PARALLEL_WORKERS_PER_GATHER): starting parallel workers cost a page's
    query 3-8 ms before its first row at national scale, and under load the second core is another request's."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parallel_workers is not None:
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}),
                                  "options": f"-c max_parallel_workers_per_gather={int(parallel_workers)}"}
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so write transactions can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=30000",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA case_sensitive_like=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred BEGIN that later writes fails with "database is locked" when another writer got in
        # between; a unit of work therefore asks for IMMEDIATE and waits (busy_timeout) for the write lock.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def database_is_up(engine: Engine) -> bool:
    """SELECT 1 on a connection of its own: the health check's question (any database error means no)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


def make_session_factory(engine: Engine, info: dict | None = None) -> sessionmaker[Session]:
    # Objects stay readable after a commit (rendering a page must not reload each row); freshness before a
    # write is unit_of_work's job, which expires everything as it starts. `info` travels with every session
    # (the app's access policy: services read it without knowing Flask).
    return sessionmaker(bind=engine, autoflush=True, expire_on_commit=False, info=info or {})


def get_or_raise(session: Session, model: type, ident: int, missing: str):
    """The row with this primary key, or NotFound carrying the (untranslated) message `missing`."""
    from servicecenter.errors import NotFound

    row = session.get(model, ident)
    if row is None:
        raise NotFound(missing)
    return row


def serialize_on(session: Session, key: str) -> None:
    """Make concurrent transactions that name the same key take turns (a PostgreSQL advisory lock held to the
    end of the transaction; SQLite's write transactions already run one at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def lock_row(session: Session, obj) -> None:
    """Re-read a loaded object after locking its row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write
    transactions run one at a time anyway), so two people acting on it at once take turns and the second one
    sees what the first did. The lock is a bare id query: FOR UPDATE cannot cover eager outer joins."""
    model = type(obj)
    session.execute(select(model.id).where(model.id == obj.id).with_for_update())
    session.refresh(obj)


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """The one commit point: a write transaction that commits on success and rolls back on any error.

    A read transaction left open by the request (loading the user, the object to act on) is ended first, so
    the write sees current rows: everything loaded before is expired and reloads inside this transaction.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("changes were made outside a unit of work")
    if session.in_transaction():
        session.commit()
    session.expire_all()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


class AppendOnly:
    """Mixin for ledger tables: rows are inserted, never updated or deleted (a guard below enforces it)."""


class LedgerViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session: Session, _flush_context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AppendOnly) and (obj in session.deleted or session.is_modified(obj)):
            raise LedgerViolation(f"{type(obj).__name__} rows are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_ledger_changes(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        if issubclass(mapper.class_, AppendOnly):
            raise LedgerViolation(f"{mapper.class_.__name__} rows are append-only")
