"""Fixtures: the app on real SQLite and real PostgreSQL, sessions, a CSRF-aware client, and factories.

PostgreSQL and Chromium are required in CI (CI=true): missing, they fail the run. Elsewhere the tests that need
them skip with a message saying how to enable them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

os.environ.setdefault("SC_INSTANCE_PATH", tempfile.mkdtemp(prefix="sc-test-instance-"))

import inventory.models  # noqa: E402, F401 - its tables are truncated between tests too
import portal.models  # noqa: E402, F401
import support.models  # noqa: E402, F401
from servicecenter import create_app  # noqa: E402
from servicecenter.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from servicecenter.models import Base  # noqa: E402
from servicecenter.seed import prepare_database, seed_all  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 256,
    "RATE_LIMITS": {},  # off: tests open many records quickly; tests/test_ratelimit.py switches them on
}


def require_or_skip(what: str, how: str) -> None:
    """In CI a missing dependency is a failure; on a developer's machine, a skip that says how to enable it."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI (CI=true) but is not available: {how}", pytrace=False)
    pytest.skip(f"{what} not available; {how}")


# --- databases --------------------------------------------------------------------------------------------


def _migrate_and_seed(url: str) -> None:
    prepare_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate_and_seed(f"sqlite:///{path}")
    return path


def _pg_reachable() -> bool:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_database() -> str:
    if not _pg_reachable():
        require_or_skip("PostgreSQL", f"start it or set TEST_DATABASE_URL (tried {PG_URL.split('@')[-1]})")
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _migrate_and_seed(PG_URL)
    return PG_URL


def _reset_pg(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # The ledgers refuse TRUNCATE; a test reset (as the superuser) switches triggers off for this session.
        conn.execute(text("SET session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    engine = make_engine(url)
    session = make_session_factory(engine)()
    with unit_of_work(session):
        seed_all(session)
    session.close()
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _reset_pg(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# --- app, client, session ------------------------------------------------------------------------------


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every POST, unless told `csrf=False`."""

    def open(self, *args, **kwargs):
        csrf = kwargs.pop("csrf", True)
        method = kwargs.get("method", "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", hashlib.sha1(os.urandom(32)).hexdigest())  # noqa: S324
        serializer = URLSafeTimedSerializer(self.application.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def login(self, username: str, password: str = "correct-horse-battery"):
        return self.post("/login", data={"username": username, "password": password})


def with_demo(app, citizens: int):
    """The app with the demo data every feature loads (as `flask demo-data` does), for tests that need a lived-in
    world."""
    from servicecenter.db import unit_of_work, utcnow
    from servicecenter.demo import load_demo_data

    session = app.extensions["database"].factory()
    with unit_of_work(session):
        load_demo_data(session, citizens=citizens, now=utcnow())
        for loader in app.extensions.get("demo_loaders", []):
            loader(session, now=utcnow())
    session.close()
    return app


def make_test_app(url: str, **extra):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, **extra})
    app.test_client_class = CsrfClient
    return app


@pytest.fixture
def app(database_url):
    app = make_test_app(database_url)
    yield app
    app.extensions["database"].engine.dispose()


@pytest.fixture
def client(app) -> CsrfClient:
    return app.test_client()


@pytest.fixture
def session(app):
    # The test's own session expires on commit, so what it reads after the app acted is always current.
    s = sessionmaker(bind=app.extensions["database"].engine, expire_on_commit=True)()
    yield s
    s.close()


@pytest.fixture
def factory(session):
    from tests.factories import Factory

    return Factory(session)
