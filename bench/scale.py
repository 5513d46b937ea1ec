"""Build a benchmark database at a given scale: migrated, reference data, demo users and N citizens."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from servicecenter.db import make_engine, make_session_factory, unit_of_work, utcnow
from servicecenter.demo import load_demo_data
from servicecenter.seed import prepare_database


def fresh_postgres(url: str) -> None:
    """Empty the benchmark database's public schema (a database of its own, never the test database)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(url: str, citizens: int, *, seed: int = 2026) -> float:
    """Create the database at this scale; returns the seconds it took."""
    started = time.perf_counter()
    prepare_database(url)
    engine = make_engine(url)
    session = make_session_factory(engine)()
    with unit_of_work(session):
        load_demo_data(session, citizens=citizens, seed=seed, now=utcnow())
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    session.close()
    engine.dispose()
    return time.perf_counter() - started
