"""Support: the helpdesk ticket queue with business-hours SLA, call logging, swaps and the knowledge base.

Importing this package loads no Flask (support.sla and the services are pure); init_app plugs it into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Pages, the timeline source, the visit listener, jobs, demo data, navigation."""
    from flask_babel import lazy_gettext as _l

    from dispatch.service import add_listener
    from servicecenter.auth.models import Role
    from servicecenter.extensions import register_extension
    from servicecenter.jobs import register_job
    from servicecenter.startpage import Panel
    from support.demo import load_support_demo
    from support.history import ticket_entries
    from support.jobs import JOBS
    from support.service.startpage import ticket_counts
    from support.service.swaps import follow_visit
    from support.views import bp

    app.register_blueprint(bp)
    register_extension(app, "timeline_sources", ticket_entries)
    register_extension(app, "demo_loaders", load_support_demo)
    register_extension(app, "nav", ("support.queue", _l("Tickets")))
    register_extension(app, "nav", ("support.kb", _l("Knowledge base")))
    register_extension(app, "start_panels", Panel("caller", frozenset({Role.HELPDESK}), 10,
                                                  "support/start/caller.html", wide=True))
    register_extension(app, "start_panels", Panel("tickets", frozenset({Role.HELPDESK, Role.COORDINATOR}), 20,
                                                  "support/start/tickets.html", ticket_counts))
    add_listener("support", follow_visit)
    for job in JOBS:
        register_job(job)
