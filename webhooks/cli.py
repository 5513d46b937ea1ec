"""`flask webhooks deliver`, and the scheduled job that does the same every minute."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from servicecenter.extensions import get_database
from servicecenter.outbox.delivery import summary
from webhooks.delivery import deliver_due
from webhooks.models import WebhookMessage
from webhooks.service import DUE

webhooks_cli = AppGroup("webhooks", help="Webhooks to other systems.")


@webhooks_cli.command("deliver")
def deliver() -> None:
    """Send the webhook messages that are due (the job does this every minute)."""
    click.echo(summary(deliver_due(get_database().factory)))


def count_due_job(session: Session, now: dt.datetime, _config: dict) -> str:
    due = session.scalar(select(func.count()).select_from(WebhookMessage)
                         .where(WebhookMessage.status.in_(DUE), WebhookMessage.next_attempt_at <= now))
    return f"{due} webhooks due"


def deliver_job(factory: sessionmaker[Session], _config: dict) -> str:
    return summary(deliver_due(factory))
