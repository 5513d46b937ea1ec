"""`flask inventory verify`: replay the ledger and list every device whose current state disagrees with it."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from inventory.service import verify_ledger
from servicecenter.extensions import db_session

inventory_cli = AppGroup("inventory", help="Inventory.")


@inventory_cli.command("verify")
def verify() -> None:
    """Exit 0 when every device agrees with its ledger; otherwise list them and exit 1."""
    problems = verify_ledger(db_session())
    for problem in problems:
        click.echo(f"{problem.tag}: {problem.problem}")
    if problems:
        click.echo(f"{len(problems)} devices disagree with the ledger.", err=True)
        sys.exit(1)
    click.echo("Every device agrees with its ledger.")
