"""Reference data every database needs (organisations, clusters, programmes): added where missing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicecenter import migrations
from servicecenter.courses.service import seed_programmes
from servicecenter.db import make_engine, make_session_factory, unit_of_work
from servicecenter.organisations.service import seed_reference_data


def seed_all(session: Session) -> int:
    """Add the missing reference rows; returns how many were added."""
    return seed_reference_data(session) + seed_programmes(session)


def prepare_database(url: str) -> int:
    """Migrate to the newest schema and add the missing reference rows (what `flask db upgrade` does)."""
    migrations.upgrade(url)
    engine = make_engine(url)
    session = make_session_factory(engine)()
    try:
        with unit_of_work(session):
            return seed_all(session)
    finally:
        session.close()
        engine.dispose()
