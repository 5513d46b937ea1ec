"""Alembic environment: the URL comes from the caller (servicecenter.migrations) or DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import pool

import dispatch.models  # noqa: F401 - the features' tables belong to the schema too
import inventory.models  # noqa: F401
import portal.models  # noqa: F401
import support.models  # noqa: F401
from servicecenter.db import make_engine
from servicecenter.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or os.environ["DATABASE_URL"]


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
