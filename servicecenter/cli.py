"""Command line: database upgrade, first admin, demo data, the scheduler, and the embedded server."""

from __future__ import annotations

import datetime as dt
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from servicecenter import migrations
from servicecenter.auth import service as auth_service
from servicecenter.auth.models import Role
from servicecenter.db import make_engine, unit_of_work, utcnow
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session, get_database
from servicecenter.organisations.models import Organisation, OrganisationKind
from servicecenter.seed import prepare_database

db_cli = AppGroup("db", help="Database schema.")
users_cli = AppGroup("users", help="User accounts.")
jobs_cli = AppGroup("jobs", help="The scheduler.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema and add missing reference data."""
    added = prepare_database(current_app.config["DATABASE_URL"])
    click.echo(f"Database is at revision {migrations.head_revision()}; {added} reference rows added.")


@db_cli.command("grant-app-role")
@click.argument("name")
@click.option("--password-env", "password_env", default=None, metavar="VAR",
              help="Set the role's password from this environment variable (kept out of shell history).")
def db_grant_app_role(name: str, password_env: str | None) -> None:
    """Create or update the app's PostgreSQL login role NAME: rows only, no owner rights. Run as the owner."""
    from servicecenter.dbroles import RoleRefused, grant_app_role

    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise click.ClickException(f"The environment variable {password_env} is not set or empty.")
    engine = make_engine(current_app.config["DATABASE_URL"])
    try:
        grant_app_role(engine, name, password)
    except RoleRefused as error:
        raise click.ClickException(str(error)) from None
    finally:
        engine.dispose()
    click.echo(f"Role {name} may read and write rows; run the app as {name} and migrate as the owner.")


@users_cli.command("create-admin")
@click.option("--username", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given; prefer the prompt, so it stays out of shell history.")
def create_admin(username: str, full_name: str, password: str) -> None:
    """Create an administrator. There is no default admin and no default password."""
    s = db_session()
    region = s.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.REGION))
    if region is None:
        raise click.ClickException("Run `flask --app app db upgrade` first.")
    try:
        with unit_of_work(s):
            auth_service.create_user(s, actor=None, now=utcnow(), username=username, full_name=full_name,
                                     role=Role.ADMIN, organisation_id=region.id, password=password)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Administrator {username} created.")


@click.command("demo-data")
@with_appcontext
@click.option("--citizens", default=200, show_default=True, help="How many citizens to add.")
@click.option("--seed", default=2026, show_default=True)
@click.option("--print-logins", is_flag=True, help="Only print the demo logins.")
def demo_data(citizens: int, seed: int, print_logins: bool) -> None:
    """Load deterministic demo data (never in production)."""
    from servicecenter.demo import load_demo_data, present_demo_logins

    if current_app.config["SC_ENV"] == "production":
        raise click.ClickException("Refused: SC_ENV=production. Demo users have published passwords.")
    s = db_session()
    if not print_logins:
        with unit_of_work(s):
            made = load_demo_data(s, citizens=citizens, seed=seed, now=utcnow())
            for loader in current_app.extensions.get("demo_loaders", []):
                made.update(loader(s, now=utcnow()))
        click.echo("Demo data added: " + ", ".join(f"{n} {what}" for what, n in made.items()) + ".")
    for note in current_app.extensions.get("demo_notes", []):
        click.echo(note(s))
    # Every demo user there is, the features' own (extra technicians) included.
    more = [login for logins in current_app.extensions.get("demo_logins", []) for login in logins()]
    click.echo("Demo logins (for this demo database only):")
    for username, password, role in present_demo_logins(s, more):
        click.echo(f"  {role.value:<12} {username:<15} {password}")



@jobs_cli.command("run")
def jobs_run() -> None:
    """Start the one scheduler process (run exactly one in production; extra ones only wait and skip)."""
    from servicecenter.jobs import make_scheduler

    click.echo("Scheduler started; Ctrl+C stops it.")
    make_scheduler(get_database().factory, dict(current_app.config), background=False).start()


@jobs_cli.command("tick")
@click.option("--at", "at", default=None, help="ISO time (UTC) of the slot to run; default now.")
def jobs_tick(at: str | None) -> None:
    """Run every job's current slot once (for cron, or to catch up by hand)."""
    from servicecenter.jobs import run_due

    when = dt.datetime.fromisoformat(at) if at else utcnow()
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    for name, result in run_due(get_database().factory, dict(current_app.config), when).items():
        click.echo(f"{name}: {result if result is not None else 'skipped (already run)'}")


@click.command("worker")
@with_appcontext
@click.option("--poll", default=1.0, show_default=True, help="Seconds to wait when no job is due.")
def worker(poll: float) -> None:
    """A job worker (start N of them in production, with JOB_RUNNER=worker in the web processes): takes due jobs
    of the queue one at a time, and ends those whose worker died. Ctrl+C or SIGTERM stops it."""
    import signal
    import threading

    from servicecenter.queue import work

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("Worker started; Ctrl+C stops it.")
    try:
        work(get_database().factory, dict(current_app.config), stop=stop, poll_seconds=poll)
    except KeyboardInterrupt:
        stop.set()
    sys.stdout.flush()


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """The embedded single-process server with the scheduler in-process (make run). Use gunicorn in production."""
    from servicecenter.jobs import make_scheduler

    if not migrations.is_up_to_date(get_database().engine):
        raise click.ClickException("The database is not migrated: run `flask --app app db upgrade`.")
    scheduler = make_scheduler(get_database().factory, dict(current_app.config), background=True)
    scheduler.start()
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C stops)")
    try:
        # werkzeug directly: Flask ignores app.run() inside a `flask` command.
        run_simple(host, port, current_app._get_current_object(), use_reloader=False, threaded=True)
    finally:
        scheduler.shutdown(wait=False)
        sys.stdout.flush()


def register_cli(app: Flask) -> None:
    for command in (db_cli, users_cli, jobs_cli, demo_data, worker, serve):
        app.cli.add_command(command)
