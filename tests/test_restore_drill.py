"""Restore drill: a populated database is copied the way operations back it up, and the copy is whole.

Given a database filled by `flask demo-data` (the app's own services), when it is copied with SQLite's online
backup or with `pg_dump -Fc` + `pg_restore` into a fresh database, then every table has the same number of rows
as the source and the real `flask inventory verify` and `flask courses verify` commands pass against the copy.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text

from tests.conftest import make_test_app, require_or_skip

ROOT = Path(__file__).resolve().parent.parent
DEMO_CITIZENS = "40"


def populate(url: str) -> None:
    app = make_test_app(url)
    result = app.test_cli_runner().invoke(args=["demo-data", "--citizens", DEMO_CITIZENS])
    app.extensions["database"].engine.dispose()
    assert result.exit_code == 0, result.output


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
    finally:
        engine.dispose()


def run_flask(url: str, *args: str) -> subprocess.CompletedProcess:
    """The real command line, in its own process, against the copy."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "restore-drill", "FLASK_APP": "app"}
    flask = str(Path(sys.executable).parent / "flask")
    return subprocess.run([flask, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def assert_whole_copy(source_url: str, copy_url: str) -> None:
    source, copy = row_counts(source_url), row_counts(copy_url)
    assert copy == source
    assert source["citizens"] > 0 and source["movements"] > 0 and source["audit_events"] > 0
    for group in ("inventory", "courses"):
        checked = run_flask(copy_url, group, "verify")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "agrees" in checked.stdout


def test_sqlite_online_backup_restores_every_row_and_passes_both_checks(sqlite_url, tmp_path):
    populate(sqlite_url)
    source_path = make_url(sqlite_url).database
    copy_path = tmp_path / "restored.db"
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(copy_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    assert_whole_copy(sqlite_url, f"sqlite:///{copy_path}")


# --- PostgreSQL ------------------------------------------------------------------------------------------------


def _major(version: str) -> int:
    return int(re.search(r"(\d+)", version).group(1))


def require_pg_tools(server_version_num: int) -> None:
    """pg_dump and pg_restore on PATH, and not older than the server (pg_dump refuses a newer server)."""
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        require_or_skip(" and ".join(missing), "install the PostgreSQL client (apt-get install postgresql-client)")
    client = _major(subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout.split()[-1])
    server = server_version_num // 10000
    if client < server:
        require_or_skip(f"pg_dump {server} or newer",
                        f"pg_dump on PATH is version {client}, older than the server ({server}); "
                        f"install postgresql-client-{server} or put its bin directory first on PATH")


def libpq_url(url: str) -> str:
    """pg_dump and pg_restore speak libpq: the SQLAlchemy driver suffix goes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_source(pg_database) -> str:
    from tests.conftest import _reset_pg

    _reset_pg(pg_database)
    return pg_database


@pytest.fixture
def pg_copy_url(pg_source):
    """A fresh database beside the test database, named after it, dropped afterwards."""
    source = make_url(pg_source)
    name = f"{source.database}_restore_drill"
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_pg_dump_and_pg_restore_restore_every_row_and_pass_both_checks(pg_source, pg_copy_url, tmp_path):
    engine = create_engine(pg_source)
    with engine.connect() as conn:
        server_version_num = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    engine.dispose()
    require_pg_tools(server_version_num)
    populate(pg_source)
    dump = tmp_path / "servicecenter.dump"
    dumped = subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), libpq_url(pg_source)],
                            capture_output=True, text=True, timeout=300)
    assert dumped.returncode == 0, dumped.stderr
    restored = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", libpq_url(pg_copy_url),
                               str(dump)], capture_output=True, text=True, timeout=300)
    assert restored.returncode == 0, restored.stderr
    assert_whole_copy(pg_source, pg_copy_url)
