"""`flask courses verify`: every course whose state disagrees with the devices in its home and its visits."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from servicecenter.courses.journey import verify_courses
from servicecenter.extensions import db_session

courses_cli = AppGroup("courses", help="Courses.")


@courses_cli.command("verify")
def verify() -> None:
    """Exit 0 when every course agrees with its journey; otherwise list them (course id, never a name) and exit 1."""
    problems = verify_courses(db_session())
    for problem in problems:
        click.echo(f"course {problem.course_id}: {problem.problem}")
    if problems:
        click.echo(f"{len({p.course_id for p in problems})} courses disagree with their journey.", err=True)
        sys.exit(1)
    click.echo("Every course agrees with its journey.")
