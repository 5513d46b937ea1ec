"""Migration 0011 on a SQLite database that already holds visits (with their events pointing at them): down to
0010 and up again, nothing lost. A batch rebuild of `visits` failed here with foreign keys on."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import sessionmaker

from dispatch.models import Visit
from servicecenter.migrations import alembic_config, current_revision, head_revision
from tests.conftest import make_test_app
from tests.dispatch.helpers import DispatchWorld
from tests.factories import Factory


def test_0011_goes_down_and_up_on_sqlite_with_visits(sqlite_url):
    app = make_test_app(sqlite_url)
    session = sessionmaker(bind=app.extensions["database"].engine, expire_on_commit=True)()
    visit_id = DispatchWorld(session, Factory(session)).setup_request().id
    session.close()
    app.extensions["database"].engine.dispose()

    command.downgrade(alembic_config(sqlite_url), "0010")
    command.upgrade(alembic_config(sqlite_url), "head")

    engine = create_engine(sqlite_url)
    assert current_revision(engine) == head_revision()
    assert "swap_device_id" in {c["name"] for c in inspect(engine).get_columns("visits")}
    with engine.connect() as conn:
        assert conn.execute(select(Visit.id)).scalar_one() == visit_id
        assert conn.execute(text("SELECT count(*) FROM visit_events")).scalar_one() == 1
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
