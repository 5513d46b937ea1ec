"""`flask coordination refresh|verify|report`: the indicator cells recomputed, proved equal to a recomputation, and
a month's report drafted by hand."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from coordination.service import non_returns
from coordination.service.figures import computed_at, disagreements, recent_months, refresh
from coordination.service.reports import generate
from servicecenter.db import unit_of_work, utcnow
from servicecenter.extensions import db_session
from servicecenter.months import parse_month

coordination_cli = AppGroup("coordination", help="Indicators and the monthly report.")


def _months(month: str | None, count: int):
    if month:
        first = parse_month(month)
        if first is None:
            raise click.BadParameter("write the month as YYYY-MM", param_hint="--month")
        return [first]
    return recent_months(utcnow(), count)


@coordination_cli.command("refresh")
@click.option("--month", help="One month (YYYY-MM); default the last 13.")
@click.option("--months", default=13, show_default=True)
def refresh_command(month: str | None, months: int) -> None:
    """Recompute the indicator cells from the ledgers."""
    session, now = db_session(), utcnow()
    grace = current_app.config["COORDINATION_PICKUP_GRACE_DAYS"]
    for first in _months(month, months):
        with unit_of_work(session):
            cells = refresh(session, first, now=now, pickup_grace_days=grace)
        click.echo(f"{first:%Y-%m}: {cells} cells")


@coordination_cli.command("verify")
@click.option("--months", default=13, show_default=True)
def verify_command(months: int) -> None:
    """Exit 0 when the stored cells equal a recomputation as of when they were computed; otherwise list them."""
    session, grace = db_session(), current_app.config["COORDINATION_PICKUP_GRACE_DAYS"]
    problems = []
    for first in _months(None, months):
        at = computed_at(session, first)
        if at is not None:
            problems += disagreements(session, first, at=at, pickup_grace_days=grace)
    problems += non_returns.disagreements(session)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} cells or non-return cases disagree with the ledgers.", err=True)
        sys.exit(1)
    click.echo("Every stored indicator cell agrees with a recomputation; every open non-return case with the ledger.")


@coordination_cli.command("report")
@click.option("--month", required=True, help="The month (YYYY-MM).")
def report_command(month: str) -> None:
    """Draft (or redraft) a month's report, as the job does on the first working day."""
    session = db_session()
    with unit_of_work(session):
        report = generate(session, _months(month, 1)[0], actor=None, now=utcnow(), config=current_app.config)
    click.echo(f"report {report.month:%Y-%m}: {len(report.deviations)} deviations")
