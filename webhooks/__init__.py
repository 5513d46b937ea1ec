"""Signed webhooks (Standard Webhooks 1.0) to other systems: endpoints subscribed per event type, an outbox row
written with each change, delivered by a job with retries over about a day, checked against SSRF at every
connection; admin pages to manage endpoints and read the delivery log.

Importing this package loads no Flask; init_app plugs it into the app."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from servicecenter import events
    from servicecenter.jobs import Job, register_job
    from webhooks.admin_views import bp
    from webhooks.cli import count_due_job, deliver_job, webhooks_cli
    from webhooks.service import on_event

    app.register_blueprint(bp)
    app.cli.add_command(webhooks_cli)
    events.subscribe("webhooks", on_event)
    register_job(Job("webhooks_deliver", dt.timedelta(minutes=1), count_due_job, after_commit=deliver_job))
