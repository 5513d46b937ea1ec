"""Extension objects bound to the app in create_app, and the per-request database session."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from servicecenter.citizens.access import AccessPolicy
from servicecenter.db import make_engine, make_session_factory

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


class Database:
    """One engine per app; each request (or CLI command) gets one session, closed at teardown."""

    def __init__(self, url: str, info: dict | None = None, *, parallel_workers: int | None = None) -> None:
        self.engine: Engine = make_engine(url, parallel_workers=parallel_workers)
        self.factory: sessionmaker[Session] = make_session_factory(self.engine, info)


def init_database(app: Flask) -> Database:
    database = Database(app.config["DATABASE_URL"], {"access_policy": AccessPolicy.from_config(app.config)},
                        parallel_workers=app.config.get("PG_PARALLEL_WORKERS_PER_GATHER"))
    app.extensions["database"] = database
    app.teardown_appcontext(_close_session)
    return database


def get_database() -> Database:
    return current_app.extensions["database"]


def db_session() -> Session:
    """The session of the current request or command."""
    if "db_session" not in g:
        g.db_session = get_database().factory()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def register_extension(app: Flask, name: str, value: object) -> None:
    """Let a feature plug something into a core extension point (demo loaders, citizen page panels, nav)."""
    app.extensions.setdefault(name, []).append(value)
